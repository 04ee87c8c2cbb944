"""Find and kill every process a local run started, including those that moved to their own session.

jupyter_client starts each kernel in a new session, so killing the runner's process group is not
enough; we remember the session ids seen under the runner while it lives and kill all of them.
"""
from __future__ import annotations

import os
import signal

import psutil


class ProcessTree:
    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.sessions: set[int] = {root_pid}
        self._own_session = os.getsid(0)

    def members(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.root_pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def refresh(self) -> int:
        """Record the sessions under the runner; return their resident memory in bytes (best effort)."""
        rss = 0
        for proc in self.members():
            try:
                self.sessions.add(os.getsid(proc.pid))
                rss += proc.memory_info().rss
            except (psutil.Error, ProcessLookupError):
                continue
        self.sessions.discard(self._own_session)
        return rss

    def kill_all(self) -> None:
        self.refresh()
        for proc in psutil.process_iter(["pid"]):
            pid = proc.info["pid"]
            if pid == os.getpid():
                continue
            try:
                if os.getsid(pid) in self.sessions:
                    os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
