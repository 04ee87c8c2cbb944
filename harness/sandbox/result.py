"""Plain data that crosses the sandbox boundary (host side)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Verdict(str, Enum):
    """How a run ended, checked by the host in this order."""

    DEADLINE = "deadline"          # the host's own timer fired and killed it
    OUT_OF_MEMORY = "out_of_memory"
    KERNEL_DIED = "kernel_died"
    CELL_ERROR = "cell_error"
    COMPLETED = "completed"
    NOT_RUN = "not_run"            # nothing could be run (bad input, no engine)


@dataclass
class Limits:
    total_seconds: int = 900
    cell_seconds: int = 300
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    tmpfs_mb: int = 256
    output_mb: int = 64            # cap on anything read back from the run

    @property
    def file_size_mb(self) -> int:
        """Largest file the run may write: big enough for its tmpfs or its read-back cap, whichever is larger."""
        return max(self.output_mb, self.tmpfs_mb)


@dataclass
class RunResult:
    verdict: Verdict
    backend: str                                # "docker" or "local"
    isolated: bool                              # False for the local fallback
    wall_seconds: float
    message: str                                # one plain sentence for the report
    failed_cell: int | None = None              # 0-based cell index where it ended
    error_name: str | None = None
    error_value: str | None = None
    traceback: str | None = None
    peak_memory_mb: float | None = None
    cell_seconds: list[float | None] = field(default_factory=list)  # per cell, None if not run
    executed_notebook: Path | None = None       # host path, copied out, validated
    predictions: Path | None = None             # host path, copied out, size-capped
    trace: Path | None = None                   # host path to the JSON-lines trace
    extra_files: list[Path] = field(default_factory=list)  # e.g. NEXT_STEPS.md written by the run
    limits: Limits = field(default_factory=Limits)
    image: str | None = None
    warnings: list[str] = field(default_factory=list)
