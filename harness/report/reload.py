"""A written report.json back into a Report, so a later step (the batch's shared-work comparison) can add a
finding and render the same report again."""
from __future__ import annotations

from typing import Any

from takehome_harness.graders.finding import Evidence, Finding, Status
from takehome_harness.harness.report.model import (
    ClaimedScoreInfo, DebriefQuestion, ExerciseInfo, Outcome, Report, RunInfo, Scores, SubmissionInfo, VariantInfo,
)
from takehome_harness.harness.submission_files import SubmissionFile


def finding_from_document(item: dict[str, Any]) -> Finding:
    return Finding(check=item["check"], title=item["title"], status=Status(item["status"]),
                   explanation=item["explanation"], question=item["question"], details=dict(item["details"]),
                   evidence=[Evidence(**e) for e in item["evidence"]])


def report_from_document(document: dict[str, Any]) -> Report:
    """The inverse of Report.to_dict for a document that validates against report.schema.json."""
    submission = dict(document["submission"])
    submission["files"] = [SubmissionFile(**f) for f in submission.get("files", [])]
    scores = dict(document["scores"])
    scores["claimed"] = [ClaimedScoreInfo(**c) for c in scores["claimed"]]
    return Report(
        outcome=Outcome(document["outcome"]), message=document["message"], tool_version=document["tool_version"],
        started_at=document["started_at"], finished_at=document["finished_at"],
        submission=SubmissionInfo(**submission), run=RunInfo(**document["run"]), blind=document["blind"],
        candidate=document["candidate"],
        exercise=ExerciseInfo(**document["exercise"]) if document["exercise"] else None,
        variant=VariantInfo(**document["variant"]) if document["variant"] else None,
        findings=[finding_from_document(f) for f in document["findings"]], scores=Scores(**scores),
        debrief=[DebriefQuestion(**q) for q in document["debrief"]], warnings=list(document["warnings"]),
        schema_version=document["schema_version"],
    )
