"""Execute one notebook cell by cell, keeping a status file current after every cell.

This file runs INSIDE the sandbox (and as a subprocess for the local backend), so it uses only the
standard library, nbformat and nbclient: the harness package is not installed there. Everything it
writes is read back by the host as untrusted data (status.json is schema-checked).

The runner copies the submission (--input, read-only) into the working folder (--work; in Docker a
sized tmpfs) and runs the notebook there. The output folder (--out) holds only the files the host
created for it (RESULT_FILES), which the runner rewrites in place; it cannot create others, so the
host's disk holds at most len(RESULT_FILES) files of at most the fsize limit each:
  executed.ipynb  the notebook as far as it got (at the end)
  status.json     per-cell start/end/seconds, execution_count, error, overall state (after every cell)
  trace.jsonl     the kernel hook (if present) appends JSON lines ($HARNESS_TRACE_PATH)
  files.json      at the end: files the run created or changed in the working folder (base64, capped)

How the run ended is the runner's EXIT CODE (EXIT_CODES), which candidate code cannot forge: it can
only kill the runner, and that shows as a signal. In a container (--container) the runner is
non-dumpable (no ptrace, no /proc/<pid>/mem for the sandbox uid) and, before its final writes, kills
every other process of its uid, so nothing rewrites the results after the runner's last write; the host
believes the result files only when the runner ended on its own (killed, it may not have had the last word).
"""
from __future__ import annotations

import argparse
import base64
import ctypes
import filecmp
import json
import os
import re
import signal
import stat
import sys
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_client import AsyncKernelClient, AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
# Run as a script beside run_protocol.py (the image's /opt/harness/, the local backend's subprocess), where its
# folder is first on sys.path; imported as a package module only by tests.
if __package__:
    from .run_protocol import EXIT_CODES, FILES_VERSION, copy_in
else:
    from run_protocol import EXIT_CODES, FILES_VERSION, copy_in

STATUS_VERSION = 1
MAX_TEXT_CHARS = 100_000          # per output: enough to read, small enough to render
MAX_IMAGE_CHARS = 2_000_000       # base64 characters per image (~1.5 MB)
MAX_TRACEBACK_CHARS = 20_000
MAX_CELL_OUTPUT_CHARS = 5_000_000  # kept per cell as outputs arrive; errors are always kept
HOOK_TIMEOUT_SECONDS = 60
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_PRODUCED_FILES = 50
STOP_OTHERS_SECONDS = 10
MAX_EXECUTION_COUNT = 1_000_000_000   # status.schema.json's bound
PR_SET_DUMPABLE = 4
INPUT_POLL_SECONDS = 0.02
KERNEL_EXIT_POLL_SECONDS = 0.01


def write_result(path: Path, data: bytes) -> None:
    """Rewrite one of the host-created result files in place (the runner may not create files there)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    write_result(path, text.encode("utf-8"))


def make_undumpable() -> None:
    """No other process of this uid may ptrace this one or open its /proc/<pid>/mem, fd/ or environ."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _others_alive() -> list[int]:
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, os.getpid()):
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if state not in ("Z", "X"):  # a zombie cannot write anything
            alive.append(int(entry))
    return alive


def stop_other_processes() -> None:
    """SIGKILL every process this uid may signal except itself and init, and wait until they are gone.

    Only in the container, where the runner's pid namespace is the sandbox: kill(-1) there cannot reach
    anything outside. Refuses to run unless the runner's parent is the namespace's init.
    """
    if os.getppid() != 1:
        raise RuntimeError("not running under the container's init: refusing to kill(-1)")
    deadline = time.monotonic() + STOP_OTHERS_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        # SIGKILL is delivered asynchronously: one that is mid-syscall may still finish that write.
        if not _others_alive():
            return
        time.sleep(0.05)


