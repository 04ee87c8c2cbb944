"""Turn an exercise variant (exercise + seed) into files and grader-side labels.

The candidate-visible CSVs are rendered in exactly one place (`data_files`) so the bundle and the
grader's copy of data/ are byte-identical for the same variant.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import HarnessError
from harness.exercise import Exercise, load_exercise


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def data_files(*, exercise: Exercise, seed: int) -> dict[str, bytes]:
    """{relative path: CSV bytes} of the candidate-visible data; never the test labels."""
    data = exercise.generate(seed=seed)
    if exercise.target_column in data.test.columns:
        raise HarnessError(f"generator for '{exercise.id}' left the target column in the test set")
    return {
        exercise.train_file: _csv_bytes(data.train),
        exercise.test_file: _csv_bytes(data.test),
    }


def write_data(*, exercise: Exercise, seed: int, dest_dir: Path) -> None:
    """Write data/train.csv and data/test.csv (paths from exercise.json) under dest_dir."""
    for relative, content in data_files(exercise=exercise, seed=seed).items():
        target = Path(dest_dir) / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:
            raise HarnessError(f"cannot write {target}: {exc.strerror}") from None


def hidden_labels(*, exercise: Exercise, seed: int) -> pd.DataFrame:
    """[id column, target column] for the test rows of this variant (grader side only)."""
    return exercise.generate(seed=seed).labels


def reference_scores(*, exercise: Exercise, seed: int) -> dict[str, Any] | None:
    """Hidden-test scores of the trivial baseline / reference model on this variant, if the exercise's
    generator module offers `reference_model_scores`; cached per (exercise, seed) within the process."""
    return _reference_scores_cached(exercise.id, seed)


@lru_cache(maxsize=16)
def _reference_scores_cached(exercise_id: str, seed: int) -> dict[str, Any] | None:
    exercise = load_exercise(exercise_id)
    scorer = getattr(exercise.generator_module, "reference_model_scores", None)
    return scorer(exercise.generate(seed=seed)) if scorer else None
