"""Execute one notebook cell by cell and leave partial results after every cell.

This file runs INSIDE the sandbox (and as a subprocess for the local backend), so it uses only the
standard library, nbformat and nbclient: the harness package is not installed there. Everything it
writes is read back by the host as untrusted data (status.json is schema-checked).

Output directory layout (all written atomically: tmp file + os.replace):
  executed.ipynb  the notebook as far as it got
  status.json     per-cell start/end/seconds, execution_count, error, overall state
The kernel hook (if present) appends JSON lines to $HARNESS_TRACE_PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

STATUS_VERSION = 1
MAX_TEXT_CHARS = 100_000          # per output: enough to read, small enough to render
MAX_IMAGE_CHARS = 2_000_000       # base64 characters per image (~1.5 MB)
MAX_TRACEBACK_CHARS = 20_000
HOOK_TIMEOUT_SECONDS = 60
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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
        write_atomic(self.path, json.dumps(self.data))


def run_hook(client: NotebookClient, hook: Path) -> str:
    """Execute the kernel hook silently (no history, no execution count, no output)."""
    if not hook.is_file():
        return "missing"
    code = f"__import__('runpy').run_path({str(hook)!r}, run_name='__harness_hook__') and None"
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


def execute(*, notebook: Path, out_dir: Path, hook: Path, cell_seconds: int, total_seconds: int) -> int:
    deadline = time.monotonic() + total_seconds
    nb = nbformat.read(notebook, as_version=4)
    prepare_notebook(nb)
    executed_path = out_dir / "executed.ipynb"
    status = StatusFile(out_dir / "status.json", nb)
    write_atomic(executed_path, nbformat.writes(nb))
    status.save(state="starting_kernel")

    client = NotebookClient(
        nb, kernel_name="python3", timeout=cell_seconds, allow_errors=False, interrupt_on_timeout=False,
        record_timing=True, resources={"metadata": {"path": str(notebook.parent)}},
    )
    final_state, message = "completed", "all cells ran"
    try:
        with client.setup_kernel():
            status.save(state="running", hook=run_hook(client, hook))
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
                entry.update(state=outcome, ended=time.time(), execution_count=cell.get("execution_count"),
                             error=error)
                entry["seconds"] = round(entry["ended"] - entry["started"], 3)
                write_atomic(executed_path, nbformat.writes(nb))
                if outcome != "ok":
                    final_state, message = {
                        "timeout": ("cell_timeout", f"cell {index} ran longer than its limit ({client.timeout} s)"),
                        "kernel_died": ("kernel_died", f"the kernel died while running cell {index}"),
                        "error": ("cell_error", f"cell {index} raised {error['name']}"),
                    }[outcome]
                    status.save(failed_cell=index)
                    break
                status.save()
    except DeadKernelError as exc:  # died outside a cell (e.g. during start or the hook)
        final_state, message = "kernel_died", f"the kernel died outside a cell: {exc}"
    except RuntimeError as exc:  # kernel failed to start
        final_state, message = "runner_error", f"the kernel could not be started: {exc}"[:2000]
    write_atomic(executed_path, nbformat.writes(nb))
    status.save(state=final_state, message=message)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hook", type=Path, required=True)
    parser.add_argument("--cell-seconds", type=int, required=True)
    parser.add_argument("--total-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ["HARNESS_TRACE_PATH"] = str(args.out / "trace.jsonl")
    return execute(notebook=args.notebook, out_dir=args.out, hook=args.hook,
                   cell_seconds=args.cell_seconds, total_seconds=args.total_seconds)


if __name__ == "__main__":
    sys.exit(main())