def produced_files(source: Path, work: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """Regular files under work/ (not data/) that are new or differ from the submission's copy, and what
    could not be looked at (the notebook may make files or folders unreadable): each of those is named."""
    found, unreadable = [], []

    def skipped(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(work).as_posix() if exc.filename else "the working folder"
        unreadable.append(f"{where}: could not be read ({exc.strerror})")

    for folder, dirs, files in os.walk(work, followlinks=False, onerror=skipped):
        if Path(folder) == work and "data" in dirs:
            dirs.remove("data")
        for name in files:
            path = Path(folder) / name
            rel = path.relative_to(work).as_posix()
            original = source / rel
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                if original.is_file() and not original.is_symlink() and filecmp.cmp(original, path, shallow=False):
                    continue
            except OSError as exc:
                skipped(exc)
                continue
            found.append((rel, path))
    return sorted(found), unreadable


def files_listing(files: list[dict[str, str]], omitted: list[str]) -> bytes:
    return json.dumps({"version": FILES_VERSION, "files": files, "omitted": omitted[:100]}).encode("ascii")


def pack_files(source: Path, work: Path, *, max_bytes: int) -> bytes:
    """files.json: what the run wrote, base64 in JSON, at most MAX_PRODUCED_FILES and max_bytes in all."""
    files, budget = [], max_bytes
    produced, omitted = produced_files(source, work)
    for rel, path in produced[MAX_PRODUCED_FILES:]:
        omitted.append(f"{rel}: more than {MAX_PRODUCED_FILES} files were written")
    for rel, path in produced[:MAX_PRODUCED_FILES]:
        size = path.stat().st_size
        encoded_size = 4 * ((size + 2) // 3) + len(rel) + 64
        if encoded_size > budget:
            omitted.append(f"{rel}: {size} bytes do not fit in what is left of the output cap")
            continue
        try:
            files.append({"path": rel, "base64": base64.b64encode(path.read_bytes()).decode("ascii")})
        except OSError as exc:
            omitted.append(f"{rel}: {exc.strerror}")
            continue
        budget -= encoded_size
    return files_listing(files, omitted)


def prepare_notebook(nb: Any) -> None:
    """A clean slate: python3 kernel, no old outputs/counts/tags, predictable cell ids."""
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"harness-cell-{index}"
        # Tags such as skip / raises-exception must not change how the clean run behaves.
        cell.metadata.pop("tags", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... output truncated by the harness: {len(text) - limit} more characters]"


def truncate_outputs(cell: Any) -> None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            output["text"] = _cap("".join(output.get("text", "")), MAX_TEXT_CHARS)
        elif output.get("output_type") == "error":
            output["traceback"] = [_cap(line, MAX_TEXT_CHARS) for line in output.get("traceback", [])[:200]]
        data = output.get("data")
        if not data:
            continue
        for mime in list(data):
            value = data[mime]
            value = "".join(value) if isinstance(value, list) else value
            if not isinstance(value, str):
                data[mime] = _cap(json.dumps(value), MAX_TEXT_CHARS)
            elif mime.startswith("image/") and mime != "image/svg+xml":
                if len(value) > MAX_IMAGE_CHARS:
                    del data[mime]
                    data.setdefault("text/plain", f"[image removed by the harness: {len(value)} characters]")
            else:
                data[mime] = _cap(value, MAX_TEXT_CHARS)


class StatusFile:
    """The run's progress, rewritten after every state change."""

    def __init__(self, path: Path, nb: Any) -> None:
        self.path = path
        self.data: dict[str, Any] = {
            "version": STATUS_VERSION,
            "state": "starting",
            "message": "",
            "hook": "not_run",
            "started_at": time.time(),
            "updated_at": time.time(),
            "failed_cell": None,
            "cells": [
                {"index": i, "cell_type": c.cell_type, "state": "pending", "started": None, "ended": None,
                 "seconds": None, "execution_count": None, "error": None}
                for i, c in enumerate(nb.cells)
            ],
        }

    def cell(self, index: int) -> dict[str, Any]:
        return self.data["cells"][index]

    def save(self, **changes: Any) -> None:
        self.data.update(changes, updated_at=time.time())
        write_text(self.path, json.dumps(self.data))


class PromptlyReadyClient(AsyncKernelClient):
    """Ready as soon as the kernel has answered a kernel_info request on the shell channel and then said idle on
    IOPub with that request as parent, which also proves IOPub is connected. jupyter_client's own check goes on to
    drain IOPub until it has been silent for 0.2 s, a wait in every run; nbclient and run_silently read only
    messages whose parent is their own request, so the earlier ones need no draining."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while time.monotonic() < deadline:
            request = self.kernel_info()
            reply = await _answer(self.shell_channel, request, wait=1, deadline=deadline)
            if reply is not None and await _answer(self.iopub_channel, request, wait=0.2, deadline=deadline,
                                                   idle=True) is not None:
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


async def _answer(channel: Any, request: str, *, wait: float, deadline: float,
                  idle: bool = False) -> dict[str, Any] | None:
    """The next message on `channel` whose parent is `request` (with idle: its idle status), or None once the
    channel has been silent for `wait` seconds or time.monotonic() has passed `deadline` (messages of other
    parents do not keep it waiting longer)."""
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await channel.get_msg(timeout=min(wait, left))
        except Empty:
            return None
        if msg["parent_header"].get("msg_id") != request:
            continue
        if not idle or (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"):
            return msg
    return None


class SafePathKernelManager(AsyncKernelManager):
    """Starts the kernel with `python -P`: the working folder is not put first on sys.path, so a submitted
    ipykernel_launcher.py, IPython.py or traceback.py cannot replace the kernel's own modules (and hide
    its errors). The flag is not inherited: the candidate's own `python script.py` behaves as usual."""

    client_factory = PromptlyReadyClient

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return [cmd[0], "-P", *cmd[1:]]

    async def _async_wait(self, pollinterval: float = KERNEL_EXIT_POLL_SECONDS) -> None:
        """After the kernel is killed, look for its exit every 10 ms instead of jupyter_client's 100 ms: it is
        gone within milliseconds, and the first look, right after the kill, always finds it still there."""
        await super()._async_wait(pollinterval)


# The candidate's helper modules stay importable, after everything installed ('' is the kernel's cwd).
IMPORT_LAST_FROM_WORKING_FOLDER = "__import__('sys').path.append('')"


def run_silently(client: NotebookClient, script: Path, *, run_name: str) -> str:
    """Execute one of the harness's scripts in the kernel silently (no history, no execution count, no output)."""
    if not script.is_file():
        return "missing"
    code = f"__import__('runpy').run_path({str(script)!r}, run_name={run_name!r}) and None"
    msg_id = client.kc.execute(code, silent=True, store_history=False)
    saved_timeout, client.timeout = client.timeout, HOOK_TIMEOUT_SECONDS
    try:
        reply = client.wait_for_reply(msg_id)
    finally:
        client.timeout = saved_timeout
    content = (reply or {}).get("content", {})
    if content.get("status") == "ok":
        return "loaded"
    return f"failed: {content.get('ename', 'no reply')}: {content.get('evalue', '')}"[:500]


class CellIdSender:
    """Send each cell's id with its execute_request (metadata.cellId), as Jupyter front ends do.

    nbclient leaves it out, and the kernel hook maps IPython's `info.cell_id` to the cell index.
    """

    def __init__(self, client: NotebookClient) -> None:
        self.current: str | None = None
        self._msg = client.kc.session.msg
        client.kc.session.msg = self.msg

    def msg(self, msg_type: str, content: Any = None, parent: Any = None, header: Any = None,
            metadata: Any = None) -> dict[str, Any]:
        if msg_type == "execute_request" and self.current is not None:
            metadata = {**(metadata or {}), "cellId": self.current}
        return self._msg(msg_type, content, parent, header, metadata)


def _plausible_count(cell: Any) -> int | None:
    """The kernel's execution count (the candidate's code can set it to anything), if it fits the status schema."""
    count = cell.get("execution_count")
    return count if isinstance(count, int) and 0 <= count <= MAX_EXECUTION_COUNT else None


def _error_of(exc: Exception, cell: Any) -> dict[str, str]:
    if isinstance(exc, CellExecutionError):
        name, value = exc.ename, exc.evalue
    else:
        name, value = type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""
    tb = "\n".join(
        "\n".join(o.get("traceback", [])) for o in cell.get("outputs", []) if o.get("output_type") == "error"
    ) or str(exc)
    tb = ANSI_ESCAPE.sub("", tb)  # colours belong in the notebook, not in a plain-text report
    return {"name": str(name)[:500], "value": str(value)[:5000], "traceback": _cap(tb, MAX_TRACEBACK_CHARS)}


class BoundedOutputClient(NotebookClient):
    """Stops keeping a cell's outputs once they pass a budget, as they arrive: otherwise a flood of prints
    sits in the runner's memory until the cell ends and the run dies of it. Tracebacks are always kept,
    they are the evidence of how the cell ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_chars: dict[int, int] = {}

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        if msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        kept = self._kept_chars.get(cell_index, 0)
        if kept >= MAX_CELL_OUTPUT_CHARS:
            return None
        content = msg.get("content") or {}
        size = len(content.get("text") or "") + sum(len(v) if isinstance(v, str) else len(json.dumps(v))
                                                    for v in (content.get("data") or {}).values())
        self._kept_chars[cell_index] = kept + size
        if kept + size > MAX_CELL_OUTPUT_CHARS:
            outs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"[... further output of this cell dropped by the harness: over {MAX_CELL_OUTPUT_CHARS} characters]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs: list[Any], msg: dict[str, Any], cell_index: int) -> None:
        self._kept_chars[cell_index] = 0  # progress bars redraw by clearing; what was cleared is not kept
        super().clear_output(outs, msg, cell_index)


class SubmissionMissing(Exception):
    """The submission never arrived, or could not be copied into the working folder: the run is a runner_error."""


def wait_for(path: Path | None, *, deadline: float) -> None:
    """Until `path` exists (the host's sign that every file of the run is in place); None: they already are."""
    while path is not None and not path.exists():
        if time.monotonic() > deadline:
            raise SubmissionMissing(f"the submission did not arrive ({path} never appeared)")
        time.sleep(INPUT_POLL_SECONDS)


class Submission:
    """The submitted notebook, read into `nb` in place (the client was made with `nb` before it was there),
    its status file, and its files in the working folder: loaded once, when the host has put them in."""

    def __init__(self, *, source: Path, work: Path, notebook_rel: str, out_dir: Path, ready: Path | None,
                 deadline: float) -> None:
        self.source, self.work, self.notebook_rel, self.out_dir = source, work, notebook_rel, out_dir
        self.ready, self.deadline = ready, deadline
        self.nb = nbformat.v4.new_notebook()
        self.status: StatusFile | None = None

    @property
    def executed_path(self) -> Path:
        return self.out_dir / "executed.ipynb"

    def load(self, *, hook: str) -> StatusFile:
        if self.status is None:
            wait_for(self.ready, deadline=self.deadline)
            self.nb.clear()
            self.nb.update(nbformat.read(self.source / self.notebook_rel, as_version=4))
            prepare_notebook(self.nb)
            self.status = StatusFile(self.out_dir / "status.json", self.nb)
            self.status.save(state="running", hook=hook)
            try:
                copy_in(self.source, self.work)
            except OSError as exc:  # e.g. the submission does not fit in the working folder
                raise SubmissionMissing(f"the submission could not be copied into the working folder: {exc}"[:2000]) from None
        return self.status


def run_kernel(sub: Submission, *, hook: Path, legacy: Path | None, cell_seconds: int,
               total_seconds: int) -> tuple[str, str]:
    """Start the kernel, load the hook (and the legacy profile) in it, then load the submission (the host may
    still be putting it in while the kernel starts) and execute its cells in order until one fails; return
    (final state, message)."""
    client = BoundedOutputClient(
        sub.nb, kernel_name="python3", kernel_manager_class=SafePathKernelManager, timeout=cell_seconds, allow_errors=False, interrupt_on_timeout=False,
        record_timing=True, resources={"metadata": {"path": str((sub.work / sub.notebook_rel).parent)}},
        # a kernel that ignores SIGTERM would hold the runner past the host's grace period: the host then
        # kills the runner, and nothing the run wrote can be believed
        shutdown_kernel="immediate",
    )
    # the kernel starts in the notebook's folder, which the submission's files fill in later
    (sub.work / sub.notebook_rel).parent.mkdir(parents=True, exist_ok=True)
    try:
        with client.setup_kernel():
            client.kc.execute(IMPORT_LAST_FROM_WORKING_FOLDER, silent=True, store_history=False)
            hook_state = run_silently(client, hook, run_name="__harness_hook__")
            if legacy is not None:
                # after the hook, so the libraries it patches are imported the way they are without the profile
                print(f"legacy profile: {run_silently(client, legacy, run_name='__harness_legacy__')}", flush=True)
            return run_cells(client, sub.nb, status=sub.load(hook=hook_state), cell_seconds=cell_seconds,
                             deadline=sub.deadline, total_seconds=total_seconds)
    except DeadKernelError as exc:  # died outside a cell (e.g. during start or the hook)
        return "kernel_died", f"the kernel died outside a cell: {exc}"
    except RuntimeError as exc:  # kernel failed to start
        return "runner_error", f"the kernel could not be started: {exc}"[:2000]


def run_cells(client: NotebookClient, nb: Any, *, status: StatusFile, cell_seconds: int, deadline: float,
              total_seconds: int) -> tuple[str, str]:
    """Execute the cells in order until one fails. Only status.json is rewritten after each cell: the executed
    notebook is written once, by execute() at the end, because the host believes no result file of a runner that
    did not end on its own (harness/sandbox/run.py), and rewriting the whole notebook after every cell grew with
    its square (about 1 s of the one CPU for the largest real notebook graded, 65 code cells and 1.4 MB at the end;
    0.25 s for typical ones: measured by replaying their outputs cell by cell)."""
    final_state, message = "completed", "all cells ran"
    cell_ids = CellIdSender(client)
    for index, cell in enumerate(nb.cells):
        entry = status.cell(index)
        if cell.cell_type != "code":
            entry["state"] = "not_code"
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            final_state, message = "deadline", f"the overall time limit ({total_seconds} s) ran out before cell {index}"
            status.save(failed_cell=index)
            break
        client.timeout = max(1, int(min(cell_seconds, remaining)))
        entry.update(state="running", started=time.time())
        status.save()
        outcome, error = "ok", None
        cell_ids.current = cell["id"]
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError as exc:
            outcome, error = "timeout", _error_of(exc, cell)
        except DeadKernelError as exc:
            outcome, error = "kernel_died", _error_of(exc, cell)
        except CellExecutionError as exc:
            outcome, error = "error", _error_of(exc, cell)
        truncate_outputs(cell)
        entry.update(state=outcome, ended=time.time(), execution_count=_plausible_count(cell),
                     error=error)
        entry["seconds"] = round(entry["ended"] - entry["started"], 3)
        if outcome != "ok":
            final_state, message = {
                "timeout": ("cell_timeout", f"cell {index} ran longer than its limit ({client.timeout} s)"),
                "kernel_died": ("kernel_died", f"the kernel died while running cell {index}"),
                "error": ("cell_error", f"cell {index} raised {error['name']}"),
            }[outcome]
            status.save(failed_cell=index)
            break
        status.save()
    return final_state, message


def execute(*, source: Path, work: Path, notebook_rel: str, out_dir: Path, hook: Path, legacy: Path | None,
            cell_seconds: int, total_seconds: int, output_bytes: int, container: bool,
            input_ready: Path | None = None) -> int:
    """Run the notebook; return the exit code for how it ended (EXIT_CODES). With `input_ready`, the submission
    is read only once that file exists: the host starts the run first and puts the files in while the kernel
    starts."""
    sub = Submission(source=source, work=work, notebook_rel=notebook_rel, out_dir=out_dir, ready=input_ready,
                     deadline=time.monotonic() + total_seconds)
    try:
        final_state, message = run_kernel(sub, hook=hook, legacy=legacy, cell_seconds=cell_seconds,
                                          total_seconds=total_seconds)
        status = sub.load(hook="not_run")   # the kernel failed before the submission was read: read it for the report
    except SubmissionMissing as exc:
        final_state, message = "runner_error", str(exc)
        status = sub.status or StatusFile(out_dir / "status.json", sub.nb)
    if container:
        stop_other_processes()
    # From here on nothing else writes: these are the results the host reads.
    write_text(sub.executed_path, nbformat.writes(sub.nb))
    try:
        listing = pack_files(source, work, max_bytes=output_bytes)
    except OSError as exc:
        # never leave an older listing (one the notebook may have written) in place
        listing = files_listing([], [f"none of the files the run wrote could be collected: {exc}"[:2000]])
    write_result(out_dir / "files.json", listing)
    status.save(state=final_state, message=message)
    return EXIT_CODES[final_state]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="the submission folder (only read)")
    parser.add_argument("--work", type=Path, required=True, help="the working folder the notebook runs in")
    parser.add_argument("--notebook", required=True, help="the notebook's path inside the submission folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hook", type=Path, required=True)
    parser.add_argument("--legacy", type=Path, default=None,
                        help="the legacy profile's script (legacy_compat.py), run in the kernel after the hook")
    parser.add_argument("--cell-seconds", type=int, required=True)
    parser.add_argument("--total-seconds", type=int, required=True)
    parser.add_argument("--output-bytes", type=int, required=True, help="cap on files.json")
    parser.add_argument("--input-ready", type=Path, default=None,
                        help="read the submission only once this file exists (the host puts the files in while "
                             "the kernel starts)")
    parser.add_argument("--container", action="store_true",
                        help="the runner's pid namespace is the sandbox: become non-dumpable, and kill every "
                             "other process before the final writes")
    args = parser.parse_args(argv)
    if args.container:
        make_undumpable()
    os.environ["HARNESS_TRACE_PATH"] = str(args.out / "trace.jsonl")
    return execute(source=args.input, work=args.work, notebook_rel=args.notebook, out_dir=args.out, hook=args.hook,
                   legacy=args.legacy,
                   cell_seconds=args.cell_seconds, total_seconds=args.total_seconds,
                   output_bytes=args.output_bytes, container=args.container, input_ready=args.input_ready)


if __name__ == "__main__":
    sys.exit(main())
