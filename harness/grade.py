"""Grade one submission: a short list of steps (unpack, validate, execute, collect, check, score, report), each
a small function over one `_Grading` state; docs/architecture.md names the module behind each.

Everything the candidate touched is untrusted: it is unpacked by takehome_harness.harness.intake, run only in the
sandbox, and read back as JSON/CSV/notebook JSON, never unpickled.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from takehome_harness.graders import Finding, GradingContext, load_trace, run_checks
from takehome_harness.harness.errors import HarnessError, SandboxLost, SubmissionRejected
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.grader_side import GraderSide
from takehome_harness.harness.grading_data import Variant, prepare_workdir, resolve_variant
from takehome_harness.harness.leftovers import GRADE_TEMP_PREFIX
from takehome_harness.harness.ownership import owned_temp_dir
from takehome_harness.harness.report.build import (
    candidate_name, claimed_info, exercise_info, internal_error_report, rejected_report, run_info,
    sandbox_lost_report, tool_version, utc_now,
)
from takehome_harness.harness.report.index import IndexRow, index_row
from takehome_harness.harness.report.model import (PHASES, HiddenCurves, Outcome, Report, ReportPlots, Scores,
                                                  SubmissionInfo, debrief_from)
from takehome_harness.harness.report.write import write_report
from takehome_harness.harness.sandbox.result import Limits, RunResult
from takehome_harness.harness.submission_files import list_submission_files, shadowing_warnings
from takehome_harness.harness.submission_identity import already_graded, input_sha256, submission_kind, submission_label


@dataclass
class GradeOutcome:
    """What one grade left in report_dir, read through typed properties. `document` is report.json as written
    (or found, when skipped); the batch's shared-work step replaces it when it rewrites the report."""

    source: Path
    report_dir: Path
    document: dict[str, Any]
    skipped: bool = False          # already graded with the same input; nothing was run
    # the page's plots as drawn, so the shared-work step can render the page again without drawing them; None when
    # nothing was drawn here
    plots: ReportPlots | None = None

    @property
    def row(self) -> IndexRow:
        """The report's line in the index: outcome, verdict, scores, check statuses, why to look closer."""
        return index_row(self.document, report_dir=self.report_dir, out_dir=self.report_dir.parent)

    @property
    def outcome(self) -> str:
        return self.document["outcome"]

    @property
    def message(self) -> str:
        return self.document["message"]

    @property
    def primary_metric(self) -> str | None:
        return self.document["scores"]["primary_metric"]

    @property
    def run_verdict(self) -> str:
        """takehome_harness.harness.sandbox.result.Verdict value ("not_run" when nothing ran)."""
        return self.document["run"]["verdict"]

    @property
    def run_backend(self) -> str | None:
        return self.document["run"]["backend"]

    @property
    def run_warnings(self) -> list[str]:
        return self.document["run"]["warnings"]

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per phase of the grade (takehome_harness.harness.report.model.PHASES); empty in
        reports older than timings."""
        return self.document["run"].get("timings", {})


def grade_submission(*, source: Path, out_dir: Path, options: GradeOptions | None = None, label: str | None = None,
                     digest: str | None = None, on_progress: Callable[[str], None] | None = None) -> GradeOutcome:
    """Grade one submission into <out_dir>/<label>/ and return what was written.

    Raises HarnessError for a missing path, SandboxUnavailable when the requested sandbox cannot run; a
    rejected submission or our own crash still produces a report. `digest` is input_sha256(source) when the
    caller already has it (a batch hashes every input to name folders).
    """
    source, options = Path(source), options or GradeOptions()
    if not source.exists():
        raise HarnessError(f"submission not found: {source}")
    digest = digest or input_sha256(source)
    label = label or submission_label(source, digest, blind=options.blind)
    report_dir = Path(out_dir) / label
    if not options.force and (existing := already_graded(report_dir, digest)) is not None:
        return GradeOutcome(source=source, report_dir=report_dir, document=existing, skipped=True)
    info = SubmissionInfo(label=label, kind=submission_kind(source), input_sha256=digest,
                          source_name=None if options.blind else source.name)
    started, blind = utc_now(), options.blind
    lost = None
    with owned_temp_dir(GRADE_TEMP_PREFIX) as tmp:
        grading = _Grading(source=source, tmp=tmp, info=info, started=started, options=options,
                           on_progress=on_progress)
        try:
            grading.run_steps()
            report = grading.report
        except SubmissionRejected as exc:
            report = rejected_report(info=info, started=started, message=str(exc), blind=blind)
        except SandboxLost as exc:
            lost = exc
            report = sandbox_lost_report(info=info, started=started, blind=blind)
        except HarnessError:
            raise
        except Exception as exc:  # our bug must still leave a report saying so, never a lost submission
            report = internal_error_report(info=info, started=started, error=exc, blind=blind)
        graded = report is grading.report
        report.run.timings = grading.timings()
        plots = _draw_plots(report, grading.curves) if graded else None
        document = write_report(report, report_dir=report_dir, notebook=grading.notebook_to_save if graded else None,
                                plots=plots, predictions=grading.run.predictions if graded else None,
                                report_started=grading.step_started.get("report", time.monotonic()))
    outcome = GradeOutcome(source=source, report_dir=report_dir, document=document, plots=plots)
    if lost is not None:  # the batch must stop: the rest cannot run either
        lost.outcome = outcome
        raise lost
    return outcome


@dataclass
class _Grading:
    """One submission on its way through STEPS; each step fills in what the next ones read."""

    source: Path
    tmp: Path
    info: SubmissionInfo
    started: str
    options: GradeOptions
    on_progress: Callable[[str], None] | None
    submission: Any = None                       # takehome_harness.harness.intake's unpacked submission
    variant: Variant | None = None
    limits: Limits | None = None
    data_dir: Path | None = None
    grader_side: GraderSide | None = None        # the grader's data, then what scoring needs, beside the sandbox
    run: RunResult | None = None
    context: GradingContext | None = None
    findings: list[Finding] = field(default_factory=list)
    scores: Scores | None = None
    warnings: list[str] = field(default_factory=list)
    report: Report | None = None
    notebook_to_save: Any = None
    curves: HiddenCurves | None = None
    step_started: dict[str, float] = field(default_factory=dict)   # step name -> time.monotonic() when it began
    step_seconds: dict[str, float] = field(default_factory=dict)   # step name -> how long it took
    scoring_wait: float = 0.0                     # of collect's time, waiting for the hidden labels and reference

    def run_steps(self) -> None:
        try:
            for step in STEPS:
                self.run_step(step)
        finally:
            if self.grader_side is not None:
                self.grader_side.finish()   # its thread may still be writing into tmp, which goes next

    def run_step(self, step: Callable[[_Grading], None]) -> None:
        self.step_started[step.__name__] = began = time.monotonic()
        step(self)
        self.step_seconds[step.__name__] = time.monotonic() - began

    def timings(self) -> dict[str, float]:
        """Seconds per phase (takehome_harness.harness.report.model.PHASES) of the steps that ran; write_report adds the
        report's own once report.html is rendered."""
        took = self.step_seconds
        cells = sum(s for s in self.run.cell_seconds if s is not None) if self.run else 0.0
        phases = {
            "intake": took.get("unpack"),
            "data": took["validate"] + self.grader_side.waited if "validate" in took else None,
            "container_start": max(took["execute"] - cells, 0.0) if "execute" in took else None,
            "notebook": min(cells, took["execute"]) if "execute" in took else None,
            "checks": (sum(took.get(name, 0.0) for name in ("collect", "check", "score")) - self.scoring_wait
                       if "collect" in took else None),
        }
        return {name: round(phases[name], 2) for name in PHASES if phases.get(name) is not None}


