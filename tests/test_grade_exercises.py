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

from harness.bundle import create_bundle
from harness.cli import grade
from harness.exercise import load_exercise

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

    The predictions here are the training median for every row (the notebook's own are what get graded:
    the grader reruns it and ignores the shipped file)."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(work)
    [folder] = [p for p in work.iterdir() if p.is_dir()]
    (folder / "notebook.ipynb").write_bytes(notebook)
    with (folder / exercise.test_file).open() as handle:
        keys = [",".join(row[c] for c in exercise.id_columns) for row in csv.DictReader(handle)]
    header = ",".join([*exercise.id_columns, exercise.predictions["prediction_column"]])
    (folder / "predictions.csv").write_text(header + "\n" + "".join(f"{key},30\n" for key in keys))
    result = subprocess.run([sys.executable, "-I", str(folder / "make_submission.py")], cwd=folder,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return folder / "submission.zip"


@pytest.mark.parametrize("exercise_id, notebook, expected", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_bundle_submit_and_grade(exercise_id, notebook, expected, harness_home, tmp_path):
    exercise = load_exercise(exercise_id)
    bundle_zip = Path(create_bundle(exercise_id=exercise_id, candidate="Candidate", out_dir=tmp_path / "b").path)
    submission = submit(exercise, bundle_zip, exercise.file(notebook).read_bytes(), tmp_path / "work")
    result = CliRunner().invoke(grade, [str(submission), "--out", str(tmp_path / "out"), "--sandbox", SANDBOX,
                                        "--timeout", "600"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "submission" / "report.json")
    assert report["run"]["verdict"] == "completed" and report["variant"]["verified"]
    statuses = {f["check"]: f["status"] for f in report["findings"]}
    assert statuses == expected, [(f["check"], f["status"], f["explanation"]) for f in report["findings"]]
    scores, primary = report["scores"], exercise.primary_metric
    assert scores["primary_metric"] == primary and scores["higher_is_better"] == exercise.spec["metrics"]["higher_is_better"]
    hidden, baseline, reference = (scores[k][primary] for k in ("hidden", "baseline", "reference"))
    better = (lambda a, b: a > b) if scores["higher_is_better"] else (lambda a, b: a < b)
    assert better(hidden, baseline) and better(reference, baseline)
    if notebook == "reference_solution.ipynb":
        assert hidden == pytest.approx(reference, rel=0.05)
    html = (tmp_path / "out" / "submission" / "report.html").read_text()
    assert "Reference solution" in html and f"{hidden:.3f}" in html
