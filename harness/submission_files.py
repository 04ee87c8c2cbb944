"""Every file of a submission, for the report, with the ones whose names shadow a module flagged.

A file beside the notebook named like a module (`IPython.py`, `traceback.py`, `sklearn/__init__.py`)
used to run inside the kernel in place of the real one. The kernel now starts with `python -P` and
puts its working folder after everything installed, so such a file can no longer replace a module;
it is still listed, because it is a sign of an attempt (or of a helper that will not be imported).
"""
from __future__ import annotations

import importlib.machinery
import pkgutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MAX_LISTED = 2000   # intake accepts at most this many members anyway


@dataclass
class SubmissionFile:
    path: str                       # relative to the submission folder, POSIX separators
    bytes: int
    shadows: str | None = None      # "standard library module 'traceback'", "installed module 'IPython'"


@cache
def _installed_modules() -> frozenset[str]:
    # The grader's own environment has the sandbox's exact pins (requirements.lock), so its top-level
    # modules are the image's, plus the grader's own tools.
    # (not the grader's own working folder, which `python -c` puts on sys.path)
    paths = [p for p in sys.path if p and Path(p).resolve() != Path.cwd()]
    return frozenset(module.name for module in pkgutil.iter_modules(paths))


def shadowed_module(name: str) -> str | None:
    """What a top-level module called `name` would hide, or None."""
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return f"standard library module '{name}'"
    if name in _installed_modules():
        return f"installed module '{name}'"
    return None


def _module_name(rel: Path) -> str | None:
    """The top-level module a file in the notebook's folder would be imported as, if any."""
    if len(rel.parts) == 2 and rel.name in ("__init__.py", "__init__.pyc"):
        return rel.parts[0]
    if len(rel.parts) != 1:
        return None
    for suffix in (*importlib.machinery.SOURCE_SUFFIXES, *importlib.machinery.BYTECODE_SUFFIXES,
                   *importlib.machinery.EXTENSION_SUFFIXES):
        if rel.name.endswith(suffix):
            return rel.name[:-len(suffix)] or None
    return None


def list_submission_files(root: Path, *, notebook_dir: Path) -> list[SubmissionFile]:
    """Regular files under root (sorted), each flagged when its name shadows a module in the kernel's folder."""
    listed = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())[:MAX_LISTED]:
        rel = path.relative_to(root)
        module = _module_name(path.relative_to(notebook_dir)) if path.is_relative_to(notebook_dir) else None
        listed.append(SubmissionFile(path=rel.as_posix(), bytes=path.stat().st_size,
                                     shadows=shadowed_module(module) if module else None))
    return listed


def shadowing_warnings(files: list[SubmissionFile]) -> list[str]:
    return [f"The submission's {f.path} has the name of the {f.shadows}. The notebook's kernel imports the real "
            "one first, so this file was not used in its place; ask why it is there."
            for f in files if f.shadows]
