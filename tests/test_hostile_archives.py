"""Hostile archives through the real `grade` command: a plain-words report, nothing written outside it."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hostile import archives, notebooks
from hostile.grading import IsolatedGrader


@pytest.fixture
def grader(tmp_path) -> IsolatedGrader:
    return IsolatedGrader(tmp_path / "grader")


@pytest.mark.parametrize("build, words", [
    (lambda nb: archives.ratio_bomb(nb, megabytes=8), "zip bomb"),
    (lambda nb: archives.truncated(archives.zip_bytes([archives.Entry("notebook.ipynb", nb)])), "damaged"),
    (lambda nb: archives.invalid_utf8_names(nb), "re-create the zip"),
    (lambda nb: archives.zip_bytes([archives.Entry("README.md", b"no notebook here")]), "no notebook"),
    (lambda nb: archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.lone_surrogate())]),
     "not valid Unicode"),
    (lambda nb: archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.number_too_long())]),
     "number too long to read"),
])
def test_unusable_archive_gets_a_rejection_report_without_running_anything(grader, tmp_path, build, words):
    source = archives.write(tmp_path / "submission.zip", build(notebooks.simple()))
    run = grader.grade(source, total_seconds=20, memory_mb=512, sandbox="local", kill_after=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.report["outcome"] == "rejected" and run.report["run"]["verdict"] == "not_run"
    assert words in run.report["message"]
    assert words in run.html
    assert grader.leftovers() == []


@pytest.mark.docker
@pytest.mark.slow
def test_path_tricks_and_links_are_reported_and_never_land_outside(grader, tmp_path):
    data = archives.zip_bytes([
        archives.Entry("notebook.ipynb", notebooks.simple()),
        archives.Entry("../../../escaped.txt", b"owned"),
        archives.Entry("/tmp/hostile-absolute-escape.txt", b"owned"),
        archives.Entry("predictions.csv", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
    ])
    source = archives.write(tmp_path / "submission.zip", data)
    run = grader.grade(source, total_seconds=60, memory_mb=512, kill_after=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.report["outcome"] == "graded" and run.report["run"]["verdict"] == "completed"
    warnings = " ".join(run.report["warnings"])
    assert "outside the submission folder" in warnings and "symbolic link" in warnings
    assert grader.leftovers() == []
    assert not list(tmp_path.rglob("escaped.txt")) and not Path("/tmp/hostile-absolute-escape.txt").exists()
    assert "root:x:0:0" not in run.all_text()
