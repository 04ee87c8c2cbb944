"""The local fallback backend end to end, plus the host-side pieces it shares with Docker."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.sandbox.readback import Unreadable, load_status, read_regular_file
from takehome_harness.harness.sandbox.result import Limits, Verdict
from takehome_harness.harness.sandbox.run import run_notebook
from tests.sandbox_notebooks import (FREEZES_RUNNER, INFINITE_LOOP, KILLS_RUNNER, MEMORY_BOMB, OS_EXIT, SOLVED,
                                     make_data, make_submission)

SHORT = Limits(total_seconds=20, cell_seconds=8, memory_mb=1024)


def run_local(tmp_path: Path, cells: list[str], limits: Limits = SHORT, **kwargs):
    sub = make_submission(tmp_path, cells)
    return run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=make_data(tmp_path),
                        limits=limits, backend="local", out_dir=tmp_path / "out", **kwargs)


@pytest.fixture(autouse=True)
def unique_workspace_prefix(monkeypatch, tmp_path):
    """Workspaces of this test get a prefix of their own, so leftover processes can be told apart."""
    monkeypatch.setattr("takehome_harness.harness.sandbox.workspace.TEMP_PREFIX", f"takehome-sandbox-{tmp_path.name}-")


def no_sandbox_processes_left(tmp_path: Path) -> bool:
    """No process (runner, kernel, kernel's children) mentions this test's workspace any more."""
    marker = f"takehome-sandbox-{tmp_path.name}-"
    return not any(marker in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))


def test_solved_notebook_completes_and_predictions_come_back(tmp_path):
    result = run_local(tmp_path, SOLVED)
    assert result.verdict is Verdict.COMPLETED, result.message
    assert result.isolated is False and result.backend == "local"
    assert any("WITHOUT isolation" in w for w in result.warnings)
    lines = result.predictions.read_text().splitlines()
    assert lines[0] == "id,p" and len(lines) == 21          # the grader's 20 test rows, not the decoy
    executed = nbformat.read(result.executed_notebook, as_version=4)
    assert [c.id for c in executed.cells] == [f"harness-cell-{i}" for i in range(4)]
    assert [c.get("execution_count") for c in executed.cells[1:]] == [1, 2, 3]
    assert result.cell_seconds[0] is None and all(s is not None for s in result.cell_seconds[1:])


def test_old_outputs_and_tags_are_cleared_before_the_run(tmp_path):
    sub = make_submission(tmp_path, ["print('fresh')", "raise ValueError('boom')", "print('after')"])
    nb = nbformat.read(sub / "notebook.ipynb", as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale output\n")]
    nb.cells[2].metadata["tags"] = ["raises-exception"]
    nb.cells[3].metadata["tags"] = ["skip"]
    nbformat.write(nb, sub / "notebook.ipynb")
    result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None, limits=SHORT,
                          backend="local", out_dir=tmp_path / "out")
    assert result.verdict is Verdict.CELL_ERROR and result.failed_cell == 2
    assert result.error_name == "ValueError" and "boom" in result.error_value
    assert "\x1b[" not in result.traceback
    executed = nbformat.read(result.executed_notebook, as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "fresh\n"
    assert "tags" not in executed.cells[2].metadata
    assert executed.cells[3].outputs == []                     # never reached


def test_infinite_loop_hits_the_cell_limit_and_keeps_partial_notebook(tmp_path):
    started = time.monotonic()
    result = run_local(tmp_path, INFINITE_LOOP, Limits(total_seconds=20, cell_seconds=3))
    assert time.monotonic() - started < 20
    assert result.verdict is Verdict.DEADLINE and result.failed_cell == 2
    executed = nbformat.read(result.executed_notebook, as_version=4)
    assert executed.cells[1].execution_count == 1
    assert no_sandbox_processes_left(tmp_path)


def test_a_flood_of_prints_is_cut_as_it_arrives_and_the_run_completes(tmp_path):
    from takehome_harness.harness.sandbox import runner

    flood = "import sys\nfor _ in range(40_000):\n    sys.stdout.write('flood ' * 50 + '\\n')\nprint('done')"
    result = run_local(tmp_path, ["print('before')", flood, "print('after')"])
    assert result.verdict is Verdict.COMPLETED, result.message
    cell = nbformat.read(result.executed_notebook, as_version=4).cells[2]
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "dropped by the harness" in text
    assert len(text) <= runner.MAX_CELL_OUTPUT_CHARS + 1_000 < 40_000 * 301   # kept far less than printed


def test_host_deadline_kills_a_frozen_runner(tmp_path, monkeypatch):
    monkeypatch.setattr("takehome_harness.harness.sandbox.local_backend.HOST_GRACE_SECONDS", 1)
    started = time.monotonic()
    result = run_local(tmp_path, FREEZES_RUNNER, Limits(total_seconds=4, cell_seconds=60))
    assert time.monotonic() - started < 4 + 1 + 5
    # a killed runner's files may have been written by the notebook: not even the cell it names is believed
    assert result.verdict is Verdict.DEADLINE and result.failed_cell is None
    assert "overall time limit" in result.message and "none was used" in result.message
    assert result.executed_notebook is None and result.cell_seconds == []
    assert no_sandbox_processes_left(tmp_path)


def test_memory_bomb_is_out_of_memory(tmp_path):
    result = run_local(tmp_path, MEMORY_BOMB, Limits(total_seconds=20, cell_seconds=15, memory_mb=600))
    assert result.verdict is Verdict.OUT_OF_MEMORY and result.failed_cell == 2


def test_dying_kernel_is_kernel_died(tmp_path):
    result = run_local(tmp_path, OS_EXIT)
    assert result.verdict is Verdict.KERNEL_DIED and result.failed_cell == 2
    assert nbformat.read(result.executed_notebook, as_version=4).cells[1].execution_count == 1
    assert no_sandbox_processes_left(tmp_path)


def test_a_killed_runner_is_kernel_died_and_none_of_its_files_is_believed(tmp_path):
    result = run_local(tmp_path, KILLS_RUNNER)
    assert result.verdict is Verdict.KERNEL_DIED and result.failed_cell is None
    assert result.executed_notebook is None and "none was used" in result.message
    assert no_sandbox_processes_left(tmp_path)


def test_grader_environment_does_not_leak_into_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SECRET", "do-not-leak")
    result = run_local(tmp_path, ["import os\nopen('env.json', 'w').write(__import__('json').dumps(dict(os.environ)))"])
    env = json.loads(next(p for p in result.extra_files if p.name == "env.json").read_text())
    assert "HARNESS_SECRET" not in env
    assert env["OMP_NUM_THREADS"] == "1" and env["HOME"] != os.environ.get("HOME")


def test_kernel_hook_runs_silently_with_trace_path(tmp_path, monkeypatch):
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import json, os\nfrom IPython import get_ipython\n"
        "def log(info):\n"
        "    with open(os.environ['HARNESS_TRACE_PATH'], 'a') as f:\n"
        "        f.write(json.dumps({'cell_id': info.cell_id}) + '\\n')\n"
        "get_ipython().events.register('pre_run_cell', log)\n")
    monkeypatch.setattr("takehome_harness.harness.sandbox.local_backend.HOOK_PATH", hook)
    result = run_local(tmp_path, ["print(1)", "print(2)"])
    assert result.verdict is Verdict.COMPLETED
    events = [json.loads(line) for line in result.trace.read_text().splitlines()]
    assert events == [{"cell_id": "harness-cell-1"}, {"cell_id": "harness-cell-2"}]  # hook itself not traced
    executed = nbformat.read(result.executed_notebook, as_version=4)
    assert executed.cells[1].execution_count == 1            # the hook used no execution count


def test_symlinks_in_the_submission_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    sub = make_submission(tmp_path, ["import os\nprint(os.path.exists('link.txt'))"])
    (sub / "link.txt").symlink_to(secret)
    result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None, limits=SHORT,
                          backend="local", out_dir=tmp_path / "out")
    assert nbformat.read(result.executed_notebook, as_version=4).cells[1].outputs[0]["text"] == "False\n"


def test_bad_input_is_a_harness_error(tmp_path):
    with pytest.raises(HarnessError, match="unknown sandbox backend"):
        run_notebook(notebook=tmp_path / "n.ipynb", workdir=tmp_path, data_dir=None, limits=SHORT, backend="vm")
    with pytest.raises(HarnessError, match="notebook not found"):
        run_notebook(notebook=tmp_path / "n.ipynb", workdir=tmp_path, data_dir=None, limits=SHORT, backend="local")


def test_readback_refuses_symlinks_fifos_and_oversized_files(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 100)
    (tmp_path / "link").symlink_to(tmp_path / "big")
    os.mkfifo(tmp_path / "fifo")
    assert read_regular_file(tmp_path / "big", max_bytes=100) == b"x" * 100
    for name, cap, reason in [("big", 99, "over the"), ("link", 1000, "safely"), ("fifo", 1000, "not a regular")]:
        with pytest.raises(Unreadable, match=reason):
            read_regular_file(tmp_path / name, max_bytes=cap)


def test_status_must_match_its_schema(tmp_path):
    (tmp_path / "status.json").write_text(json.dumps({"version": 1, "state": "completed"}))
    with pytest.raises(Unreadable, match="schema"):
        load_status(tmp_path / "status.json")


def _status(state: str, *, failed_cell: int | None = None, error: dict | None = None) -> dict:
    cells = [{"index": 0, "cell_type": "code", "state": "ok" if failed_cell != 0 else "error", "started": 1.0,
              "ended": 2.0, "seconds": 1.0, "execution_count": 1, "error": error if failed_cell == 0 else None}]
    return {"version": 1, "state": state, "message": state, "hook": "loaded", "started_at": 0.0, "updated_at": 3.0,
            "failed_cell": failed_cell, "cells": cells}


def _classify(exit_code: int | None, status: dict | None):
    from takehome_harness.harness.sandbox.verdict import Observed, classify

    return classify(Observed(deadline_hit=False, oom_killed=False, exit_code=exit_code, status=status,
                             total_seconds=20, memory_mb=512))


def test_the_exit_code_decides_and_a_forged_status_only_loses_its_details():
    from takehome_harness.harness.sandbox.run_protocol import EXIT_CODES

    boom = {"name": "ValueError", "value": "boom", "traceback": "tb"}
    honest = _classify(EXIT_CODES["cell_error"], _status("cell_error", failed_cell=0, error=boom))
    assert honest.verdict is Verdict.CELL_ERROR and honest.failed_cell == 0 and honest.error == boom
    forged = _classify(EXIT_CODES["cell_error"], _status("completed"))
    assert forged.verdict is Verdict.CELL_ERROR and forged.failed_cell is None and forged.error is None
    assert "were not used" in forged.warnings[0]
    for killed in (137, -9, 1):       # a signal (container / local) or a crash of the runner
        assert _classify(killed, _status("completed")).verdict is Verdict.KERNEL_DIED
    assert _classify(EXIT_CODES["completed"], _status("completed")).verdict is Verdict.COMPLETED
    # a "completed" exit with a report of a failure: still completed (the exit code cannot lie), details dropped
    downgraded = _classify(EXIT_CODES["completed"], _status("completed", failed_cell=0, error=boom))
    assert downgraded.verdict is Verdict.COMPLETED and downgraded.error is None and downgraded.warnings


FORGES_FROM_THE_BACKGROUND = [
    "import json, os, time\n"
    "path = os.path.join(os.path.dirname(os.environ['HARNESS_TRACE_PATH']), 'status.json')\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    while True:\n"
    "        try:\n"
    "            status = json.load(open(path))\n"
    "            status.update(state='completed', failed_cell=None)\n"
    "            for cell in status['cells']:\n"
    "                cell.update(state='ok', error=None) if cell['cell_type'] == 'code' else None\n"
    "            open(path, 'w').write(json.dumps(status))\n"
    "        except Exception:\n"
    "            pass\n"
    "        time.sleep(0.001)\n"
    "time.sleep(0.5)",
    "raise ValueError('this failure must stay visible')",
]


def test_a_status_forged_from_the_background_does_not_hide_a_failure(tmp_path):
    result = run_local(tmp_path, FORGES_FROM_THE_BACKGROUND)
    assert result.verdict is Verdict.CELL_ERROR, result.message
    assert no_sandbox_processes_left(tmp_path)


def test_files_the_run_wrote_come_back_but_not_unchanged_submission_files(tmp_path):
    sub = make_submission(tmp_path, ["import os\nos.makedirs('out/deep', exist_ok=True)\n"
                                     "open('out/deep/model.txt', 'w').write('weights')\n"
                                     "open('changed.txt', 'w').write('new')"])
    (sub / "changed.txt").write_text("old")
    (sub / "unchanged.txt").write_text("same")
    result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None, limits=SHORT,
                          backend="local", out_dir=tmp_path / "out")
    assert result.verdict is Verdict.COMPLETED, result.message
    back = {p.relative_to(tmp_path / "out" / "files").as_posix(): p.read_text() for p in result.extra_files}
    assert back == {"changed.txt": "new", "out/deep/model.txt": "weights"}


def test_a_forged_files_listing_cannot_write_outside_or_past_the_cap(tmp_path):
    import base64

    from takehome_harness.harness.sandbox.workspace import Workspace, copy_results

    out = tmp_path / "ws-out"
    out.mkdir()
    for name in ("executed.ipynb", "status.json", "trace.jsonl"):
        (out / name).touch()                                   # as the host creates them: empty = not produced
    encode = lambda data: base64.b64encode(data).decode()  # noqa: E731
    listing = {"version": 1, "omitted": [], "files": [
        {"path": "../escape.txt", "base64": encode(b"x")}, {"path": "/etc/escape", "base64": encode(b"x")},
        {"path": "a/./b", "base64": encode(b"x")}, {"path": "big.bin", "base64": encode(b"x" * 5000)},
        {"path": "ok.csv", "base64": encode(b"id,p\n")}, {"path": "bad.bin", "base64": "not base64!"}]}
    (out / "files.json").write_text(json.dumps(listing))
    ws = Workspace(root=tmp_path, input=tmp_path / "in", work=tmp_path / "work", out=out, home=tmp_path,
                   tmp=tmp_path, notebook=tmp_path / "in" / "n.ipynb")
    copied = copy_results(ws, tmp_path / "dest", max_bytes=4000)
    assert sorted(copied.files) == ["files/ok.csv"]
    assert len([w for w in copied.warnings if "ignored" in w]) == 5
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "dest" / "escape.txt").exists()


def test_the_workspace_copy_keeps_regular_files_only_and_never_the_submissions_data(tmp_path):
    from takehome_harness.harness.sandbox.run_protocol import RESULT_FILES
    from takehome_harness.harness.sandbox.workspace import create_workspace

    sub = make_submission(tmp_path, ["x = 1"])
    (sub / "notes").mkdir()
    (sub / "notes" / "data").mkdir()                          # only the top-level data/ is the grader's
    (sub / "notes" / "data" / "keep.txt").write_text("kept")
    (sub / "link.txt").symlink_to(sub / "notebook.ipynb")
    os.mkfifo(sub / "fifo")
    ws = create_workspace(notebook=sub / "notebook.ipynb", workdir=sub)
    try:
        copied = {p.relative_to(ws.input).as_posix() for p in ws.input.rglob("*")}
        assert copied == {"notebook.ipynb", "notes", "notes/data", "notes/data/keep.txt"}
        assert sorted(p.name for p in ws.out.iterdir()) == sorted(RESULT_FILES)
    finally:
        ws.remove()
    assert not ws.root.exists()


def test_an_executed_notebook_is_used_only_if_its_cells_are_the_submitted_ones(tmp_path):
    from takehome_harness.harness.sandbox.run import _unusable_notebook

    submitted = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Churn"),
                                                nbformat.v4.new_code_cell("raise ValueError('real')")])
    nbformat.write(submitted, tmp_path / "submitted.ipynb")
    executed = nbformat.from_dict(submitted)
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", text="ran\n")]   # outputs may differ
    nbformat.write(executed, tmp_path / "executed.ipynb")
    assert _unusable_notebook(tmp_path / "executed.ipynb", submitted=tmp_path / "submitted.ipynb") is None
    executed.cells[1].source = "print('clean')"
    nbformat.write(executed, tmp_path / "executed.ipynb")
    assert _unusable_notebook(tmp_path / "executed.ipynb", submitted=tmp_path / "submitted.ipynb") == \
        "its cells are not the submitted notebook's cells"
    (tmp_path / "executed.ipynb").write_text('{"cells": 1}')
    assert _unusable_notebook(tmp_path / "executed.ipynb", submitted=tmp_path / "submitted.ipynb") == \
        "it is not a valid notebook"


def test_an_absurd_execution_count_does_not_hide_which_cell_failed(tmp_path):
    # the kernel's execution count is the candidate's to set; out of the status schema's range it would
    # make the whole progress report unusable
    result = run_local(tmp_path, ["get_ipython().execution_count = 10**12", "raise ValueError('visible')"])
    assert result.verdict is Verdict.CELL_ERROR and result.failed_cell == 2, (result.message, result.warnings)
    assert result.error_value == "visible"
