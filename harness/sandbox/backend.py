"""The sandbox backend interface: what every backend gets and returns, and where the in-sandbox files live
on the host.

A backend is one module named `*_backend.py` in this package that defines `BACKEND = BackendSpec(...)`;
harness/sandbox/registry.py finds it, and the `--sandbox` choices, the report schema's backend names and
`harness sandbox status` follow. One run goes through the same four steps whatever the backend:

    sandbox = spec.connect(progress=..., runtime=...)      # once, may serve a whole batch
    run = sandbox.prepare(ws, data_dir=..., limits=..., legacy=..., data_ready=...)  # submission and data in
    try:
        raw = run.run()                                     # the runner, within the limits and a host deadline
        raw.warnings += run.collect()                       # its result files into ws.out (RESULT_FILES)
    finally:
        run.clean_up()                                      # nothing of the run is left, whatever happened

harness/sandbox/run.py then reads ws.out as untrusted data, the same way for every backend.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from takehome_harness.harness.sandbox.result import Limits
    from takehome_harness.harness.sandbox.workspace import Workspace

RUNNER_PATH = Path(__file__).with_name("runner.py")
PROTOCOL_PATH = Path(__file__).with_name("run_protocol.py")   # imported by the runner, beside it
INIT_PATH = Path(__file__).with_name("container_init.py")   # pid 1 in the container
HOOK_PATH = Path(__file__).with_name("kernel_hook.py")
LEGACY_PATH = Path(__file__).with_name("legacy_compat.py")   # the legacy profile, generic mode only
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


class SandboxRun(Protocol):
    """One prepared run. `run` and `collect` are called at most once each; `clean_up` always, last."""

    def run(self) -> BackendRun:
        """Run the runner with the limits given to `prepare`; the host kills it at total_seconds + HOST_GRACE_SECONDS."""

    def collect(self) -> list[str]:
        """Bring the runner's result files into ws.out (they may be anything: run.py reads them as untrusted);
        return warnings about files it would not bring."""

    def clean_up(self) -> None:
        """Remove what the run created outside the workspace (containers, volumes); safe after any failure."""


class Sandbox(Protocol):
    """A connected backend: prepares runs, possibly many (one connection per batch)."""

    def prepare(self, ws: Workspace, *, data_dir: Path | None, limits: Limits, legacy: bool = False,
                data_ready: Callable[[], None] | None = None) -> SandboxRun:
        """Put the submission (ws.input) and the read-only data where the run will see them; `legacy`: the runner
        also gets `--legacy <LEGACY_PATH as the run sees it>` (the legacy profile, generic mode only).
        `data_ready`, when given, must be called before data_dir is read: the grader may still be writing it (it
        blocks until the folder is complete and raises what went wrong); a backend calls it as late as it can,
        so the run starts meanwhile."""


@dataclass
class BackendStatus:
    available: bool
    summary: str                                # one line: version, or why it cannot be used
    details: list[tuple[str, str]] = field(default_factory=list)     # (what, value) rows for the status table
    packages: dict[str, str] = field(default_factory=dict)           # name -> version the notebook would see


@dataclass(frozen=True)
class BackendSpec:
    name: str                                   # the --sandbox choice and report.json's run.backend
    isolated: bool                              # False: the report warns that the run was not isolated
    description: str                            # one line for --help
    connect: Callable[..., Sandbox]             # (progress=, runtime=) -> Sandbox; raises SandboxUnavailable
    status: Callable[[], BackendStatus]
    auto_rank: int | None = None                # `--sandbox auto` tries backends by rank; None: never
