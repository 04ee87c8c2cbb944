"""Which grading process owns a container or temp folder, so leftovers of a grader that died (engine crash,
SIGKILL, reboot) can be swept by the next run without touching those of a grader still running.

The owner is "host/pid/start time": the start time tells a dead grader from a new process that reuses its
pid, and anything from another host (another machine sharing the engine) is never judged from here.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator

import psutil

OWNER_FILE = ".owner"
# A folder without an owner file (older versions) counts as abandoned once untouched this long.
IN_USE_SECONDS = 2 * 3600


def current_owner() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{psutil.Process().create_time():.2f}"


def owner_is_gone(owner: str) -> bool:
    """True only when the owner is certainly dead: a process of this host that no longer runs."""
    host, _, rest = owner.partition("/")
    pid, _, started = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        return f"{psutil.Process(int(pid)).create_time():.2f}" != started
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:  # e.g. access denied: it exists
        return False


def mark_owned(folder: Path) -> None:
    (folder / OWNER_FILE).write_text(current_owner())


@contextlib.contextmanager
def owned_temp_dir(prefix: str) -> Iterator[Path]:
    """A fresh temp folder marked with this process as owner, removed on the way out."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        mark_owned(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_abandoned(folder: Path) -> bool:
    try:
        return owner_is_gone((folder / OWNER_FILE).read_text().strip())
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > IN_USE_SECONDS
        except OSError:
            return False
    except OSError:
        return False


def remove_abandoned_temp_dirs(prefixes: tuple[str, ...], *, everything: bool = False) -> int:
    """Remove temp folders with these prefixes whose grader is gone (all of them if `everything`)."""
    removed = 0
    for prefix in prefixes:
        for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
            if folder.is_dir() and not folder.is_symlink() and (everything or is_abandoned(folder)):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed
