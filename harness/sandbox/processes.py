"""Find and kill every process a local run started, including those that moved to their own session.

jupyter_client starts each kernel in a new session, so killing the runner's process group is not
enough; we remember the session ids seen under the runner while it lives and kill all of them.
"""
from __future__ import annotations

import os
import time

import psutil

# SIGKILL is delivered asynchronously (a victim in uninterruptible I/O, or not yet scheduled on a busy
# machine, lives on for a while) and a process may fork while we kill: kill in rounds until nothing is
# left, for at most this long.
KILL_WAIT_SECONDS = 10
KILL_ROUND_SECONDS = 0.05


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

    def survivors(self, known: list[psutil.Process]) -> list[psutil.Process]:
        """Live processes in the run's sessions, plus those of `known` still alive (a zombie is dead:
        it only waits to be reaped)."""
        found = {}
        for proc in psutil.process_iter(["status"]):
            if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            try:
                if os.getsid(proc.pid) in self.sessions:
                    found[proc.pid] = proc
            except (ProcessLookupError, PermissionError):
                continue
        for proc in known:
            try:
                if proc.pid not in found and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    found[proc.pid] = proc
            except psutil.Error:   # gone meanwhile
                continue
        return list(found.values())

    def kill_all(self) -> bool:
        """SIGKILL every process of the run and wait until they are gone; False if some outlived the wait.

        Processes seen under the runner are also killed by pid: one caught between fork() and setsid()
        (a kernel being started) is recorded under the runner's session but then leaves it.
        """
        known = self.members()
        self.refresh()
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while survivors := self.survivors(known):
            if time.monotonic() > deadline:
                return False
            for proc in survivors:
                try:
                    proc.kill()   # psutil checks the pid was not reused by an unrelated process
                except psutil.Error:
                    continue
            time.sleep(KILL_ROUND_SECONDS)
        return True
