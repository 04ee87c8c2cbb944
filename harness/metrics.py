"""The metrics the grader knows: name, which way is better, label, the names code spells them with, and
computing them (harness/metric_functions.py, numpy only).

Apart from the predictions contract (harness/scoring.py, pandas), and numpy is imported only to compute: checking an
exercise's spec needs the names, and a grade checks it before its sandbox starts, where numpy's import (~0.15 s)
would delay the container.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from takehome_harness.harness.errors import HarnessError


@dataclass(frozen=True)
class Metric:
    name: str                      # also the name of its function in takehome_harness.harness.metric_functions
    higher_is_better: bool
    label: str


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("roc_auc", True, "ROC AUC"),
    Metric("average_precision", True, "average precision"),
    Metric("brier", False, "Brier score"),
    Metric("log_loss", False, "log loss"),
    Metric("accuracy", True, "accuracy"),
    Metric("f1", True, "F1"),
    Metric("rmse", False, "RMSE"),
    Metric("mae", False, "MAE"),
    Metric("r2", True, "R²"),
    Metric("mape", False, "MAPE"),
    Metric("wape", False, "WAPE"),
]}

# Names candidates' code (and the trace) use for the same metrics.
_ALIASES = {
    "roc_auc_score": "roc_auc", "auc": "roc_auc", "rocauc": "roc_auc", "roc": "roc_auc",
    "average_precision_score": "average_precision", "ap": "average_precision", "pr_auc": "average_precision",
    "brier_score_loss": "brier", "brier_score": "brier",
    "accuracy_score": "accuracy", "acc": "accuracy",
    "f1_score": "f1",
    "root_mean_squared_error": "rmse", "mean_absolute_error": "mae",
    "r2_score": "r2", "mean_absolute_percentage_error": "mape",
    "weighted_absolute_percentage_error": "wape",
    "logloss": "log_loss", "cross_entropy": "log_loss",
}


def canonical_metric(name: str) -> str | None:
    """Map a metric name as code spells it (roc_auc_score, 'AUC', ...) to a METRICS key, or None."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    return key if key in METRICS else None


def higher_is_better(metric: str) -> bool:
    return METRICS[metric].higher_is_better


def compute_metrics(*, y_true: Iterable[Any], y_score: Iterable[Any], metrics: Iterable[str]) -> dict[str, float]:
    """Every named metric of y_score against y_true; a metric undefined on this data is NaN."""
    import numpy as np

    from takehome_harness.harness import metric_functions

    y = np.asarray(list(y_true), dtype=float)
    p = np.asarray(list(y_score), dtype=float)
    if y.shape != p.shape:
        raise HarnessError(f"cannot score: {len(y)} labels but {len(p)} predictions")
    out: dict[str, float] = {}
    for name in metrics:
        if name not in METRICS:
            raise HarnessError(f"unknown metric '{name}' (known: {', '.join(METRICS)})")
        try:
            with warnings.catch_warnings():  # undefined cases become NaN below; no console noise
                warnings.simplefilter("ignore")
                out[name] = getattr(metric_functions, name)(y, p)
        except ValueError:  # e.g. ROC AUC when the labels hold a single class
            out[name] = math.nan
    return out
