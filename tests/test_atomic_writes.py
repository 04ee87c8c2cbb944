"""Every file the grader writes is replaced in one rename: a grader killed at any moment leaves the old file
or the new one, never half of one, and the next run completes the batch."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import assert_valid_report

from takehome_harness.harness.atomic_files import (KILL_HOOK_ENV, TEMP_MARK, remove_abandoned_temp_files,
                                                   write_text_atomic)

TESTS = Path(__file__).parent
# The real `grade` command with the stand-in sandbox (tests/conftest.py), in a process the test can lose.
GRADE_WITH_FAKE_SANDBOX = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); import conftest, takehome_harness.harness.grade; "
                           "takehome_harness.harness.grade._sandbox_run = conftest.fake_sandbox_run([]); "
                           "from takehome_harness.harness.cli import grade; grade()")


def test_a_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    write_text_atomic(target, '{"old": true}\n')

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_text_atomic(target, '{"new": true}\n')
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_only_temp_files_of_dead_writers_are_swept(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        live = tmp_path / f".index.html{TEMP_MARK}{sleeper.pid}-00000000"
        abandoned = tmp_path / f".index.html{TEMP_MARK}{dead}-00000000"
        for path in (live, abandoned):
            path.write_text("<html")
        assert remove_abandoned_temp_files(tmp_path) == 1
        assert live.exists() and not abandoned.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def notebooks(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}\nprint(x)")])
        paths.append(folder / f"sub{i}.ipynb")
        nbformat.write(nb, str(paths[-1]))
    return paths


def assert_nothing_half_written(out: Path) -> None:
    """Every visible file is whole; only hidden temp files (swept by the next run) may be cut short."""
    for path in out.rglob("*"):
        if path.is_dir() or path.name.startswith("."):
            continue
        text = path.read_text()
        if path.suffix in (".json", ".ipynb"):
            json.loads(text)
        elif path.suffix == ".html":
            assert text.rstrip().endswith("</html>"), path
        elif path.suffix == ".csv":
            rows = list(csv.reader(text.splitlines()))
            assert text.endswith("\n") and len({len(r) for r in rows}) == 1, path


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["executed.ipynb:2", "report.html:3", "report.json:2",
                                     "index.html", "summary.csv"])
def test_grader_killed_while_writing_leaves_no_half_file_and_the_rerun_completes(harness_home, tmp_path, kill_at):
    sources = notebooks(tmp_path / "subs", 4)
    out = tmp_path / "out"
    command = [sys.executable, "-c", GRADE_WITH_FAKE_SANDBOX, *map(str, sources), "--out", str(out), "--json"]
    killed = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, KILL_HOOK_ENV: kill_at})
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert_nothing_half_written(out)
    assert any(TEMP_MARK in p.name for p in out.rglob(".*")), "the kill did not happen mid-write"
    complete = {p.parent.name for p in out.glob("*/report.json")}

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    reports = json.loads(rerun.stdout)["reports"]
    assert {Path(r["report_dir"]).name for r in reports if r["skipped"]} == complete
    assert all(r["outcome"] == "graded" for r in reports)
    for source in sources:
        assert_valid_report(out / source.stem / "report.json")
    assert_nothing_half_written(out)
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]
    assert len((out / "summary.csv").read_text().splitlines()) == 5
