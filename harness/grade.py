"""Grade one submission: unpack -> resolve exercise/variant -> grader data -> sandbox -> checks -> score -> report.

Everything the candidate touched is untrusted: it is unpacked by harness.intake, run only in the sandbox,
and read back as JSON/CSV/notebook JSON, never unpickled.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import nbformat

from graders import Evidence, Finding, GradingContext, Status, run_checks
from harness.atomic_files import is_no_room, remove_abandoned_temp_files, write_bytes_atomic, write_text_atomic
from harness.errors import HarnessError, OutputUnwritable, SandboxLost, SubmissionRejected
from harness.exercise import Exercise, load_exercise
from harness.leftovers import GRADE_TEMP_PREFIX
from harness.ownership import owned_temp_dir
from harness.report.html_report import HiddenCurves, render_report_html
from harness.report.json_report import write_json_report
from harness.report.model import (
    ExerciseInfo, Outcome, Report, RunInfo, Scores, SubmissionInfo, VariantInfo, debrief_from,
)
from harness.report.notebook_html import strip_ansi
from harness.sandbox.registry import choices as sandbox_choices
from harness.sandbox.result import Limits, RunResult, Verdict
from harness.submission_files import list_submission_files, shadowing_warnings

LIMIT_OPTIONS = ("total_seconds", "cell_seconds", "memory_mb", "cpus")
REPORT_FILES = ("report.json", "report.html", "executed.ipynb", "predictions.csv")
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class GradeOutcome:
    source: Path
    report_dir: Path
    document: dict[str, Any]          # report.json as written (or as found, when skipped)
    skipped: bool = False             # already graded with the same input; nothing was run

    @property
    def outcome(self) -> str:
        return self.document["outcome"]


@dataclass
class _Variant:
    exercise: Exercise | None
    info: VariantInfo
    seed: int | None = None
    secret: bytes | None = None       # the grading secret, for a bundle; None when this grader has none
    labels_allowed: bool = False
    warnings: list[str] = field(default_factory=list)


def tool_version() -> str:
    try:
        return version("takehome-harness")
    except PackageNotFoundError:
        return "unknown"


def utc_now() -> str:
    """Report timestamps: UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def submission_kind(source: Path) -> str:
    if source.is_dir():
        return "folder"
    suffix = source.suffix.lower()
    return {".zip": "zip", ".ipynb": "notebook"}.get(suffix, "other")


def input_sha256(source: Path) -> str:
    """Hash of what was handed in: the file's bytes, or every file of a folder with its relative path."""
    digest = hashlib.sha256()
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        if source.is_dir():
            digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def submission_label(source: Path, digest: str, *, blind: bool) -> str:
    """Folder name under --out: the submission's name, or an id that reveals nothing when blind."""
    if blind:
        return f"submission-{digest[:10]}"
    stem = source.name if source.is_dir() else source.stem
    return _LABEL_UNSAFE.sub("_", stem).strip("._") or f"submission-{digest[:10]}"


def already_graded(report_dir: Path, digest: str) -> dict[str, Any] | None:
    """The existing report.json if it is for exactly this input (report.json is written last, so it marks
    a complete folder); an internal-error report is never reused, the bug may be fixed by now."""
    try:
        document = json.loads((report_dir / "report.json").read_text())
    except (OSError, ValueError):
        return None
    same_input = document.get("submission", {}).get("input_sha256") == digest
    return document if same_input and document.get("outcome") != "internal_error" else None


def check_options(*, exercise_id: str | None, sandbox: str, limits_overrides: dict[str, Any]) -> Exercise | None:
    """Bad options fail before anything runs, with one clear line; returns the --exercise, if given."""
    if sandbox not in sandbox_choices():
        raise HarnessError(f"--sandbox must be one of {', '.join(sandbox_choices())}, not '{sandbox}'")
    unknown = set(limits_overrides) - set(LIMIT_OPTIONS)
    if unknown:
        raise HarnessError(f"unknown limit(s): {', '.join(sorted(unknown))}")
    for name, value in limits_overrides.items():
        if value is not None and value <= 0:
            raise HarnessError(f"limit {name} must be positive, got {value}")
    return load_exercise(exercise_id) if exercise_id is not None else None


# --- the pipeline --------------------------------------------------------------------------------

