"""Run the real `grade` command on a hostile submission in a child process, and collect the evidence.

The grader runs with its own HOME, TMPDIR, working folder and HARNESS_HOME, so anything it leaves
behind (temp folders, stray files) is visible, and a crash of the grader cannot take the test down.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from takehome_harness.harness.exercise_check import submission_from_bundle  # noqa: F401 (the hostile tests build submissions with it)
from takehome_harness.harness.sandbox.docker_backend import WORKSPACE_LABEL

GRADE_SCRIPT = "from takehome_harness.harness.cli import grade; grade()"


@dataclass
class GradeRun:
    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    report_dir: Path | None
    report: dict[str, Any] | None
    html: str | None

    def outputs_text(self) -> str:
        """The stream outputs of the executed notebook the grader kept, joined."""
        path = self.report_dir / "executed.ipynb" if self.report_dir else None
        if path is None or not path.is_file():
            return ""
        notebook = nbformat.read(path, as_version=4)
        return "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", [])
                       if o.get("output_type") == "stream")

    def all_text(self) -> str:
        """Everything the grader wrote for this submission, as one string (for leak searches)."""
        parts = [self.stdout, self.stderr]
        if self.report_dir is not None:
            parts += [p.read_bytes().decode("utf-8", "replace") for p in self.report_dir.rglob("*") if p.is_file()]
        return "\n".join(parts)


@dataclass
class IsolatedGrader:
    """Folders the grader child process may use; everything outside `out` must stay as it was."""

    root: Path
    secret: str = field(default_factory=lambda: "hostile-test-secret-" + secrets.token_hex(16))

    def __post_init__(self) -> None:
        for name in ("home", "tmp", "cwd", "out", "harness_home", "mplconfig"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    @property
    def out(self) -> Path:
        return self.root / "out"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        # Caches stay where they are for the real user (the sandbox image's build cache is expensive);
        # matplotlib's font cache gets its own folder, so HOME shows only stray writes.
        env.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))
        env.update(HOME=str(self.root / "home"), TMPDIR=str(self.root / "tmp"),
                   MPLCONFIGDIR=str(self.root / "mplconfig"),
                   HARNESS_HOME=str(self.root / "harness_home"), HARNESS_SECRET=self.secret)
        return env

    def grade(self, source: Path, *, total_seconds: int, memory_mb: int, sandbox: str = "docker",
              kill_after: float) -> GradeRun:
        args = [sys.executable, "-c", GRADE_SCRIPT, str(source), "--out", str(self.out), "--sandbox", sandbox,
                "--timeout", str(total_seconds), "--memory", str(memory_mb), "--force"]
        start = time.monotonic()
        proc = subprocess.run(args, cwd=self.root / "cwd", env=self.env(), capture_output=True, text=True,
                              timeout=kill_after)
        wall = time.monotonic() - start
        reports = sorted(self.out.glob("*/report.json"), key=lambda p: p.stat().st_mtime)
        report_dir = reports[-1].parent if reports else None
        return GradeRun(
            returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, wall_seconds=wall,
            report_dir=report_dir,
            report=json.loads(reports[-1].read_text()) if reports else None,
            html=(report_dir / "report.html").read_text() if report_dir and (report_dir / "report.html").exists()
            else None,
        )

    def leftovers(self) -> list[str]:
        """Files the grader left outside its output folder (its own HARNESS_HOME state excepted)."""
        left = []
        for name in ("home", "tmp", "cwd"):
            left += [str(p.relative_to(self.root)) for p in (self.root / name).rglob("*")]
        return sorted(left)


def docker_containers(label: str, *, mounting: Path) -> list[str]:
    """Containers with `label` whose run's temp folder is under `mounting` (ours, not another test run's)."""
    listed = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True,
                            check=True, timeout=30).stdout.split()
    if not listed:
        return []
    inspected = subprocess.run(["docker", "inspect", *listed], capture_output=True, text=True, timeout=30)
    containers = json.loads(inspected.stdout or "[]")   # a container may vanish between ps and inspect
    prefix = str(mounting.resolve())
    return [c["Id"][:12] for c in containers
            if (c["Config"].get("Labels") or {}).get(WORKSPACE_LABEL, "").startswith(prefix)]


def this_machines_addresses() -> list[str]:
    """IPv4 addresses of this machine (never anything else): its interfaces and the Docker bridge gateway."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10)
    addresses = [a for a in out.stdout.split() if a.count(".") == 3]
    gateway = subprocess.run(["docker", "network", "inspect", "bridge", "--format",
                              "{{range .IPAM.Config}}{{.Gateway}} {{end}}"], capture_output=True, text=True, timeout=10)
    addresses += [a for a in gateway.stdout.split() if a.count(".") == 3]
    return sorted(set(addresses))


class Listener:
    """A TCP listener on all of this machine's addresses that records who connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer[0])
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def make_bundle(root: Path, *, secret: str) -> Path:
    """A real candidate bundle made with the same secret the grader child process gets."""
    from takehome_harness.harness.bundle import create_bundle

    saved = {k: os.environ.get(k) for k in ("HARNESS_HOME", "HARNESS_SECRET")}
    os.environ.update(HARNESS_HOME=str(root / "harness_home"), HARNESS_SECRET=secret)
    try:
        return Path(create_bundle(exercise_id="churn", candidate="Hostile Tester", out_dir=root / "bundles").path)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
