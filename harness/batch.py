"""Grade many submissions in parallel; one bad submission never stops the rest.

Each job runs in its own worker process (its own sandbox). Workers ignore SIGINT: on Ctrl-C the parent
cancels what has not started and sends SIGTERM to the workers, which turns into KeyboardInterrupt inside
the running grade, so the sandbox's own cleanup kills its container/kernel. Finished reports stay.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from takehome_harness.harness.atomic_files import is_no_room, remove_abandoned_temp_files
from takehome_harness.harness.errors import HarnessError, OutputUnwritable, SandboxLost, SandboxUnavailable
from takehome_harness.harness.grade import GradeOutcome, grade_submission
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.leftovers import sweep_leftovers
from takehome_harness.harness.reference_prefit import fit_missing_reference_scores
from takehome_harness.harness.report.build import internal_error_report, rejected_report, utc_now
from takehome_harness.harness.report.index import SharedPairRow, write_index_html, write_summary_csv
from takehome_harness.harness.report.model import SubmissionInfo
from takehome_harness.harness.report.write import output_unwritable, write_report
from takehome_harness.harness.shared_work import SharedWork, mark_batch, shared_pair_rows
from takehome_harness.harness.submission_identity import input_sha256, submission_kind, submission_label
from takehome_harness.harness.variants import refuse_if_secret_lost

SHARED_WORK_INTERRUPTED = ("The comparison of the submissions with each other (shared work) was interrupted: "
                           "re-run the same command to finish it (graded submissions are not graded again).")


@dataclass
class BatchJob:
    source: Path
    label: str
    digest: str


@dataclass
class BatchResult:
    outcomes: list[GradeOutcome]
    index_html: Path
    summary_csv: Path
    interrupted: bool = False
    not_started: list[Path] = field(default_factory=list)
    sandbox_lost: str | None = None      # why the sandbox became unavailable part-way; the rest was not graded
    shared_work: list[SharedPairRow] = field(default_factory=list)   # pairs of submissions with work in common

    @property
    def internal_errors(self) -> int:
        return sum(o.outcome == "internal_error" for o in self.outcomes)


def plan_jobs(sources: list[Path], *, blind: bool) -> list[BatchJob]:
    """Check every path exists, then give each a distinct report folder name."""
    missing = [str(s) for s in sources if not Path(s).exists()]
    if missing:
        raise HarnessError(f"submission not found: {', '.join(missing)}")
    jobs = []
    for source in sources:
        digest = input_sha256(Path(source))
        jobs.append(BatchJob(source=Path(source), label=submission_label(Path(source), digest, blind=blind),
                             digest=digest))
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.label] = counts.get(job.label, 0) + 1
    for job in jobs:
        if counts[job.label] > 1:
            job.label = f"{job.label}-{job.digest[:8]}"
    return jobs


def grade_one(job: BatchJob, *, out_dir: Path, options: GradeOptions) -> GradeOutcome:
    """One submission, whatever happens: anything but a missing sandbox becomes a report."""
    try:
        return grade_submission(source=job.source, out_dir=out_dir, label=job.label, digest=job.digest,
                                options=options)
    except (SandboxUnavailable, OutputUnwritable):
        raise
    except HarnessError as exc:
        return failure_outcome(job, out_dir=out_dir, blind=options.blind, message=str(exc))
    except Exception as exc:  # a crash in one job must not cost the other reports
        return failure_outcome(job, out_dir=out_dir, blind=options.blind, error=exc)
    finally:
        _give_back_freed_memory()


def _give_back_freed_memory() -> None:
    """A grade frees what it allocated (tracemalloc finds nothing kept between grades), but glibc keeps the freed
    heap pages, so a process that grades one submission after another grew by 20-35 MB over 25 grades of the soak;
    handing them back after each grade keeps it at its size after the first."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        pass


@functools.cache
def _libc() -> Any:
    return ctypes.CDLL("libc.so.6")


