"""`grade` through the real CLI and the real sandbox: the reference solution passes everything and every
corpus case gets its expected findings. Docker under CI=true; locally `auto` (docker if usable)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report, in_ci
from corpus import CASES
from hostile.grading import submission_from_bundle

from takehome_harness.harness.cli import grade

pytestmark = [pytest.mark.slow, pytest.mark.docker]

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"
SANDBOX = "docker" if in_ci() else "auto"


def run_grade(*args) -> dict:
    result = CliRunner().invoke(grade, [*map(str, args), "--sandbox", SANDBOX, "--timeout", "300"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_reference_solution_passes_every_check(harness_home, tmp_path):
    from takehome_harness.harness.bundle import create_bundle

    bundle_zip = Path(create_bundle(exercise_id="churn", candidate="Reference", out_dir=tmp_path / "b").path)
    sub = submission_from_bundle(bundle_zip, tmp_path / "reference.zip", REFERENCE.read_bytes())
    run_grade(sub, "--out", tmp_path / "out")
    report = assert_valid_report(tmp_path / "out" / "reference" / "report.json")
    assert report["run"]["verdict"] == "completed" and report["variant"]["verified"]
    statuses = {f["check"]: f["status"] for f in report["findings"]}
    assert set(statuses.values()) == {"pass"}, statuses
    scores = report["scores"]
    assert scores["hidden"]["roc_auc"] == pytest.approx(scores["reference"]["roc_auc"], abs=0.02)
    assert scores["claimed_primary"] is not None
    html = (tmp_path / "out" / "reference" / "report.html").read_text()
    assert "Ran to the end" in html and html.count("data:image/png;base64,") >= 3


RUNNABLE = [c for c in CASES if c.runnable]


@pytest.fixture(scope="module")
def corpus_reports(tmp_path_factory):
    """Every corpus case graded by one `grade` batch per exercise, two at a time (each sandbox gets one CPU), as a
    hiring team grades a folder of submissions; the tests below read the reports."""
    root = tmp_path_factory.mktemp("corpus-real")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HARNESS_HOME", str(root / "home"))
        env.setenv("HARNESS_SECRET", "corpus-secret")
        for exercise in sorted({c.exercise or "" for c in RUNNABLE}):
            folders = []
            for case in (c for c in RUNNABLE if (c.exercise or "") == exercise):
                folder = root / "in" / case.name
                folder.mkdir(parents=True)
                nbformat.write(case.notebook, str(folder / "notebook.ipynb"))
                for name, text in case.files.items():
                    (folder / name).write_text(text)
                folders.append(folder)
            run_grade(*folders, *(["--exercise", exercise] if exercise else []), "--jobs", "2", "--out", root / "out")
    return root / "out"


@pytest.mark.parametrize("case", RUNNABLE, ids=lambda c: c.name)
def test_corpus_case_gets_its_expected_findings(case, corpus_reports):
    report = assert_valid_report(corpus_reports / case.name / "report.json")
    got = {f["check"]: f["status"] for f in report["findings"]}
    expected = {check: status.value for check, status in case.expected.items()}
    assert {check: got.get(check) for check in expected} == expected, [
        (f["check"], f["explanation"]) for f in report["findings"] if f["check"] in expected]
