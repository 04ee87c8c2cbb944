"""Local fallback: the same runner in a subprocess with rlimits and a host deadline. NOT isolation:
the notebook can read and write anything the grading user can, and reach the network."""
from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import psutil

from takehome_harness.harness.sandbox.backend import (HOOK_PATH, HOST_GRACE_SECONDS, LEGACY_PATH, MB, RUNNER_PATH,
                                                      BackendRun, BackendSpec, BackendStatus, Progress)
from takehome_harness.harness.sandbox.environment import sandbox_environment
from takehome_harness.harness.sandbox.packages import HEADLINE_PACKAGES
from takehome_harness.harness.sandbox.processes import KILL_WAIT_SECONDS, ProcessTree
from takehome_harness.harness.sandbox.result import Limits
from takehome_harness.harness.sandbox.workspace import Workspace

NOT_ISOLATED = ("The notebook ran WITHOUT isolation (local fallback, no Docker engine): it could read the "
                "grader's files and use the network; only time, memory and file-size limits applied.")
POLL_SECONDS = 0.1


def _rlimits(limits: Limits) -> dict[int, int]:
    values = {
        resource.RLIMIT_AS: limits.memory_mb * MB,
        resource.RLIMIT_FSIZE: limits.file_size_mb * MB,
        resource.RLIMIT_CORE: 0,
    }
    if os.geteuid() != 0:
        # RLIMIT_NPROC counts all of the user's processes (and root ignores it), so allow what is
        # already running plus the run's own budget.
        running = sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == os.getuid())
        values[resource.RLIMIT_NPROC] = running + limits.pids
    return values


def _apply(values: dict[int, int]):
    def preexec() -> None:
        for which, value in values.items():
            _, hard = resource.getrlimit(which)
            limit = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (limit, limit))

    return preexec


def _copy_data(data_dir: Path, dest: Path) -> None:
    shutil.copytree(data_dir, dest, dirs_exist_ok=True, symlinks=False)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


class LocalRun:
    """The runner in a subprocess working in ws.work; its result files are already in ws.out."""

    def __init__(self, ws: Workspace, *, limits: Limits, progress: Progress, legacy: bool) -> None:
        self.ws, self.limits, self.progress, self.legacy = ws, limits, progress, legacy

    def run(self) -> BackendRun:
        ws, limits = self.ws, self.limits
        env = sandbox_environment(home=str(ws.home), tmp=str(ws.tmp), cpus=limits.cpus,
                                  path=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin")
        command = [sys.executable, str(RUNNER_PATH), "--input", str(ws.input), "--work", str(ws.work),
                   "--notebook", ws.notebook_rel, "--out", str(ws.out), "--hook", str(HOOK_PATH),
                   "--cell-seconds", str(limits.cell_seconds), "--total-seconds", str(limits.total_seconds),
                   "--output-bytes", str(limits.output_mb * MB),
                   *(["--legacy", str(LEGACY_PATH)] if self.legacy else [])]
        self.progress("running the notebook locally (no isolation)")
        started = time.monotonic()
        hard_deadline = started + limits.total_seconds + HOST_GRACE_SECONDS
        deadline_hit, peak, exit_code = False, 0, None
        with open(ws.root / "runner.log", "wb") as log:
            proc = subprocess.Popen(command, cwd=ws.work, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_apply(_rlimits(limits)))
        tree = ProcessTree(proc.pid)
        try:
            while exit_code is None:
                peak = max(peak, tree.refresh())
                if time.monotonic() > hard_deadline:
                    deadline_hit = True
                    tree.kill_all()
                pid, wait_status, _ = os.wait4(proc.pid, 0 if deadline_hit else os.WNOHANG)
                if pid:
                    exit_code = proc.returncode = os.waitstatus_to_exitcode(wait_status)
                else:
                    time.sleep(POLL_SECONDS)
        finally:
            # Whatever happened (normal end, Ctrl-C, an exception here), nothing the run started survives it.
            all_gone = tree.kill_all()
            if exit_code is None:
                proc.wait()
        warnings = [NOT_ISOLATED]
        if not all_gone:
            warnings.append("some processes the notebook started did not die within "
                            f"{KILL_WAIT_SECONDS} s of being killed")
        return BackendRun(backend=BACKEND.name, isolated=False, exit_code=exit_code, deadline_hit=deadline_hit,
                          oom_killed=False, wall_seconds=time.monotonic() - started,
                          peak_memory_mb=peak / MB if peak else None, log_path=ws.root / "runner.log",
                          warnings=warnings)

    def collect(self) -> list[str]:
        """Nothing to do: the runner wrote ws.out itself."""
        return []

    def clean_up(self) -> None:
        """Nothing outside the workspace: the process tree is killed when run() returns or unwinds."""


class LocalSandbox:
    def __init__(self, *, progress: Progress) -> None:
        self.progress = progress

    def prepare(self, ws: Workspace, *, data_dir: Path | None, limits: Limits, legacy: bool = False,
                data_ready: Callable[[], None] | None = None) -> LocalRun:
        if data_dir is not None:
            if data_ready is not None:
                data_ready()
            _copy_data(data_dir, ws.work / "data")
        return LocalRun(ws, limits=limits, progress=self.progress, legacy=legacy)


def connect(*, progress: Progress, runtime: str | None = None) -> LocalSandbox:
    """Always possible (runtime, a container runtime, does not apply)."""
    return LocalSandbox(progress=progress)


def status() -> BackendStatus:
    return BackendStatus(available=True, summary=f"Python {platform.python_version()} at {sys.executable}, NOT isolated",
                         packages={name: version(name) for name in HEADLINE_PACKAGES if _installed(name)})


def _installed(name: str) -> bool:
    try:
        version(name)
        return True
    except PackageNotFoundError:
        return False


BACKEND = BackendSpec(name="local", isolated=False, connect=connect, status=status, auto_rank=100,
                      description="unisolated subprocess with rlimits (a fallback, never for untrusted input)")
