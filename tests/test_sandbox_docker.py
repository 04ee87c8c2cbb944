"""The Docker backend against a real engine: verdicts, clean-up, and what the inside looks like.

Marked `docker`: skipped without an engine, required under CI=true (.ci/run builds the image first;
if it is missing, the first test builds it).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from takehome_harness.harness.errors import SandboxUnavailable
from takehome_harness.harness.sandbox.docker_backend import WORKSPACE_LABEL
from takehome_harness.harness.sandbox.result import Limits, Verdict
from takehome_harness.harness.sandbox.run import run_notebook
from tests.sandbox_notebooks import (FORK_BOMB, FREEZES_RUNNER, IGNORES_SIGINT, INFINITE_LOOP, KILLS_RUNNER,
                                     MEMORY_BOMB, OS_EXIT, SOLVED, make_data, make_submission)

TOTAL, CELL = 20, 8
LIMITS = Limits(total_seconds=TOTAL, cell_seconds=CELL, memory_mb=512, pids=64, tmpfs_mb=16)
SLACK_SECONDS = 12     # container start + kernel start + the host's grace period + clean-up


@pytest.fixture(autouse=True)
def unique_workspace_prefix(monkeypatch, tmp_path):
    monkeypatch.setattr("takehome_harness.harness.sandbox.workspace.TEMP_PREFIX", f"takehome-sandbox-{tmp_path.name}-")


def containers_of_this_test(tmp_path: Path) -> list:
    import docker

    client = docker.from_env()
    marker = f"takehome-sandbox-{tmp_path.name}-"
    return [c for c in client.containers.list(all=True, filters={"label": "takehome-harness"}, sparse=True)
            if marker in c.attrs.get("Labels", {}).get(WORKSPACE_LABEL, "")]


def run_docker(tmp_path: Path, cells: list[str], limits: Limits = LIMITS):
    sub = make_submission(tmp_path, cells)
    started = time.monotonic()
    result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=make_data(tmp_path),
                          limits=limits, backend="docker", out_dir=tmp_path / "out")
    return result, time.monotonic() - started


@pytest.mark.docker
def test_solved_notebook_runs_and_predictions_come_back(tmp_path):
    result, _ = run_docker(tmp_path, SOLVED)
    assert result.verdict is Verdict.COMPLETED, (result.message, result.warnings)
    assert result.isolated is True and result.backend == "docker" and result.image.startswith("takehome-sandbox:")
    lines = result.predictions.read_text().splitlines()
    assert lines[0] == "id,p" and len(lines) == 21
    assert result.peak_memory_mb is None or 0 < result.peak_memory_mb <= 512
    assert containers_of_this_test(tmp_path) == []


HOSTILE = {
    "infinite_loop": (INFINITE_LOOP, Verdict.DEADLINE, 2),
    "ignores_sigint": (IGNORES_SIGINT, Verdict.DEADLINE, 1),
    "memory_bomb": (MEMORY_BOMB, Verdict.OUT_OF_MEMORY, 2),
    "fork_bomb": (FORK_BOMB, Verdict.CELL_ERROR, 1),
    "os_exit": (OS_EXIT, Verdict.KERNEL_DIED, 2),
    # the runner itself killed: nothing it wrote is believed, not even the cell it was at
    "kills_runner": (KILLS_RUNNER, Verdict.KERNEL_DIED, None),
    "freezes_runner": (FREEZES_RUNNER, Verdict.DEADLINE, None),
}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_notebook_ends_with_the_right_verdict_and_leaves_nothing(tmp_path, name):
    cells, verdict, failing_cell = HOSTILE[name]
    result, wall = run_docker(tmp_path, cells)
    assert result.verdict is verdict, result.message
    assert result.failed_cell == failing_cell
    assert wall < TOTAL + SLACK_SECONDS
    if failing_cell is None:
        assert result.executed_notebook is None and "none was used" in result.message
    else:
        executed = nbformat.read(result.executed_notebook, as_version=4)      # the partial notebook survived
        assert [c.id for c in executed.cells][:2] == ["harness-cell-0", "harness-cell-1"]
    if failing_cell == 2:
        assert executed.cells[1].execution_count == 1
    if name == "fork_bomb":
        assert "process limit" in result.message
    assert containers_of_this_test(tmp_path) == []


INSPECT = r"""
import json, os, pathlib
facts = {"interfaces": sorted(os.listdir('/sys/class/net')), "uid": os.getuid(),
         "root_mount": next(l.split()[3] for l in open('/proc/mounts') if l.split()[1] == '/'),
         "data_files": sorted(os.listdir('data')),
         "label_like_files": [str(p) for top in ('/work', '/tmp', '/home', '/harness-out', '/opt/harness')
                              for p in pathlib.Path(top).rglob('*label*')]}
