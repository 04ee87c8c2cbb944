"""Report dataclasses from what the pipeline found: a graded report's pieces, and the reports written when a
submission could not be graded (rejected, engine lost, our own error)."""
from __future__ import annotations

import traceback
from dataclasses import asdict
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from takehome_harness.graders import Evidence, Finding, Status
from takehome_harness.harness.exercise import Exercise
from takehome_harness.harness.report.model import (
    ClaimedScoreInfo, ExerciseInfo, Outcome, Report, RunInfo, SubmissionInfo, debrief_from,
)
from takehome_harness.harness.sandbox.result import RunResult, Verdict
from takehome_harness.harness.terminal_text import strip_ansi


def tool_version() -> str:
    try:
        return version("takehome-harness")
    except PackageNotFoundError:
        return "unknown"


def utc_now() -> str:
    """Report timestamps: UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def exercise_info(exercise: Exercise | None) -> ExerciseInfo | None:
    if exercise is None:
        return None
    return ExerciseInfo(id=exercise.id, version=exercise.version, title=exercise.title,
                        task_type=exercise.task_type)


def candidate_name(bundle: dict[str, Any] | None, notebook: Any, info: SubmissionInfo) -> str | None:
    """Who this is: our bundle registry (bundle.json itself is candidate-editable), else the notebook's
    author metadata, else the submission's name."""
    from takehome_harness.harness.bundle_registry import find_bundle

    issued = find_bundle(bundle["bundle_id"]) if bundle else None
    if issued is not None:
        return issued.candidate
    authors = (notebook.get("metadata") or {}).get("authors") or []
    names = [a.get("name") for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    return ", ".join(names) if names else info.label


def run_info(run: RunResult) -> RunInfo:
    return RunInfo(
        verdict=run.verdict.value, message=run.message, backend=run.backend, isolated=run.isolated,
        wall_seconds=run.wall_seconds, peak_memory_mb=run.peak_memory_mb, limits=asdict(run.limits),
        failed_cell=run.failed_cell, error_name=run.error_name, error_value=run.error_value,
        traceback=strip_ansi(run.traceback) if run.traceback else None, cell_seconds=list(run.cell_seconds),
        image=run.image, warnings=list(run.warnings),
    )


def claimed_info(claims: list[Any]) -> list[ClaimedScoreInfo]:
    """The scores the notebook computed itself (takehome_harness.graders._trace.ClaimedScore: finite, metric names
    already made canonical where known) as report entries."""
    return [ClaimedScoreInfo(metric=str(c.metric), value=float(c.value),
                             cell=c.cell, heldout=bool(c.heldout), model=c.model, is_baseline=bool(c.is_baseline))
            for c in claims]


def rejected_report(*, info: SubmissionInfo, started: str, message: str, blind: bool) -> Report:
    finding = Finding(check="intake", title="Submission intake", status=Status.FAIL,
                      explanation=f"The submission could not be graded: {message}",
                      evidence=[Evidence(source="file", summary=message)],
                      question="Can you send the submission again as a zip of your project folder with the notebook "
                               "at its top level?")
    return Report(outcome=Outcome.REJECTED, message=message, tool_version=tool_version(), started_at=started,
                  finished_at=utc_now(), submission=info, blind=blind,
                  run=RunInfo(verdict=Verdict.NOT_RUN.value, message="Nothing was run: the submission was rejected."),
                  findings=[finding], debrief=debrief_from([finding]))


def sandbox_lost_report(*, info: SubmissionInfo, started: str, blind: bool) -> Report:
    """The engine went away mid-run: not graded, not the candidate's fault; an internal_error outcome, so the
    next run grades it again."""
    message = ("The Docker engine stopped during the run, so this submission was not graded; this is not the "
               "candidate's fault. Start the engine again and re-run the same command to grade it.")
    return Report(outcome=Outcome.INTERNAL_ERROR, message=message, tool_version=tool_version(),
                  started_at=started, finished_at=utc_now(), submission=info, blind=blind,
                  run=RunInfo(verdict=Verdict.NOT_RUN.value, message=message), warnings=[message])


def internal_error_report(*, info: SubmissionInfo, started: str, error: BaseException, blind: bool) -> Report:
    """Our own failure, said plainly; the traceback goes into the run details for whoever fixes it."""
    message = f"internal error while grading: {type(error).__name__}: {error}"
    return Report(outcome=Outcome.INTERNAL_ERROR, message=message, tool_version=tool_version(),
                  started_at=started, finished_at=utc_now(), submission=info, blind=blind,
                  run=RunInfo(verdict=Verdict.NOT_RUN.value, message="Grading stopped on an internal error.",
                              traceback="".join(traceback.format_exception(error))),
                  warnings=[message])