def unpack(g: _Grading) -> None:
    """Unpack with caps (takehome_harness.harness.intake); list the files, flagging names that shadow modules."""
    from takehome_harness.harness.intake import unpack_submission

    chosen = g.options.exercise
    g.submission = unpack_submission(source=g.source, dest=g.tmp / "submission",
                                     notebook_name=chosen.notebook_name if chosen else "notebook.ipynb")
    files = list_submission_files(g.submission.dir, notebook_dir=g.submission.notebook_path.parent)
    g.info.files = [f for f in files if f.shadows] if g.options.blind else files
    g.warnings += [*g.submission.warnings, *shadowing_warnings(files)]


def validate(g: _Grading) -> None:
    """Which exercise and data; the grader's copy of the data is written and verified against bundle.json's
    checksums beside the sandbox's start (GraderSide)."""
    g.variant = variant = resolve_variant(bundle=g.submission.bundle, chosen=g.options.exercise)
    exercise = variant.exercise
    g.limits = g.options.limits.apply(exercise)
    if exercise is not None:
        g.data_dir = g.tmp / "grader-data" / "data"
    g.grader_side = GraderSide(variant=variant, bundle=g.submission.bundle,
                               data_dest=g.tmp / "grader-data" if exercise is not None else None)


def execute(g: _Grading) -> None:
    """Run the notebook in the sandbox, in a copy of the submission with the grader's data mounted (put in when
    GraderSide has written it); what scoring needs is prepared meanwhile."""
    exercise = g.variant.exercise
    workdir = prepare_workdir(submission_dir=g.submission.dir, dest=g.tmp / "work", exercise=exercise)
    if exercise is None and (workdir / "data").is_dir():
        g.data_dir = workdir / "data"  # generic mode: the submission's own data/, mounted read-only like the grader's
    g.run = _sandbox_run(notebook=workdir / g.submission.notebook_path.relative_to(g.submission.dir),
                         workdir=workdir, data_dir=g.data_dir, limits=g.limits, backend=g.options.sandbox,
                         on_progress=g.on_progress,
                         predictions_name=exercise.predictions["file"] if exercise else "predictions.csv",
                         legacy=exercise is None, data_ready=g.grader_side.data_ready if exercise else None)


