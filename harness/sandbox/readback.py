"""Read what a run produced as untrusted data: regular files only, size-capped, JSON never pickle."""
from __future__ import annotations

import json
import os
import stat
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

MAX_STATUS_BYTES = 5 * 1024 * 1024


class Unreadable(Exception):
    """A produced file that must not be used (not a regular file, too big, malformed)."""


def read_regular_file(path: Path, *, max_bytes: int) -> bytes:
    """Read `path` only if it is a regular file (no symlink, FIFO, device) of at most max_bytes.

    O_NOFOLLOW + fstat on the opened descriptor: the check and the read concern the same file,
    even if the sandbox swaps the path in between.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Unreadable(f"{path.name} was not produced") from None
    except OSError as exc:
        raise Unreadable(f"{path.name} cannot be opened safely ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{path.name} is not a regular file")
        if info.st_size > max_bytes:
            raise Unreadable(f"{path.name} is {info.st_size} bytes, over the {max_bytes}-byte cap")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Unreadable(f"{path.name} grew past the {max_bytes}-byte cap while being read")
        return data
    finally:
        os.close(fd)


def copy_regular_file(source: Path, dest: Path, *, max_bytes: int) -> None:
    data = read_regular_file(source, max_bytes=max_bytes)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


@cache
def status_schema() -> dict[str, Any]:
    return json.loads(resources.files("takehome_harness.harness.sandbox").joinpath("status.schema.json").read_text())


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def load_status(path: Path) -> dict[str, Any]:
    """The runner's status.json, schema-checked; raises Unreadable if missing or malformed."""
    raw = read_regular_file(path, max_bytes=MAX_STATUS_BYTES)
    if not raw:
        raise Unreadable("status.json was not written (the run ended before it started)")
    try:
        status = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Unreadable("status.json is not valid JSON") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(status_schema()).iter_errors(status))
    if error is not None:
        raise Unreadable(f"status.json does not match its schema: {error.message[:200]}")
    return status
