"""The report's score block: the candidate's predictions on the hidden test, and what they claimed.

Validation and metrics come from harness.scoring (shared with graders/score.py), so the numbers match.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.report.model import ClaimedScoreInfo
from harness.scoring import (
    PredictionsContract, align_with_labels, canonical_metric, check_predictions, compute_metrics, row_keys,
)


@dataclass
class HiddenScore:
    metrics: dict[str, float] | None
    note: str
    y_true: np.ndarray | None = None     # aligned with y_score, for the ROC / PR plots
    y_score: np.ndarray | None = None


def score_hidden_test(*, predictions: Path | None, labels: pd.DataFrame | None, exercise: Any) -> HiddenScore:
    """Score the file the clean run wrote; every reason for not scoring is said in plain words."""
    if exercise is None:
        return HiddenScore(None, "No exercise is known for this notebook, so there is no hidden test to score.")
    if labels is None:
        return HiddenScore(None, "Hidden labels are only used for a verified bundle; this submission is not one.")
    contract = PredictionsContract.from_exercise(exercise)
    if predictions is None or not predictions.is_file():
        return HiddenScore(None, f"The clean run did not write {contract.file}.")
    checked = check_predictions(path=predictions, contract=contract,
                                expected_ids=row_keys(labels, exercise.id_columns).tolist())
    if checked.frame is None:
        return HiddenScore(None, f"{contract.file} could not be scored: " + "; ".join(checked.errors))
    y_true, y_score = align_with_labels(checked=checked, labels=labels, id_columns=exercise.id_columns,
                                        target_column=exercise.target_column)
    scored = compute_metrics(y_true=y_true, y_score=y_score, metrics=exercise.metrics)
    return HiddenScore({k: v for k, v in scored.items() if not math.isnan(v)},
                       f"Scored on all {len(y_true)} hidden test rows.", y_true=y_true, y_score=y_score)


def claimed_scores(claims: list[Any]) -> list[ClaimedScoreInfo]:
    """graders._trace.ClaimedScore objects -> report entries (metric names made canonical where known)."""
    return [ClaimedScoreInfo(metric=canonical_metric(str(c.metric)) or str(c.metric), value=float(c.value),
                             cell=c.cell, heldout=bool(c.heldout), model=c.model, is_baseline=bool(c.is_baseline))
            for c in claims if isinstance(c.value, (int, float)) and math.isfinite(c.value)]


def claimed_primary(claims: list[ClaimedScoreInfo], primary: str | None) -> float | None:
    """The candidate's own headline number: their last held-out, non-baseline score on the primary metric."""
    matching = [c for c in claims if c.heldout and not c.is_baseline and (primary is None or c.metric == primary)]
    return matching[-1].value if matching else None
