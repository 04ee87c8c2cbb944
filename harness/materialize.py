"""Turn an exercise variant (exercise + seed) into files and grader-side labels.

The candidate-visible CSVs are rendered in exactly one place (`data_files`) so the bundle and the
grader's copy of data/ are byte-identical for the same variant.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from takehome_harness.harness import score_cache
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import Exercise, load_exercise


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
    disk under the harness's cache folder (harness/score_cache.py: they depend only on the variant, and fitting
    the models is the slowest part of grading a verified bundle after the notebook itself)."""
    return _reference_scores_cached(exercise.id, seed)


@lru_cache(maxsize=16)
def _reference_scores_cached(exercise_id: str, seed: int) -> dict[str, Any] | None:
    exercise = load_exercise(exercise_id)
    scorer = getattr(exercise.generator_module, "reference_model_scores", None)
    if scorer is None:
        return None
    path = score_cache.scores_path(exercise, seed)
    if (cached := score_cache.read_scores(path)) is not None:
        return cached
    with score_cache.fitting_alone(path):
        # the workers of a batch meet the same variant at once: one fits it, the others wait and read its file, so
        # each variant is fitted once and the waiting workers never import scikit-learn (about 90 MB each, kept
        # for the rest of the batch)
        if (cached := score_cache.read_scores(path)) is not None:
            return cached
        scores = scorer(exercise.generate(seed=seed))
        try:
            score_cache.write_scores(path, scores)
        except (OSError, TypeError, ValueError):  # a cache that cannot be written costs time, nothing else
            pass
    return scores


def store_reference_scores(*, exercise: Exercise, seed: int, data: Any) -> None:
    """Fit the variant's reference scores from its data, already generated, and write them where
    `reference_scores` looks first: `harness bundle` does it, so grading a bundle this grader issued fits
    nothing. Raises whatever fitting or writing raises; the caller decides what a failure costs."""
    scorer = getattr(exercise.generator_module, "reference_model_scores", None)
    if scorer is not None:
        score_cache.write_scores(score_cache.scores_path(exercise, seed), scorer(data))
