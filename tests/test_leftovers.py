"""Every `grade` sweeps the containers and temp folders of graders that died, never those of a live one."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import in_ci

from takehome_harness.harness.ownership import OWNER_FILE, current_owner, owner_is_gone, remove_abandoned_temp_dirs

GRADE = "from takehome_harness.harness.cli import grade; grade()"


def dead_owner() -> str:
    """The owner string of a process that has exited."""
    out = subprocess.run([sys.executable, "-c", "from takehome_harness.harness.ownership import current_owner; print(current_owner())"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_owner_is_gone_only_when_certainly_dead():
    assert not owner_is_gone(current_owner())
    assert owner_is_gone(dead_owner())
    host, pid, started = current_owner().split("/")
    assert owner_is_gone(f"{host}/{pid}/{float(started) - 100:.2f}")   # the pid was reused by a newer process
    assert not owner_is_gone(f"another-host/{pid}/1.00")
    assert not owner_is_gone("garbage")


def test_only_folders_of_dead_graders_are_swept(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live, dead, unmarked = (tmp_path / f"harness-grade-{n}" for n in ("live", "dead", "unmarked"))
    for folder, owner in ((live, current_owner()), (dead, dead_owner()), (unmarked, None)):
        folder.mkdir()
        if owner:
            (folder / OWNER_FILE).write_text(owner)
    assert remove_abandoned_temp_dirs(("harness-grade-",)) == 1
    assert live.exists() and unmarked.exists() and not dead.exists()
    os.utime(unmarked, (time.time() - 3 * 3600,) * 2)   # an old version's folder, untouched for hours
    assert remove_abandoned_temp_dirs(("harness-grade-",)) == 1 and not unmarked.exists()


def sleeper(path: Path, seconds: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})")])
    nbformat.write(nb, str(path))
    return path


def running_containers_mounting(root: Path) -> list[str]:
    """Sandbox containers whose run's temp folder is under root."""
    from hostile.grading import docker_containers

    from takehome_harness.harness.sandbox.image import LABEL

    return docker_containers(LABEL, mounting=root)


def wait_for_container(root: Path, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if found := running_containers_mounting(root):
            return found[0]
        time.sleep(0.5)
    pytest.fail("the grader never started its sandbox container")


@pytest.mark.slow
@pytest.mark.docker
def test_grade_sweeps_a_killed_graders_leftovers_but_not_a_live_ones(harness_home, tmp_path):
    sandbox = "docker" if in_ci() else "auto"
    env_for = lambda name: {**os.environ, "TMPDIR": str((tmp_path / name).mkdir() or tmp_path / name)}  # noqa: E731
    killed_env, live_env = env_for("tmp-killed"), env_for("tmp-live")
    command = [sys.executable, "-c", GRADE, "--sandbox", sandbox, "--timeout", "120", "--json"]

    live = subprocess.Popen([*command, str(sleeper(tmp_path / "live" / "live.ipynb", 25)), "--out",
                             str(tmp_path / "out-live")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=live_env)
    victim = subprocess.Popen([*command, str(sleeper(tmp_path / "victim" / "victim.ipynb", 300)), "--out",
                               str(tmp_path / "out-killed")], env=killed_env)
    live_container = wait_for_container(tmp_path / "tmp-live", live)
    killed_container = wait_for_container(tmp_path / "tmp-killed", victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert running_containers_mounting(tmp_path / "tmp-killed") == [killed_container]
    assert list((tmp_path / "tmp-killed").iterdir())   # its work folders are still there

    # a new grade, with the killed one's temp folder, sweeps only what the dead grader left
    after = subprocess.run([*command, str(sleeper(tmp_path / "next" / "next.ipynb", 0)), "--out",
                            str(tmp_path / "out-next")], capture_output=True, text=True, env=killed_env, timeout=300)
    assert after.returncode == 0, after.stderr[-2000:]
    assert running_containers_mounting(tmp_path / "tmp-killed") == []
    assert list((tmp_path / "tmp-killed").iterdir()) == []
    assert running_containers_mounting(tmp_path / "tmp-live") == [live_container]

    stdout, stderr = live.communicate(timeout=300)
    assert live.returncode == 0, stderr[-2000:]
    assert json.loads(stdout)["reports"][0]["verdict"] == "completed"
