"""run_notebook: execute a notebook in the sandbox and return what happened as a RunResult."""
from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator

import nbformat

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.sandbox.backend import MB, BackendRun, Progress
from takehome_harness.harness.sandbox.registry import AUTO, OpenSandbox, check_choice, open_sandbox
from takehome_harness.harness.sandbox.readback import Unreadable, load_status, read_regular_file
from takehome_harness.harness.sandbox.result import Limits, RunResult, Verdict
from takehome_harness.harness.sandbox.verdict import STATE_OF_EXIT_CODE, Observed, classify
from takehome_harness.harness.sandbox.workspace import Workspace, copy_results, create_workspace

LEGACY_NOTE = ("generic mode ran the notebook with the legacy profile: pandas text columns kept as the object "
               "dtype (pandas' own switch, future.infer_string=False) and the seaborn style names matplotlib 3.8 "
               "removed mapped to their renamed styles, so that notebooks written for older versions run")
LOG_TAIL_BYTES = 4000
# Harmless start-up chatter that would bury the useful last lines of the runner's output.
LOG_NOISE = ("Kernel is running over TCP without encryption",)
UNTRUSTED_RESULTS = ("the runner did not end on its own (it was killed or crashed), so the executed notebook, "
                     "the predictions and the other files the run wrote may have been written by the candidate's "
                     "code; none of them was used")


def _quiet(_: str) -> None:
    pass


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C so the finally blocks remove the container and temp folders."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _checked(data_dir: Path, data_ready: Callable[[], None] | None) -> Callable[[], None] | None:
    """What the backend calls before reading data_dir: the grader's own wait, then the check that it is a folder
    (checked now if nothing is being written; None if it is not one)."""
    if data_ready is None:
        return (lambda: None) if data_dir.is_dir() else None

    def ready() -> None:
        data_ready()
        if not data_dir.is_dir():
            raise HarnessError(f"data folder not found: {data_dir}")

    return ready


def default_out_dir(workdir: Path) -> Path:
    return workdir.resolve().with_name(workdir.resolve().name + ".run")


def run_notebook(*, notebook: Path, workdir: Path, data_dir: Path | None, limits: Limits,
                 backend: str | OpenSandbox = AUTO, on_progress: Progress | None = None, out_dir: Path | None = None,
                 predictions_name: str = "predictions.csv", runtime: str | None = None,
                 legacy: bool = False, data_ready: Callable[[], None] | None = None) -> RunResult:
    """Run `notebook` (inside `workdir`) with `data_dir` as its read-only data/ folder.

    `backend` is a registered name (or AUTO), or a backend already opened with registry.open_sandbox (so a
    batch can share one connection). Results are copied (validated, size-capped) into `out_dir` (default:
    `<workdir>.run` beside workdir, recreated): executed.ipynb, status.json, trace.jsonl, and files/<path> for
    every file the run wrote into its folder, e.g. files/predictions.csv. `runtime` selects a Docker runtime
    such as runsc (gVisor). `legacy` turns on the legacy profile (legacy_compat.py): generic mode only, for
    notebooks written before pandas 3 and matplotlib 3.8; the run's warnings say so. `data_ready`: the grader is
    still writing data_dir; called (it blocks until the folder is complete) just before the sandbox reads it, so
    that the run starts meanwhile.
    """
    if isinstance(backend, str):
        check_choice(backend)
    if not notebook.is_file():
        raise HarnessError(f"notebook not found: {notebook}")
    if data_dir is not None:
        data_ready = _checked(data_dir, data_ready)
        if data_ready is None:
            raise HarnessError(f"data folder not found: {data_dir}")
    progress = on_progress or _quiet
    opened = open_sandbox(backend, progress=progress, runtime=runtime) if isinstance(backend, str) else backend
    with _terminate_as_interrupt():
        ws = create_workspace(notebook=notebook, workdir=workdir)
        try:
            run = opened.sandbox.prepare(ws, data_dir=data_dir, limits=limits, legacy=legacy, data_ready=data_ready)
            try:
                raw = run.run()
                progress("reading the results back")
                raw.warnings += run.collect()
            finally:
                run.clean_up()
            raw.warnings[:0] = opened.warnings
            raw.warnings += [LEGACY_NOTE] if legacy else []
            return _result(raw, ws, limits=limits, out_dir=out_dir or default_out_dir(workdir),
                           predictions_name=predictions_name)
        finally:
            ws.remove()


