"""Decide how a run ended, from the host's own observations first and the runner's status second."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.sandbox.result import Verdict


@dataclass
class Observed:
    """What the host saw itself (trusted) plus the runner's status (untrusted but schema-checked)."""

    deadline_hit: bool
    oom_killed: bool
    exit_code: int | None
    status: dict[str, Any] | None
    total_seconds: int
    memory_mb: int


@dataclass
class Classification:
    verdict: Verdict
    message: str
    failed_cell: int | None = None
    error: dict[str, str] | None = None
    cell_seconds: list[float | None] = field(default_factory=list)


def _running_cell(status: dict[str, Any] | None) -> int | None:
    if not status:
        return None
    if status.get("failed_cell") is not None:
        return status["failed_cell"]
    running = [c["index"] for c in status["cells"] if c["state"] == "running"]
    return running[-1] if running else None


def _is_memory_error(error: dict[str, str] | None) -> bool:
    # numpy raises _ArrayMemoryError; under RLIMIT_AS (local backend) this is how the limit shows.
    return bool(error) and error["name"].endswith("MemoryError")


def classify(obs: Observed) -> Classification:
    """Order: host deadline, out of memory, kernel died, cell error, completed."""
    status = obs.status
    cell = _running_cell(status)
    error = status["cells"][cell]["error"] if status and cell is not None else None
    seconds = [c["seconds"] for c in status["cells"]] if status else []
    where = f" in cell {cell}" if cell is not None else ""

    def result(verdict: Verdict, message: str) -> Classification:
        return Classification(verdict=verdict, message=message, failed_cell=cell, error=error, cell_seconds=seconds)

    state = status["state"] if status else None
    if obs.deadline_hit:
        return result(Verdict.DEADLINE, f"The run was stopped at the overall time limit ({obs.total_seconds} s){where}.")
    if state in {"deadline", "cell_timeout"}:
        return result(Verdict.DEADLINE, f"The run hit a time limit: {status['message']}.")
    if obs.oom_killed or _is_memory_error(error):
        return result(Verdict.OUT_OF_MEMORY, f"The run ran out of memory (limit {obs.memory_mb} MB){where}.")
    if state == "kernel_died":
        return result(Verdict.KERNEL_DIED, f"The Python kernel died{where} (it exited or was killed).")
    if state == "runner_error":
        return result(Verdict.KERNEL_DIED, f"The Python kernel could not run: {status['message'][:300]}")
    if state == "cell_error":
        limit_note = " (it hit the sandbox's process limit)" if error["name"] == "BlockingIOError" else ""
        return result(Verdict.CELL_ERROR, f"Cell {cell} raised {error['name']}: {error['value'][:200]}{limit_note}")
    if state == "completed" and obs.exit_code == 0:
        return result(Verdict.COMPLETED, "Every cell ran without error.")
    if status is None:
        return result(Verdict.NOT_RUN, f"The sandbox ended (exit code {obs.exit_code}) without reporting any progress.")
    return result(Verdict.KERNEL_DIED,
                  f"The notebook runner itself died{where} (exit code {obs.exit_code}); the kernel or the "
                  "candidate code killed it.")