def grade_submission(*, source: Path, out_dir: Path, exercise_id: str | None = None, sandbox: str = "auto",
                     blind: bool = False, limits_overrides: dict[str, Any] | None = None, force: bool = False,
                     label: str | None = None, digest: str | None = None, on_progress: Callable[[str], None] | None = None) -> GradeOutcome:
    """Grade one submission into <out_dir>/<label>/ and return what was written.

    Raises HarnessError for bad options or a missing path, SandboxUnavailable when the requested sandbox
    cannot run; a rejected submission or our own crash still produces a report. `digest` is
    input_sha256(source) when the caller already has it (a batch hashes every input to name folders).
    """
    source = Path(source)
    limits_overrides = {k: v for k, v in (limits_overrides or {}).items() if v is not None}
    chosen = check_options(exercise_id=exercise_id, sandbox=sandbox, limits_overrides=limits_overrides)
    if not source.exists():
        raise HarnessError(f"submission not found: {source}")
    digest = digest or input_sha256(source)
    label = label or submission_label(source, digest, blind=blind)
    report_dir = Path(out_dir) / label
    if not force and (existing := already_graded(report_dir, digest)) is not None:
        return GradeOutcome(source=source, report_dir=report_dir, document=existing, skipped=True)
    info = SubmissionInfo(label=label, kind=submission_kind(source), input_sha256=digest,
                          source_name=None if blind else source.name)
    started = utc_now()
    lost = None
    with owned_temp_dir(GRADE_TEMP_PREFIX) as tmp:
        try:
            report, notebook, curves, predictions = _grade(source=source, tmp=tmp, info=info, started=started,
                                              chosen=chosen, sandbox=sandbox, blind=blind,
                                              limits_overrides=limits_overrides, on_progress=on_progress)
        except SubmissionRejected as exc:
            report, notebook, curves, predictions = rejected_report(info=info, started=started, message=str(exc),
                                                                    blind=blind), None, None, None
        except SandboxLost as exc:
            lost = exc
            report, notebook, curves, predictions = (sandbox_lost_report(info=info, started=started, blind=blind),
                                                     None, None, None)
        except HarnessError:
            raise
        except Exception as exc:  # our bug must still leave a report saying so, never a lost submission
            report, notebook, curves, predictions = internal_error_report(info=info, started=started, error=exc,
                                                                          blind=blind), None, None, None
        document = write_report(report, report_dir=report_dir, notebook=notebook, curves=curves,
                                predictions=predictions)
    outcome = GradeOutcome(source=source, report_dir=report_dir, document=document)
    if lost is not None:  # the batch must stop: the rest cannot run either
        lost.outcome = outcome
        raise lost
    return outcome


def _grade(*, source: Path, tmp: Path, info: SubmissionInfo, started: str, chosen: Exercise | None, sandbox: str,
           blind: bool, limits_overrides: dict[str, Any], on_progress: Callable[[str], None] | None,
           ) -> tuple[Report, Any, HiddenCurves | None, Path | None]:
    from harness.intake import unpack_submission
    from harness.report.scores import claimed_primary, claimed_scores, score_hidden_test

    notebook_name = chosen.notebook_name if chosen else "notebook.ipynb"
    submission = unpack_submission(source=source, dest=tmp / "submission", notebook_name=notebook_name)
    files = list_submission_files(submission.dir, notebook_dir=submission.notebook_path.parent)
    info.files = [f for f in files if f.shadows] if blind else files
    variant = resolve_variant(bundle=submission.bundle, chosen=chosen)
    exercise = variant.exercise
    limits = exercise.limits(**limits_overrides) if exercise else Limits(**limits_overrides)

    data_dir = None
    if exercise is not None:
        data_dir = tmp / "grader-data"
        variant.info.verified = _write_grader_data(exercise=exercise, variant=variant, bundle=submission.bundle,
                                                   dest_dir=data_dir)
        variant.labels_allowed = variant.info.verified
        data_dir = data_dir / "data"
    workdir = prepare_workdir(submission_dir=submission.dir, dest=tmp / "work", exercise=exercise)
    notebook_path = workdir / submission.notebook_path.relative_to(submission.dir)
    if exercise is None and (workdir / "data").is_dir():
        data_dir = workdir / "data"  # generic mode: the submission's own data/, mounted read-only like the grader's

    scoring = _prepare_scoring(exercise=exercise, variant=variant)
    run = _sandbox_run(notebook=notebook_path, workdir=workdir, data_dir=data_dir, limits=limits,
                       backend=sandbox, on_progress=on_progress,
                       predictions_name=exercise.predictions["file"] if exercise else "predictions.csv",
                       legacy=exercise is None)
    executed = _read_executed(run)
    trace_warnings: list[str] = []
    events = _load_trace(run.trace, trace_warnings) if run.trace and run.trace.is_file() else []
    labels, reference = scoring.result()
    ctx = GradingContext(
        submitted_notebook=submission.notebook, executed_notebook=executed, run=run, trace=events,
        submission_dir=submission.dir, predictions_path=run.predictions, exercise=exercise,
        hidden_labels=labels, reference_scores=reference,
    )
    findings = run_checks(ctx)
    hidden = score_hidden_test(predictions=run.predictions, labels=labels, exercise=exercise)
    claims = claimed_scores(_heldout_scores(ctx))
    primary = exercise.primary_metric if exercise else None
    scores = Scores(
        primary_metric=primary,
        higher_is_better=bool(exercise.spec["metrics"].get("higher_is_better", True)) if exercise else True,
        hidden=hidden.metrics, hidden_note=hidden.note,
        baseline=(reference or {}).get("baseline"), reference=(reference or {}).get("reference"),
        claimed=claims, claimed_primary=claimed_primary(claims, primary),
    )
    report = Report(
        outcome=Outcome.GRADED, message=run.message, tool_version=tool_version(), started_at=started,
        finished_at=utc_now(), submission=info, run=run_info(run), blind=blind,
        candidate=None if blind else candidate_name(submission.bundle, submission.notebook, info),
        exercise=exercise_info(exercise), variant=variant.info, findings=findings, scores=scores,
        debrief=debrief_from(findings),
        warnings=[*submission.warnings, *shadowing_warnings(files), *variant.warnings, *trace_warnings],
    )
    curves = HiddenCurves(hidden.y_true, hidden.y_score) if hidden.y_true is not None else None
    return report, executed if executed is not None else submission.notebook, curves, run.predictions


def _prepare_scoring(*, exercise: Exercise | None, variant: _Variant) -> Future:
    """(hidden labels, reference scores) of a verified bundle, else (None, None), prepared in a thread while the
    sandbox runs, together with the imports scoring and the report's plots need: the container has a CPU of
    its own, and this work would otherwise wait for it."""
    def prepare() -> tuple[Any, Any]:
        from harness.report.plots import load_plotting

        load_plotting()
        if not variant.labels_allowed:
            return None, None
        from harness.materialize import hidden_labels, reference_scores

        return (hidden_labels(exercise=exercise, seed=variant.seed),
                reference_scores(exercise=exercise, seed=variant.seed))

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grade-scoring")
    future = executor.submit(prepare)
    executor.shutdown(wait=False)
    return future


def _sandbox_run(**kwargs: Any) -> RunResult:
    from harness.sandbox.run import run_notebook

    return run_notebook(**kwargs)


def _load_trace(path: Path, warnings: list[str]) -> list[dict[str, Any]]:
    from graders._trace import load_trace

    return load_trace(path, warnings)


def _heldout_scores(ctx: GradingContext) -> list[Any]:
    from graders._trace import scores_of

    return scores_of(ctx.analysis)


def _read_executed(run: RunResult) -> Any | None:
    if run.executed_notebook is None or not run.executed_notebook.is_file():
        return None
    return nbformat.read(str(run.executed_notebook), as_version=4)


# --- exercise and variant ------------------------------------------------------------------------

def resolve_variant(*, bundle: dict[str, Any] | None, chosen: Exercise | None) -> _Variant:
    """Which exercise and data: bundle.json wins; --exercise alone means the default data, no hidden labels."""
    from harness.variants import grading_secret, variant_seed

    if bundle is not None:
        warnings = []
        if chosen and chosen.id != bundle["exercise"]:
            warnings.append(f"--exercise {chosen.id} was ignored: bundle.json says this is "
                            f"'{bundle['exercise']}'.")
        try:
            exercise = load_exercise(bundle["exercise"])
        except HarnessError:
            raise SubmissionRejected(f"bundle.json names the exercise '{bundle['exercise']}', which this "
                                     "grader does not have.") from None
        if bundle["exercise_version"] != exercise.version:
            warnings.append(f"The bundle was made from version {bundle['exercise_version']} of the exercise; "
                            f"it is graded with version {exercise.version}.")
        secret = grading_secret()
        seed = (variant_seed(exercise_id=exercise.id, bundle_id=bundle["bundle_id"], secret=secret)
                if secret is not None else None)
        return _Variant(exercise=exercise, seed=seed, secret=secret, warnings=warnings, info=VariantInfo(
            bundle_id=bundle["bundle_id"], verified=False, data="variant",
            note=f"The candidate's own data variant, regenerated from bundle {bundle['bundle_id']}."))
    if chosen:
        return _Variant(exercise=chosen, seed=chosen.default_seed, info=VariantInfo(
            bundle_id=None, verified=False, data="default",
            note="No bundle.json: run against the exercise's default data; hidden labels are not used."))
    return _Variant(exercise=None, info=VariantInfo(
        bundle_id=None, verified=False, data="submission",
        note="No bundle.json and no --exercise: generic review; the notebook ran on the files it came with."))


