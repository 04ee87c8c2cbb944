"""Decide how a run ended from what the host saw itself; the runner's status only adds details.

Trusted: the host's own deadline flag, State.OOMKilled, and the exit code of the runner (through our
init in Docker, the subprocess's in the local backend), which maps to the runner's final state
(runner.EXIT_CODES). status.json (schema-checked, but writable by the candidate's code while the run
lasted) supplies which cell, the error text and timings, only when the runner ended on its own (its
last write, made after it killed every other process, is then the file's content) and only when it
agrees with the exit code; it can never turn a failure into success.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from takehome_harness.harness.sandbox.result import Verdict
from takehome_harness.harness.sandbox.run_protocol import EXIT_CODES

STATE_OF_EXIT_CODE = {code: state for state, code in EXIT_CODES.items()}


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
    warnings: list[str] = field(default_factory=list)


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


def _usable_details(ending: str | None, status: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """The status, if it may be used for details of an ending the exit code told us."""
    if status is None:
        return None, []
    if ending is None:
        # The runner did not finish (killed, crashed): whatever status.json says may have been written by
        # the candidate's code after the runner's last write.
        return None, ["the runner did not finish, so its progress report (which cell, the error) may have been "
                      "written by the candidate's code; it was not used"]
    if status["state"] != ending:
        return None, [f"the run's progress report says '{status['state']}' but the runner ended with "
                      f"'{ending}'; the report's details were not used"]
    cell = status["failed_cell"]
    if ending == "completed" and (cell is not None or any(c["state"] not in ("ok", "not_code") for c in status["cells"])):
        return None, ["the run's progress report does not agree with a completed run; its details were not used"]
    if ending == "cell_error" and (cell is None or cell >= len(status["cells"]) or status["cells"][cell]["error"] is None):
        return None, ["the run's progress report names no failing cell; its details were not used"]
    return status, []


def classify(obs: Observed) -> Classification:
    """Order: host deadline, out of memory, kernel died, cell error, completed."""
    ending = STATE_OF_EXIT_CODE.get(obs.exit_code) if obs.exit_code is not None else None
    status, warnings = _usable_details(ending, obs.status)
    cell = _running_cell(status)
    error = status["cells"][cell]["error"] if status and cell is not None and cell < len(status["cells"]) else None
    seconds = [c["seconds"] for c in status["cells"]] if status else []
    where = f" in cell {cell}" if cell is not None else ""

    def result(verdict: Verdict, message: str) -> Classification:
        return Classification(verdict=verdict, message=message, failed_cell=cell, error=error, cell_seconds=seconds,
                              warnings=warnings)

    if obs.deadline_hit:
        return result(Verdict.DEADLINE, f"The run was stopped at the overall time limit ({obs.total_seconds} s){where}.")
    if ending in {"deadline", "cell_timeout"}:
        detail = f": {status['message']}" if status else f"{where}"
        return result(Verdict.DEADLINE, f"The run hit a time limit{detail}.")
    if obs.oom_killed or (ending == "cell_error" and _is_memory_error(error)):
        return result(Verdict.OUT_OF_MEMORY, f"The run ran out of memory (limit {obs.memory_mb} MB){where}.")
    if ending == "kernel_died":
        return result(Verdict.KERNEL_DIED, f"The Python kernel died{where} (it exited or was killed).")
    if ending == "runner_error":
        detail = status["message"][:300] if status else f"the runner reported an error (exit code {obs.exit_code})"
        return result(Verdict.KERNEL_DIED, f"The notebook could not be run: {detail}")
    if ending == "cell_error":
        if error is None:
            return result(Verdict.CELL_ERROR, "A cell raised an error (which one is unknown: the progress report "
                                              "was unusable).")
        limit_note = " (it hit the sandbox's process limit)" if error["name"] == "BlockingIOError" else ""
        return result(Verdict.CELL_ERROR, f"Cell {cell} raised {error['name']}: {error['value'][:200]}{limit_note}")
    if ending == "completed":
        return result(Verdict.COMPLETED, "Every cell ran without error.")
    killed = obs.exit_code is not None and (obs.exit_code > 128 or obs.exit_code < 0)   # container / local
    if obs.status is None and not killed:
        return result(Verdict.NOT_RUN, f"The sandbox ended (exit code {obs.exit_code}) without reporting any progress.")
    return result(Verdict.KERNEL_DIED,
                  f"The notebook runner itself died{where} (exit code {obs.exit_code}); the kernel or the "
                  "candidate code killed it.")