def _result(raw: BackendRun, ws: Workspace, *, limits: Limits, out_dir: Path, predictions_name: str) -> RunResult:
    warnings = list(raw.warnings)
    try:
        status = load_status(ws.out / "status.json")
    except Unreadable as exc:
        status = None
        warnings.append(f"no usable progress report from the run: {exc}")
    verdict = classify(Observed(deadline_hit=raw.deadline_hit, oom_killed=raw.oom_killed, exit_code=raw.exit_code,
                                status=status, total_seconds=limits.total_seconds, memory_mb=limits.memory_mb))
    warnings.extend(verdict.warnings)
    copied = copy_results(ws, out_dir, max_bytes=limits.output_mb * MB)
    warnings.extend(copied.warnings)
    message = verdict.message
    if raw.exit_code not in STATE_OF_EXIT_CODE:
        # Only the runner's own last writes (made after it killed every other process) can be believed.
        message += (" Its result files could have been written by the candidate's code, so none was used: "
                    "no executed notebook, no predictions, no files the run wrote.")
        warnings.append(UNTRUSTED_RESULTS)
        for name in [n for n in copied.files if n != "trace.jsonl"]:
            copied.files.pop(name).unlink()
    executed = copied.files.get("executed.ipynb")
    if executed is not None and (problem := _unusable_notebook(executed, submitted=ws.notebook)):
        warnings.append(f"the executed notebook the run wrote was discarded: {problem}")
        executed.unlink()
        executed = None
    if verdict.verdict in (Verdict.KERNEL_DIED, Verdict.NOT_RUN) and raw.log_path is not None:
        tail = _log_tail(raw.log_path)
        if tail:
            # the kernel shares the runner's stdout: these lines may be the candidate's own
            warnings.append(f"last lines the sandbox printed (runner and kernel, so partly the candidate's code): "
                            f"{tail}")
    predictions = copied.files.get(f"files/{predictions_name}")
    extra = [p for name, p in copied.files.items() if name.startswith("files/") and p != predictions]
    error = verdict.error or {}
    return RunResult(
        verdict=verdict.verdict, backend=raw.backend, isolated=raw.isolated, wall_seconds=round(raw.wall_seconds, 2),
        message=message if raw.isolated else f"{message} (not isolated: local fallback)",
        failed_cell=verdict.failed_cell, error_name=error.get("name"), error_value=error.get("value"),
        traceback=error.get("traceback"), peak_memory_mb=round(raw.peak_memory_mb, 1) if raw.peak_memory_mb else None,
        cell_seconds=verdict.cell_seconds, executed_notebook=executed, predictions=predictions,
        trace=copied.files.get("trace.jsonl"), extra_files=extra,
        limits=limits, image=raw.image, warnings=warnings,
    )


def _cell_sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def _unusable_notebook(path: Path, *, submitted: Path) -> str | None:
    """Why the executed notebook must not be used (None if it may): it must be a valid notebook whose cells
    are exactly the submitted ones, so it can only show what the submitted code did."""
    try:
        executed = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(executed)
    except Exception:  # any parse/validation failure means: do not trust it
        return "it is not a valid notebook"
    if _cell_sources(executed) != _cell_sources(nbformat.read(str(submitted), as_version=4)):
        return "its cells are not the submitted notebook's cells"
    return None


def _log_tail(path: Path) -> str:
    try:
        data = read_regular_file(path, max_bytes=64 * MB)
    except Unreadable:
        return ""
    lines = data[-LOG_TAIL_BYTES:].decode("utf-8", "replace").strip().splitlines()
    return " | ".join(line for line in lines if not any(noise in line for noise in LOG_NOISE))[-1000:]
