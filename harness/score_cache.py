"""Where a variant's hidden-test reference scores are kept between grades, and whether they are there.

Light on purpose (neither pandas nor scikit-learn is imported): a parallel batch's parent asks it which variants
still need fitting before its workers start (harness/reference_prefit.py), and the parent's size is counted again in
every worker it forks."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from takehome_harness.harness.atomic_files import write_text_atomic
from takehome_harness.harness.user_dirs import cache_dir

if TYPE_CHECKING:
    from takehome_harness.harness.exercise import Exercise

# The reference scores depend on these besides the generator's code, the metric code and the exercise's own files.
_SCORE_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy")


def scores_path(exercise: Exercise, seed: int) -> Path:
    return cache_dir() / "reference-scores" / f"{variant_key(exercise, seed)}.json"


def read_scores(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_scores(path: Path, scores: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_text_atomic(path, json.dumps(scores, allow_nan=False))


@contextlib.contextmanager
def fitting_alone(path: Path) -> Iterator[None]:
    """Held while this process fits the scores that belong in `path`; the kernel lets go if the process dies."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = lock_path.open("a")
    except OSError:  # no cache folder to lock in: fit without waiting for anyone
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            # not left in the cache: whoever still waits on this file, or opens a new one, holds the lock alone
            # and reads the cache again before fitting, and the scores were written before this
            lock_path.unlink(missing_ok=True)


def variant_key(exercise: Exercise, seed: int) -> str:
    """Everything the reference scores depend on: exercise, version and seed, the generator's folder of code,
    the harness's metric code, the exercise's own files (a team's data) and the versions of the libraries that fit
    the models. Hashed, so the cache's file names say nothing about the seed."""
    digest = hashlib.sha256(json.dumps([exercise.id, exercise.version, seed, exercise.spec]).encode())
    code = _source_file(exercise.generator_module_name).parent
    for path in [*sorted(code.glob("*.py")), metric_code()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in sorted(exercise.folder.iterdir(), key=lambda entry: entry.name):
        if name.is_file():
            digest.update(name.name.encode() + b"\0" + name.read_bytes())
    digest.update(_library_versions().encode())
    return digest.hexdigest()[:32]


@functools.cache
def _library_versions() -> str:
    """Looked up once per process: each lookup scans the installed packages' metadata (5 ms a variant, 0.1 s of
    a parallel batch's planning for 20 variants)."""
    found = []
    for package in _SCORE_PACKAGES:
        try:
            found.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            pass
    return "".join(found)


def metric_code() -> Path:
    """The harness's metric code (no library version to key on)."""
    return _source_file("takehome_harness.harness.metric_functions")


def _source_file(module: str) -> Path:
    # found, not imported: the generator and metric modules import pandas and numpy
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no source file for {module}")
    return Path(spec.origin)
