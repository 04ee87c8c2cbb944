"""report.json: the versioned schema accepts what we write and rejects what we must never write."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from takehome_harness.graders.finding import Evidence, Finding, Status
from takehome_harness.harness.report.json_report import (report_document, report_schema, validation_errors,
                                                         write_json_report)
from takehome_harness.harness.report.model import (
    ClaimedScoreInfo, ExerciseInfo, Outcome, Report, RunInfo, Scores, SubmissionInfo, VariantInfo, debrief_from,
)


def full_report() -> Report:
    findings = [
        Finding(check="leakage", title="Leakage", status=Status.FAIL, explanation="Fit on test rows.",
                evidence=[Evidence(source="trace", summary="fit", cell=3, lines="m.fit(X_test)",
                                   data={"rows": np.int64(12), "share": np.float64(0.5), "nan": float("nan")})],
                question="Why?"),
        Finding(check="writeup", title="Write-up", status=Status.PASS, explanation="Fine.",
                details={"text": "Next steps"}),
    ]
    return Report(
        outcome=Outcome.GRADED, message="ok", tool_version="0.1.0",
        started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:02:00+00:00",
        submission=SubmissionInfo(label="ada", kind="zip", input_sha256="a" * 64, source_name="ada.zip"),
        run=RunInfo(verdict="completed", message="ran", backend="docker", isolated=True, wall_seconds=12.5,
                    peak_memory_mb=300.0, limits={"total_seconds": 900, "memory_mb": 2048}, cell_seconds=[1.0, None]),
        candidate="Ada", exercise=ExerciseInfo(id="churn", version="1.0", title="Churn",
                                              task_type="binary_classification"),
        variant=VariantInfo(bundle_id="abc", verified=True, data="variant", note="n"),
        findings=findings,
        scores=Scores(primary_metric="roc_auc", hidden={"roc_auc": 0.8}, baseline={"roc_auc": 0.5},
                      reference={"roc_auc": 0.81},
                      claimed=[ClaimedScoreInfo(metric="roc_auc", value=0.9, cell=5, heldout=True,
                                                model="LogisticRegression", is_baseline=False)],
                      claimed_primary=0.9),
        debrief=debrief_from(findings),
    )


def test_full_report_validates_and_is_plain_json(tmp_path):
    document = write_json_report(full_report(), tmp_path / "report.json")
    assert document["schema_version"] == report_schema()["properties"]["schema_version"]["const"] == "1.0"
    assert json.loads((tmp_path / "report.json").read_text()) == document
    data = document["findings"][0]["evidence"][0]["data"]
    assert data == {"rows": 12, "share": 0.5, "nan": None}
    assert document["debrief"] == [{"check": "leakage", "status": "fail", "question": "Why?"}]


@pytest.mark.parametrize("mutate,where", [
    (lambda d: d.update(schema_version="2.0"), "schema_version"),
    (lambda d: d.pop("scores"), "(top level)"),
    (lambda d: d["findings"][0].update(status="bad"), "findings/0/status"),
    (lambda d: d["run"].update(verdict="exploded"), "run/verdict"),
    (lambda d: d["variant"].update(seed=123), "variant"),
    (lambda d: d["submission"].update(input_sha256="xyz"), "submission/input_sha256"),
    (lambda d: d.update(started_at="yesterday"), "started_at"),
])
def test_schema_rejects_broken_documents(mutate, where):
    document = report_document(full_report())
    assert validation_errors(document) == []
    broken = copy.deepcopy(document)
    mutate(broken)
    errors = validation_errors(broken)
    assert errors and any(e.startswith(where) for e in errors), errors


def test_invalid_report_is_never_written(tmp_path):
    report = full_report()
    report.run.verdict = "exploded"
    with pytest.raises(ValueError, match="does not match its schema"):
        write_json_report(report, tmp_path / "report.json")
    assert not (tmp_path / "report.json").exists()


def test_a_written_document_reads_back_into_the_same_report():
    from takehome_harness.harness.report.reload import report_from_document

    document = report_document(full_report())
    assert report_document(report_from_document(copy.deepcopy(document))) == document