try:
    open('/opt/harness/owned', 'w')
    facts["root_write"] = "succeeded"
except OSError as exc:
    facts["root_write"] = exc.strerror
try:
    with open('/tmp/big', 'wb') as f:
        for _ in range(32):
            f.write(b'x' * 1024 * 1024)
    facts["tmpfs_overflow"] = "succeeded"
except OSError as exc:
    facts["tmpfs_overflow"] = exc.strerror
os.remove('/tmp/big')
try:
    open('/harness-out/extra.bin', 'wb')
    facts["out_create"] = "succeeded"
except OSError as exc:
    facts["out_create"] = exc.strerror
# the data and the submission as sent are the grader's: readable, never changed
facts["read_only"] = {}
for path, mode in (('data/train.csv', 'a'), ('data/extra.csv', 'w'), ('/harness-in/submission/notebook.ipynb', 'a'),
                   ('/harness-in/submission/extra.py', 'w'), ('/harness-in/ready', 'a'), ('/harness-in/extra.py', 'w')):
    try:
        open(path, mode)
        facts["read_only"][path] = "succeeded"
    except OSError as exc:
        facts["read_only"][path] = exc.strerror
facts["data_readable"] = len(open('data/train.csv').read()) > 0
# pid 1 (our init) and the runner (this kernel's parent) decide the exit code: neither may be tampered with
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
facts["ptrace"] = {}
for name, pid in (("init", 1), ("runner", os.getppid())):
    facts["ptrace"][name] = "attached" if libc.ptrace(16, pid, None, None) == 0 else os.strerror(ctypes.get_errno())
    try:
        open(f'/proc/{pid}/mem', 'rb')
        facts["ptrace"][name + "_mem"] = "opened"
    except OSError as exc:
        facts["ptrace"][name + "_mem"] = exc.strerror
json.dump(facts, open('facts.json', 'w'))
"""


@pytest.mark.docker
def test_inside_the_container_is_locked_down(tmp_path):
    (tmp_path / "labels.csv").write_text("id,target\n1,1\n")           # the grader's secret stays outside
    result, _ = run_docker(tmp_path, [INSPECT])
    assert result.verdict is Verdict.COMPLETED, (result.message, result.traceback)
    facts = json.loads(next(p for p in result.extra_files if p.name == "facts.json").read_text())
    assert facts["interfaces"] == ["lo"]
    assert facts["uid"] != 0
    assert facts["root_mount"].split(",")[0] == "ro"
    assert facts["root_write"] != "succeeded"
    assert facts["tmpfs_overflow"] == "No space left on device"
    assert facts["out_create"] == "Permission denied"                    # only the host-made result files
    assert set(facts["read_only"].values()) == {"Permission denied"} and facts["data_readable"]
    assert facts["ptrace"] == {"init": "Operation not permitted", "init_mem": "Permission denied",
                               "runner": "Operation not permitted", "runner_mem": "Permission denied"}
    assert facts["data_files"] == ["test.csv", "train.csv"]              # the grader's copy, not the decoy
    assert facts["label_like_files"] == []


FILL_WORK = r"""
import os
written, error, index = 0, None, 0
while written < 1024 * 2**20 and error is None:
    try:
        with open(f'filler-{index}.bin', 'wb') as f:
            for _ in range(4):
                f.write(b'x' * 2**20)
                written += 2**20
    except OSError as exc:
        error = exc.strerror
    index += 1
