"""What every backend gets and returns, and where the in-sandbox files live on the host."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

RUNNER_PATH = Path(__file__).with_name("runner.py")
INIT_PATH = Path(__file__).with_name("container_init.py")   # pid 1 in the container
HOOK_PATH = Path(__file__).with_name("kernel_hook.py")
# The runner stops itself at the total limit; the host kills it this much later (start-up, last save).
HOST_GRACE_SECONDS = 5
MB = 1024 * 1024

Progress = Callable[[str], None]


@dataclass
class BackendRun:
    backend: str
    isolated: bool
    exit_code: int | None
    deadline_hit: bool          # the host's own timer fired
    oom_killed: bool
    wall_seconds: float
    peak_memory_mb: float | None
    log_path: Path | None = None    # the runner's stdout/stderr (diagnostics, capped when read)
    image: str | None = None
    warnings: list[str] = field(default_factory=list)
