"""Turn an exercise variant (exercise + seed) into files and grader-side labels.

The candidate-visible CSVs are rendered in exactly one place (`data_files`) so the bundle and the
grader's copy of data/ are byte-identical for the same variant.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from takehome_harness.harness import metric_functions
from takehome_harness.harness.atomic_files import write_text_atomic
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import Exercise, load_exercise
from takehome_harness.harness.user_dirs import cache_dir

# The reference scores depend on these besides the generator's code, the metric code and the exercise's own files.
_SCORE_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy")


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def data_files(*, exercise: Exercise, seed: int) -> dict[str, bytes]:
    """{relative path: CSV bytes} of the candidate-visible data; never the test labels."""
    return render_data_files(exercise=exercise, data=exercise.generate(seed=seed))


def render_data_files(*, exercise: Exercise, data: Any) -> dict[str, bytes]:
    """data_files from a variant already generated (takehome_harness.datasets.GeneratedData)."""
    if exercise.target_column in data.test.columns:
        raise HarnessError(f"generator for '{exercise.id}' left the target column in the test set")
    return {
        exercise.train_file: _csv_bytes(data.train),
        exercise.test_file: _csv_bytes(data.test),
    }


def write_data(*, exercise: Exercise, seed: int, dest_dir: Path) -> Any:
    """Write data/train.csv and data/test.csv (paths from exercise.json) under dest_dir; return the generated variant
    (takehome_harness.datasets.GeneratedData), so the grader's labels need not generate it again."""
    data = exercise.generate(seed=seed)
    for relative, content in render_data_files(exercise=exercise, data=data).items():
        target = Path(dest_dir) / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:
            raise HarnessError(f"cannot write {target}: {exc.strerror}") from None
    return data


def hidden_labels(*, exercise: Exercise, seed: int) -> pd.DataFrame:
    """[id column, target column] for the test rows of this variant (grader side only)."""
    return exercise.generate(seed=seed).labels


def reference_scores(*, exercise: Exercise, seed: int) -> dict[str, Any] | None:
    """Hidden-test scores of the trivial baseline / reference model on this variant, if the exercise's
    generator module offers `reference_model_scores`; cached per (exercise, seed) within the process and on
    disk under the harness's cache folder (they depend only on the variant, and fitting the models is the
    slowest part of grading a verified bundle after the notebook itself)."""
    return _reference_scores_cached(exercise.id, seed)


@lru_cache(maxsize=16)
def _reference_scores_cached(exercise_id: str, seed: int) -> dict[str, Any] | None:
    exercise = load_exercise(exercise_id)
    scorer = getattr(exercise.generator_module, "reference_model_scores", None)
    if scorer is None:
        return None
    path = _reference_scores_path(exercise, seed)
    if (cached := _read_reference_scores(path)) is not None:
        return cached
    with _fitting_alone(path):
        # the workers of a batch meet the same variant at once: one fits it, the others wait and read its file, so
        # each variant is fitted once and the waiting workers never import scikit-learn (about 90 MB each, kept
        # for the rest of the batch)
        if (cached := _read_reference_scores(path)) is not None:
            return cached
        scores = scorer(exercise.generate(seed=seed))
        try:
            _write_reference_scores(path, scores)
        except (OSError, TypeError, ValueError):  # a cache that cannot be written costs time, nothing else
            pass
    return scores


def _read_reference_scores(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _fitting_alone(path: Path) -> Iterator[None]:
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


def store_reference_scores(*, exercise: Exercise, seed: int, data: Any) -> None:
    """Fit the variant's reference scores from its data, already generated, and write them where
    `reference_scores` looks first: `harness bundle` does it, so grading a bundle this grader issued fits
    nothing. Raises whatever fitting or writing raises; the caller decides what a failure costs."""
    scorer = getattr(exercise.generator_module, "reference_model_scores", None)
    if scorer is not None:
        _write_reference_scores(_reference_scores_path(exercise, seed), scorer(data))


def _reference_scores_path(exercise: Exercise, seed: int) -> Path:
    return cache_dir() / "reference-scores" / f"{_variant_key(exercise, seed)}.json"


def _write_reference_scores(path: Path, scores: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_text_atomic(path, json.dumps(scores, allow_nan=False))


def _variant_key(exercise: Exercise, seed: int) -> str:
    """Everything the reference scores depend on: exercise, version and seed, the generator's folder of code,
    the harness's metric code, the exercise's own files (a team's data) and the versions of the libraries that fit
    the models. Hashed, so the cache's file names say nothing about the seed."""
    digest = hashlib.sha256(json.dumps([exercise.id, exercise.version, seed, exercise.spec]).encode())
    code = Path(exercise.generator_module.__file__).parent
    for path in [*sorted(code.glob("*.py")), Path(metric_functions.__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in sorted(exercise.folder.iterdir(), key=lambda entry: entry.name):
        if name.is_file():
            digest.update(name.name.encode() + b"\0" + name.read_bytes())
    for package in _SCORE_PACKAGES:
        try:
            digest.update(f"{package}=={version(package)}".encode())
        except PackageNotFoundError:
            pass
    return digest.hexdigest()[:32]
