"""Write a file so that a grader killed at any moment leaves the old file or the new one, never half of one.

The content goes to a hidden temp file beside the target (same file system), is flushed to disk, then
renamed over the target. A temp file left by a killed process carries its pid in the name, so the next
run can tell it is abandoned (remove_abandoned_temp_files).

Fault injection for the tests: with HARNESS_TEST_KILL_WHILE_WRITING=<file name>[:<n>], the process writes
half of the n-th (default first) such file to its temp name and then SIGKILLs itself, which is what a
grader killed mid-write looks like. Nothing reads the variable outside that moment.
"""
from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import psutil

TEMP_MARK = ".tmp-"
KILL_HOOK_ENV = "HARNESS_TEST_KILL_WHILE_WRITING"
# errnos that mean "the output folder cannot take more": full, read-only, over quota, not permitted
NO_ROOM = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EFBIG}
_writes_seen: dict[str, int] = {}


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}")


def _kill_here_for_tests(path: Path, handle, data: bytes) -> None:
    wanted = os.environ.get(KILL_HOOK_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if path.name != name:
        return
    _writes_seen[name] = _writes_seen.get(name, 0) + 1
    if _writes_seen[name] == int(nth or 1):
        handle.write(data[: len(data) // 2])
        handle.flush()
        os.fsync(handle.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Replace `path` with `data` in one rename; on any error the temp file is removed and the old file kept.
    `mode` (less the umask) applies from the first byte, so a secret is never briefly readable by others."""
    path = Path(path)
    temp = _temp_path(path)
    try:
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
            _kill_here_for_tests(path, handle, data)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def is_no_room(exc: OSError) -> bool:
    """The output folder is full or not writable (not a bug of ours, not the submission's fault)."""
    return exc.errno in NO_ROOM


def remove_abandoned_temp_files(folder: Path) -> int:
    """Remove temp files of writers that are gone (killed mid-write); a live writer's are kept."""
    removed = 0
    try:
        candidates = [p for p in Path(folder).iterdir() if p.name.startswith(".") and TEMP_MARK in p.name]
    except OSError:
        return 0
    for path in candidates:
        pid = path.name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not psutil.pid_exists(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