def failure_outcome(job: BatchJob, *, out_dir: Path, blind: bool, message: str | None = None,
                    error: BaseException | None = None) -> GradeOutcome:
    info = SubmissionInfo(label=job.label, kind=submission_kind(job.source), input_sha256=job.digest,
                          source_name=None if blind else job.source.name)
    started = utc_now()
    report = (internal_error_report(info=info, started=started, error=error, blind=blind) if error is not None
              else rejected_report(info=info, started=started, message=message or "unknown problem", blind=blind))
    report_dir = out_dir / job.label
    document = write_report(report, report_dir=report_dir, notebook=None, plots=None)
    return GradeOutcome(source=job.source, report_dir=report_dir, document=document)


_stopping: Any = None  # in a worker: the batch's "stop" event, set by the parent on Ctrl-C


def _worker_init(stopping: Any) -> None:
    global _stopping
    _stopping = stopping
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_running_grade)


def _grade_in_worker(job: BatchJob, *, out_dir: Path, options: GradeOptions) -> GradeOutcome:
    if _stopping is not None and _stopping.is_set():
        raise KeyboardInterrupt  # queued before the interrupt: not started, not graded
    return grade_one(job, out_dir=out_dir, options=options)


def _stop_running_grade(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one interrupt only: let the sandbox cleanup finish
    raise KeyboardInterrupt


def grade_batch(*, sources: list[Path], out_dir: Path, options: GradeOptions | None = None, jobs: int = 1,
                on_done: Callable[[GradeOutcome], None] | None = None,
                on_start: Callable[[int], None] | None = None,
                on_note: Callable[[str], None] | None = None) -> BatchResult:
    """Grade every source into <out_dir>/<label>/, then write <out_dir>/index.html and summary.csv; `on_note` hears
    what the batch does before its first report when that takes a while."""
    options = options or GradeOptions()
    if jobs < 1:
        raise HarnessError(f"--jobs must be at least 1, not {jobs}")
    if not sources:
        raise HarnessError("no submissions given")
    refuse_if_secret_lost()
    planned = plan_jobs(sources, blind=options.blind)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise (output_unwritable(out_dir, exc) if is_no_room(exc) else
               HarnessError(f"cannot use output folder {out_dir}: {exc.strerror}")) from None
    remove_abandoned_temp_files(out_dir)
    done: dict[int, GradeOutcome] = {}
    interrupted = False
    lost: SandboxUnavailable | None = None
    full: OutputUnwritable | None = None

    def finish(position: int, outcome: GradeOutcome) -> None:
        if position in done:
            return
        done[position] = outcome
        if on_done:
            on_done(outcome)

    try:
        with _one_engine_client_per_process(options.sandbox):
            sweep_leftovers(sandbox=options.sandbox)
            if on_start:
                on_start(len(planned))
            if jobs == 1 or len(planned) == 1:
                for position, job in enumerate(planned):
                    finish(position, _grade_or_record_loss(job, position, out_dir=out_dir, options=options,
                                                           finish=finish))
            else:
                fit_missing_reference_scores(sources=[job.source for job in planned], chosen=options.exercise,
                                             on_note=on_note)
                _run_parallel(planned, out_dir=out_dir, options=options, jobs=jobs, finish=finish)
    except KeyboardInterrupt:
        interrupted = True
    except SandboxUnavailable as exc:
        if not done and not isinstance(exc, SandboxLost):
            raise  # unavailable from the start: nothing was graded, one line and exit 3
        lost = exc
    except OutputUnwritable as exc:
        full = exc
    outcomes = [done[i] for i in sorted(done)]
    try:
        shared = mark_batch(outcomes)
    except KeyboardInterrupt:  # every report stands as graded (rewrites are atomic); the index is still written
        interrupted = True
        shared = SharedWork(pairs=[], problems=[SHARED_WORK_INTERRUPTED])
    pairs = shared_pair_rows(shared, out_dir=out_dir)
    rows = [o.row for o in outcomes]
    metric = next((o.primary_metric for o in outcomes if o.primary_metric), None)
    try:
        index_html = write_index_html(rows, out_dir=out_dir, blind=options.blind, metric=metric,
                                      shared=pairs, notes=shared.problems)
        summary_csv = write_summary_csv(rows, out_dir=out_dir, blind=options.blind)
    except OSError as exc:
        if not is_no_room(exc):
            raise
        full = full or output_unwritable(out_dir, exc)
    if full is not None:  # one line and exit 5; the finished reports are complete on disk
        raise full
    return BatchResult(
        outcomes=outcomes, interrupted=interrupted, sandbox_lost=str(lost) if lost else None,
        not_started=[job.source for i, job in enumerate(planned) if i not in done],
        index_html=index_html, summary_csv=summary_csv, shared_work=pairs,
    )


def _one_engine_client_per_process(sandbox: str) -> contextlib.AbstractContextManager:
    """When Docker may be used: the batch's sweep and every grade of this process share one engine client, and
    each forked worker opens one of its own on its first grade and keeps it for the next ones."""
    if sandbox == "local":
        return contextlib.nullcontext()
    from takehome_harness.harness.sandbox.docker_backend import one_engine_connection

    return one_engine_connection()


def _grade_or_record_loss(job: BatchJob, position: int, *, out_dir: Path, options: GradeOptions,
                          finish: Callable[[int, GradeOutcome], None]) -> GradeOutcome:
    """grade_one; when the engine went away mid-run, the interrupted submission's report is kept first."""
    try:
        return grade_one(job, out_dir=out_dir, options=options)
    except SandboxLost as exc:
        if exc.outcome is not None:
            finish(position, exc.outcome)
        raise


def _run_parallel(planned: list[BatchJob], *, out_dir: Path, options: GradeOptions, jobs: int,
                  finish: Callable[[int, GradeOutcome], None]) -> None:
    # fork: workers start fast and need nothing re-imported; they only run grade_one
    context = multiprocessing.get_context("fork")
    stopping = context.Event()
    executor = ProcessPoolExecutor(max_workers=min(jobs, len(planned)), initializer=_worker_init,
                                   initargs=(stopping,), mp_context=context)
    futures: dict[Future, int] = {}
    try:
        futures = {executor.submit(_grade_in_worker, job, out_dir=out_dir, options=options): i
                   for i, job in enumerate(planned)}
        lost: SandboxUnavailable | None = None
        for future in as_completed(futures):
            position = futures[future]
            try:
                outcome = future.result()
            except SandboxUnavailable as exc:
                # the others cannot run either: cancel what has not started, let the running ones end
                lost = lost or exc
                stopping.set()
                for pending in futures:
                    pending.cancel()
                if isinstance(exc, SandboxLost) and exc.outcome is not None:
                    finish(position, exc.outcome)
                continue
            except OutputUnwritable:
                raise  # stop the batch: every other report would fail the same way
            except (CancelledError, KeyboardInterrupt):
                if lost is None:
                    raise
                continue  # queued when the engine went away: not started
            except Exception as exc:  # the worker itself died (e.g. killed): still a report for this one
                outcome = failure_outcome(planned[position], out_dir=out_dir, blind=options.blind, error=exc)
            finish(position, outcome)
        if lost is not None:
            executor.shutdown(wait=True)
            raise lost
    except SandboxUnavailable:
        raise
    except BaseException:
        for future in futures:
            future.cancel()
        stopping.set()  # calls already queued to a worker must not start
        for child in multiprocessing.active_children():
            child.terminate()  # SIGTERM -> KeyboardInterrupt in the worker -> sandbox cleanup
        executor.shutdown(wait=True, cancel_futures=True)
        for future, position in futures.items():  # reports that finished while we were stopping
            if future.done() and not future.cancelled() and future.exception() is None:
                finish(position, future.result())
        raise
    executor.shutdown(wait=True)