def _write_grader_data(*, exercise: Exercise, variant: _Variant, bundle: dict[str, Any] | None,
                       dest_dir: Path) -> bool:
    """Write the grader's copy of data/; True when it matches bundle.json's checksums (a verified bundle).

    Otherwise (another grading secret, an edited bundle.json, no secret at all) the run gets the default
    data and the hidden labels stay unused, because they would belong to different rows.
    """
    from harness.materialize import write_data
    from harness.variants import SECRET_ENV, secret_path, unverified_reason

    if bundle is None:
        write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
        return False
    if variant.secret is None:
        reason = (f"this grader has no grading secret ({SECRET_ENV} is not set, {secret_path()} does not exist), so "
                  f"it cannot regenerate bundle {bundle['bundle_id']}'s data")
    else:
        write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
        data_paths = [exercise.train_file, exercise.test_file]
        written = {p: hashlib.sha256((dest_dir / p).read_bytes()).hexdigest() for p in data_paths}
        if all(bundle["files"].get(p) == h for p, h in written.items()):
            variant.info.note += " Its data checksums match bundle.json, so the hidden labels were used."
            return True
        shutil.rmtree(dest_dir / "data")
        reason = unverified_reason(bundle_id=bundle["bundle_id"], secret=variant.secret)
    variant.seed = exercise.default_seed
    write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
    variant.info.data = "default"
    variant.info.note = f"Could not verify the bundle: {reason}; run against the default data, hidden labels not used."
    variant.warnings.append(variant.info.note)
    return False


def prepare_workdir(*, submission_dir: Path, dest: Path, exercise: Exercise | None) -> Path:
    """The run's folder: the submission's files, minus what the grader supplies or the run must produce.

    With an exercise, data/ is the grader's read-only copy (mounted by the sandbox) and a shipped
    predictions file is removed so only the clean run's own output is scored.
    """
    ignore = None
    if exercise is not None:
        produced = exercise.predictions["file"]
        ignore = lambda folder, names: [n for n in names if Path(folder) == submission_dir  # noqa: E731
                                        and n in {"data", produced}]
    shutil.copytree(submission_dir, dest, symlinks=False, ignore=ignore)
    return dest


# --- report pieces -------------------------------------------------------------------------------

def exercise_info(exercise: Exercise | None) -> ExerciseInfo | None:
    if exercise is None:
        return None
    return ExerciseInfo(id=exercise.id, version=exercise.version, title=exercise.title,
                        task_type=exercise.task_type)


def candidate_name(bundle: dict[str, Any] | None, notebook: Any, info: SubmissionInfo) -> str | None:
    """Who this is: our bundle registry (bundle.json itself is candidate-editable), else the notebook's
    author metadata, else the submission's name."""
    from harness.bundle_registry import find_bundle

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


def write_report(report: Report, *, report_dir: Path, notebook: Any | None,
                 curves: HiddenCurves | None, predictions: Path | None = None) -> dict[str, Any]:
    """executed.ipynb, predictions.csv (kept for the batch's shared-work step) and report.html first, report.json
    last: its presence means the folder is complete.

    Each file is replaced atomically, and the old report.json goes first, so a grader killed half-way leaves
    a folder that the next run grades again, never a half-written file.
    """
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        remove_abandoned_temp_files(report_dir)
        for name in REPORT_FILES:
            (report_dir / name).unlink(missing_ok=True)
        if notebook is not None and report.run.verdict != Verdict.NOT_RUN.value:
            saved = nbformat.from_dict(notebook)
            if report.blind:
                for key in ("authors", "author"):
                    saved.metadata.pop(key, None)
            write_text_atomic(report_dir / "executed.ipynb", nbformat.writes(saved) + "\n")
        if predictions is not None and predictions.is_file():
            write_bytes_atomic(report_dir / "predictions.csv", predictions.read_bytes())
        write_text_atomic(report_dir / "report.html", render_report_html(report, notebook=notebook, curves=curves))
        return write_json_report(report, report_dir / "report.json")
    except OSError as exc:
        if not is_no_room(exc):
            raise
        raise output_unwritable(report_dir.parent, exc) from None


def output_unwritable(out_dir: Path, exc: OSError) -> OutputUnwritable:
    return OutputUnwritable(f"cannot write to the output folder {out_dir}: {exc.strerror}. Reports already "
                            "finished are complete and kept; make room (or make it writable) and re-run the same "
                            "command to grade the rest")