print('filled', written, error)
"""
CLEAN_UP_AND_PREDICT = ("import glob, os\nfor name in glob.glob('filler-*.bin'):\n    os.remove(name)\n"
                        "open('predictions.csv', 'w').write('id,p\\n1,0.5\\n')")


@pytest.mark.docker
def test_writing_beyond_the_working_folder_cap_fails_and_the_run_still_reports(tmp_path):
    result, _ = run_docker(tmp_path, [FILL_WORK, CLEAN_UP_AND_PREDICT])
    assert result.verdict is Verdict.COMPLETED, (result.message, result.traceback)
    printed = nbformat.read(result.executed_notebook, as_version=4).cells[1].outputs[0]["text"]
    written, error = int(printed.split()[1]), printed.split(maxsplit=2)[2].strip()
    assert error == "No space left on device"
    assert written <= LIMITS.tmpfs_mb * 2**20                            # the /work tmpfs size, not the host disk
    assert result.predictions.read_text() == "id,p\n1,0.5\n"
    assert all(not p.name.startswith("filler-") for p in result.extra_files)


@pytest.mark.docker
def test_a_result_file_over_the_cap_is_not_read_and_the_others_still_come_back(tmp_path):
    # trace.jsonl is writable by the run (the hook appends to it): the candidate's code can make it any size up to
    # the fsize limit, which is far over what the host reads back
    limits = Limits(total_seconds=TOTAL, cell_seconds=CELL, memory_mb=512, pids=64, tmpfs_mb=16, output_mb=1)
    flood = ('with open("/harness-out/trace.jsonl", "a") as f:\n'
             '    f.write("x" * (3 * 2**20))')
    result, _ = run_docker(tmp_path, [*SOLVED, flood], limits=limits)
    assert result.verdict is Verdict.COMPLETED, (result.message, result.warnings)
    assert any(w.startswith("ignored trace.jsonl: trace.jsonl is ") and "-byte cap" in w for w in result.warnings)
    assert result.trace is None
    last = nbformat.read(result.executed_notebook, as_version=4).cells[-1]
    assert "3 * 2**20" in last.source and last.execution_count is not None     # the flood ran, and was saved
    assert result.predictions.read_text().splitlines()[0] == "id,p"


@pytest.mark.docker
def test_container_configuration_by_inspection():
    import docker

    from takehome_harness.harness.sandbox.docker_backend import container_options
    from takehome_harness.harness.sandbox.image import image_tag

    client = docker.from_env()
    options = container_options(limits=LIMITS, runtime=None)
    container = client.containers.create(image_tag(), ["true"], **options)
    try:
        host = container.attrs["HostConfig"]
    finally:
        container.remove(force=True)
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True and not host["Init"]      # our own init is pid 1 (container_init.py)
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == host["MemorySwap"] == 512 * 1024 * 1024
    assert host["PidsLimit"] == 64 and host["NanoCpus"] == 1_000_000_000
    assert set(host["Tmpfs"]) == {"/tmp", "/home/sandbox", "/work"}
    assert all("size=16m" in options for options in host["Tmpfs"].values())
    assert {u["Name"] for u in host["Ulimits"]} == {"nofile", "fsize", "core"}
    assert host["LogConfig"]["Config"]["max-size"] == "1m"
    assert options["environment"]["OMP_NUM_THREADS"] == "1"


def test_docker_backend_without_an_engine_is_a_clear_error(tmp_path, monkeypatch):
    import docker

    def no_engine(**kwargs):
        raise docker.errors.DockerException("connection refused")

    monkeypatch.setattr(docker, "from_env", no_engine)
    sub = make_submission(tmp_path, ["x = 1"])
    with pytest.raises(SandboxUnavailable, match="no Docker engine is reachable"):
        run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None, limits=LIMITS, backend="docker")
    result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None, limits=LIMITS, backend="auto",
                          out_dir=tmp_path / "out")
    assert result.verdict is Verdict.COMPLETED and result.isolated is False
    assert "fell back to the local runner" in result.warnings[0]


@pytest.mark.docker
def test_prune_removes_leftovers_but_not_a_run_in_progress(tmp_path, monkeypatch):
    import docker
    from click.testing import CliRunner

    from takehome_harness.harness.cli import harness
    from takehome_harness.harness.sandbox.image import image_tag

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    from takehome_harness.harness.sandbox import workspace

    old, fresh = tmp_path / f"{workspace.TEMP_PREFIX}old", tmp_path / f"{workspace.TEMP_PREFIX}fresh"
    old.mkdir(), fresh.mkdir()
    os.utime(old, (time.time() - 3 * 3600,) * 2)
    client = docker.from_env()
    left = client.containers.create(image_tag(), ["true"], labels={"takehome-harness": "1"}, network_mode="none")
    result = CliRunner().invoke(harness, ["sandbox", "prune", "--no-images"])
    assert result.exit_code == 0, result.output
    assert not old.exists() and fresh.exists()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(left.id)
