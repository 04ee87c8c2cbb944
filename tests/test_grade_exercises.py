"""Every shipped exercise end to end: bundle -> the candidate's make_submission.py -> `grade` in the real
sandbox, for its reference solution and its example submission, with the statuses each must get and the
hidden-test score next to the baseline and reference in the report. Docker under CI=true."""
from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import assert_valid_report, in_ci
from own_data import write_tickets_csv

from takehome_harness.harness.bundle import create_bundle
from takehome_harness.harness.cli import grade, harness
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.exercise_new import new_exercise

pytestmark = [pytest.mark.slow, pytest.mark.docker]

SANDBOX = "docker" if in_ci() else "auto"
PASS = "pass"

# (exercise, notebook in the exercise folder, expected status per check). The reference solutions pass
# everything; the example submissions are plausible candidates with the weaknesses their docstrings name.
CASES = [
    ("delivery", "reference_solution.ipynb",
     {"execution": PASS, "baseline": PASS, "heldout": PASS, "score": PASS, "writeup": PASS,
      "data_handling": PASS}),
    ("delivery", "example_submission/notebook.ipynb",
     {"execution": PASS, "baseline": PASS, "heldout": PASS, "score": PASS, "writeup": "concern",
      "data_handling": PASS}),
    # a seasonal-naive forecast (no fitted model) is recognised as the baseline
    ("demand", "reference_solution.ipynb",
     {"execution": PASS, "baseline": PASS, "heldout": PASS, "score": PASS, "writeup": PASS,
      "data_handling": PASS}),
    # a random split over dates: the score uses the future to predict the past
    ("demand", "example_submission/notebook.ipynb",
     {"execution": PASS, "baseline": PASS, "heldout": "fail", "score": PASS, "writeup": "concern",
      "data_handling": PASS}),
]


def submit(exercise, bundle_zip: Path, notebook: bytes, work: Path) -> Path:
    """What a candidate does: unpack, put their notebook in, write predictions, run make_submission.py.

    The predictions here are 0 for every row (the notebook's own are what get graded:
    the grader reruns it and ignores the shipped file)."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(work)
    [folder] = [p for p in work.iterdir() if p.is_dir()]
    (folder / "notebook.ipynb").write_bytes(notebook)
    with (folder / exercise.test_file).open() as handle:
        keys = [",".join(row[c] for c in exercise.id_columns) for row in csv.DictReader(handle)]
    header = ",".join([*exercise.id_columns, exercise.predictions["prediction_column"]])
    (folder / "predictions.csv").write_text(header + "\n" + "".join(f"{key},0\n" for key in keys))
    result = subprocess.run([sys.executable, "-I", str(folder / "make_submission.py")], cwd=folder,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return folder / "submission.zip"


def bundle_submit_grade(exercise, notebook: str, tmp_path: Path) -> dict:
    """Bundle -> make_submission.py -> grade; the report, after the score block was checked."""
    bundle_zip = Path(create_bundle(exercise_id=exercise.id, candidate="Candidate", out_dir=tmp_path / "b").path)
    submission = submit(exercise, bundle_zip, exercise.file(notebook).read_bytes(), tmp_path / "work")
    result = CliRunner().invoke(grade, [str(submission), "--out", str(tmp_path / "out"), "--sandbox", SANDBOX,
                                        "--timeout", "600"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "submission" / "report.json")
    assert report["run"]["verdict"] == "completed" and report["variant"]["verified"]
    scores, primary = report["scores"], exercise.primary_metric
    assert scores["primary_metric"] == primary and scores["higher_is_better"] == exercise.spec["metrics"]["higher_is_better"]
    hidden, baseline, reference = (scores[k][primary] for k in ("hidden", "baseline", "reference"))
    better = (lambda a, b: a > b) if scores["higher_is_better"] else (lambda a, b: a < b)
    assert better(hidden, baseline) and better(reference, baseline)
    if notebook == "reference_solution.ipynb":
        assert hidden == pytest.approx(reference, rel=0.05)
    html = (tmp_path / "out" / "submission" / "report.html").read_text()
    assert "Reference solution" in html and f"{hidden:.3f}" in html
    return report


def statuses(report: dict) -> dict[str, str]:
    return {f["check"]: f["status"] for f in report["findings"]}


@pytest.mark.parametrize("exercise_id, notebook, expected", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_bundle_submit_and_grade(exercise_id, notebook, expected, harness_home, tmp_path):
    report = bundle_submit_grade(load_exercise(exercise_id), notebook, tmp_path)
    assert statuses(report) == expected, [(f["check"], f["status"], f["explanation"]) for f in report["findings"]]


ALL_PASS = {"execution": PASS, "baseline": PASS, "heldout": PASS, "score": PASS, "writeup": PASS,
            "data_handling": PASS}


@pytest.fixture
def own_exercises(tmp_path, monkeypatch, harness_home):
    root = tmp_path / "team-exercises"
    monkeypatch.setenv("HARNESS_EXERCISES", str(root))
    return root, write_tickets_csv(tmp_path / "tickets.csv")


def test_own_data_time_split_exercise_bundles_and_grades(own_exercises, tmp_path):
    root, csv = own_exercises
    new_exercise(exercise_id="escalation", source=csv, target="escalated", id_column="ticket", time="opened",
                 drop=["email", "cost"], out_dir=root)
    report = bundle_submit_grade(load_exercise("escalation"), "reference_solution.ipynb", tmp_path)
    assert statuses(report) == ALL_PASS, [(f["check"], f["explanation"]) for f in report["findings"]]


def test_exercise_check_grades_the_reference_of_a_random_split_exercise(own_exercises, tmp_path):
    root, csv = own_exercises
    new_exercise(exercise_id="cost", source=csv, target="cost", id_column="ticket", drop=["email", "escalated"],
                 out_dir=root)
    result = CliRunner().invoke(harness, ["exercise", "check", "cost", "--out", str(tmp_path / "checks"),
                                          "--sandbox", SANDBOX], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines()[:len(ALL_PASS)])
    assert lines == ALL_PASS
    summary = next(line for line in result.output.splitlines() if line.startswith("mae on the hidden test"))
    hidden, baseline, reference = (float(part.split()[-1]) for part in summary.split(":", 1)[1].split(","))
    assert hidden < baseline and reference < baseline and hidden == pytest.approx(reference, rel=0.05)
    assert_valid_report(tmp_path / "checks" / "cost-reference-check" / "report.json")