def collect(g: _Grading) -> None:
    """What the checks read: the executed notebook, the trace, and for a verified bundle the hidden labels and
    the variant's baseline and reference scores."""
    run, variant = g.run, g.variant
    executed = (nbformat.read(str(run.executed_notebook), as_version=4)
                if run.executed_notebook is not None and run.executed_notebook.is_file() else None)
    trace_warnings: list[str] = []
    events = load_trace(run.trace, trace_warnings)
    waited = g.grader_side.waited
    labels, reference = g.grader_side.scoring()
    g.scoring_wait = g.grader_side.waited - waited
    g.context = GradingContext(
        submitted_notebook=g.submission.notebook, executed_notebook=executed, run=run, trace=events,
        submission_dir=g.submission.dir, predictions_path=run.predictions, exercise=variant.exercise,
        hidden_labels=labels, reference_scores=reference,
    )
    g.warnings += [*variant.warnings, *trace_warnings]


def check(g: _Grading) -> None:
    g.findings = run_checks(g.context)


def score(g: _Grading) -> None:
    """The score block, from what the score check owns (hidden-test and claimed scores, computed once)."""
    ctx, exercise = g.context, g.variant.exercise
    hidden, claim = ctx.hidden_score, ctx.claimed_score
    reference = ctx.reference_scores or {}
    g.scores = Scores(
        primary_metric=exercise.primary_metric if exercise else None,
        higher_is_better=bool(exercise.spec["metrics"].get("higher_is_better", True)) if exercise else True,
        hidden=None if hidden.metrics is None else {k: v for k, v in hidden.metrics.items() if not math.isnan(v)},
        hidden_note=hidden.note,
        baseline=reference.get("baseline"), reference=reference.get("reference"),
        claimed=claimed_info(ctx.claimed_scores), claimed_primary=float(claim.value) if claim else None,
    )
    g.curves = HiddenCurves(hidden.y_true, hidden.y_score) if hidden.y_true is not None else None


def report(g: _Grading) -> None:
    blind, submission, ctx = g.options.blind, g.submission, g.context
    g.report = Report(
        outcome=Outcome.GRADED, message=g.run.message, tool_version=tool_version(), started_at=g.started,
        finished_at=utc_now(), submission=g.info, run=run_info(g.run), blind=blind,
        candidate=None if blind else candidate_name(submission.bundle, submission.notebook, g.info),
        exercise=exercise_info(g.variant.exercise), variant=g.variant.info, findings=g.findings, scores=g.scores,
        debrief=debrief_from(g.findings), warnings=g.warnings,
    )
    g.notebook_to_save = ctx.notebook


STEPS: tuple[Callable[[_Grading], None], ...] = (unpack, validate, execute, collect, check, score, report)


def _draw_plots(report: Report, curves: HiddenCurves | None) -> ReportPlots:
    # matplotlib, imported only once a grade needs it (GraderSide imports it while the sandbox runs)
    from takehome_harness.harness.report.html_report import draw_plots

    return draw_plots(report, curves)


def _sandbox_run(**kwargs: Any) -> RunResult:
    from takehome_harness.harness.sandbox.run import run_notebook

    return run_notebook(**kwargs)
