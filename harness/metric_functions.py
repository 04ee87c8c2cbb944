"""The scoring metrics and the report's ROC and precision-recall curves, with numpy only.

Hand-written on purpose, against the rule of using the library that already does it: `import sklearn.metrics`
costs the grader process 71 MiB of RSS and about 1 s of CPU (measured 2026-12-01 on the 2-core development
machine), on every grade, where a grade's goal is 200 MiB and it peaked at 225. Each function follows
scikit-learn's own definition, operation for operation, so the figures are the same to the last bit:
tests/test_metric_functions.py holds them to scikit-learn's on many inputs. The candidate's notebook still runs
scikit-learn itself, in the sandbox; the reference models are still fitted with it.

Labels of the classification metrics are 0/1 (the positive class is 1), as every exercise's data writes them;
any other labels, an empty input or a non-finite value is a ValueError, like a case scikit-learn rejects.
"""
from __future__ import annotations

import numpy as np

# Probabilities become hard labels at this threshold for accuracy and F1.
THRESHOLD = 0.5


def _checked(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    if y.ndim != 1 or y.shape != p.shape:
        raise ValueError(f"y_true and y_score must be 1-D of one length, not {y.shape} and {p.shape}")
    if not len(y):
        raise ValueError("no samples")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError("y_true and y_score must be finite")
    return y, p


def _binary(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = _checked(y_true, y_score)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("binary labels must be 0 or 1")
    return y, p


def _probabilities(y_true: np.ndarray, y_prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = _binary(y_true, y_prob)
    if p.max() > 1 or p.min() < 0:
        raise ValueError("probabilities must lie in [0, 1]")
    return y, p


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values))


def binary_clf_curve(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positives, true positives, threshold) at each distinct score, highest score first: the counts of
    rows scored >= that threshold (scikit-learn's confusion_matrix_at_thresholds)."""
    y, p = _binary(y_true, y_score)
    order = np.argsort(-p, kind="stable")
    p, y = p[order], y[order]
    # the last row of each run of tied scores, so tied rows are counted together, never one by one
    threshold_idxs = np.r_[np.flatnonzero(np.diff(p)), len(y) - 1]
    tps = np.cumsum(y)[threshold_idxs]
    fps = 1 + threshold_idxs - tps
    return fps, tps, p[threshold_idxs]


def roc_curve(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, thresholds) from (0, 0), without the points collinear with
    their neighbours (scikit-learn's roc_curve with drop_intermediate=True); a rate with no row of its class
    to divide by is NaN."""
    fps, tps, thresholds = binary_clf_curve(y_true, y_score)
    if len(fps) > 2:
        corners = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corners], tps[corners], thresholds[corners]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, thresholds), recall decreasing, ending at (recall 0, precision 1); recall is 1
    throughout when no label is positive (scikit-learn's precision_recall_curve)."""
    fps, tps, thresholds = binary_clf_curve(y_true, y_score)
    precision = tps / (tps + fps)  # every threshold counts at least its own row: never 0 / 0
    recall = tps / tps[-1] if tps[-1] != 0 else np.ones(tps.shape)
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under roc_curve by the trapezoidal rule; undefined with a single class."""
    y, p = _binary(y_true, y_score)
    if len(np.unique(y)) != 2:
        raise ValueError("ROC AUC is undefined when the labels hold a single class")
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Precision at each threshold weighted by the recall it adds (no interpolation), as scikit-learn's
    average_precision_score; its rounding can leave -0.0, read as 0."""
    precision, recall, _ = precision_recall_curve(y_true, y_score)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def brier(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """Mean squared error of the probability, written as scikit-learn writes it (half the squared error summed
    over both classes' columns), which rounds differently from (y - p) ** 2 in the last bit."""
    y, p = _probabilities(y_true, y_prob)
    return 0.5 * _mean(((1 - y) - (1 - p)) ** 2 + (y - p) ** 2)


def log_loss(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class. Candidates legitimately predict exact 0/1: the probability
    is clipped to [1e-15, 1 - 1e-15] first, so one such row cannot make the loss infinite (scikit-learn's own
    clip to machine epsilon then changes nothing)."""
    y, p = _binary(y_true, y_prob)
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return _mean(-np.log(np.where(y == 1, p, 1 - p)))


def _hard(y_score: np.ndarray) -> np.ndarray:
    return (y_score >= THRESHOLD).astype(float)


def accuracy(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Share of rows whose label the probability gets right at the 0.5 threshold."""
    y, p = _binary(y_true, y_score)
    return _mean(y == _hard(p))


def f1(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """F1 of the positive class at the 0.5 threshold; 0 when nothing is positive, neither label nor prediction
    (scikit-learn's zero_division=0)."""
    y, p = _binary(y_true, y_score)
    predicted = _hard(p)
    true_positives = float(np.sum((y == 1) & (predicted == 1)))
    denominator = float(np.sum(y == 1)) + float(np.sum(predicted == 1))
    return 2.0 * true_positives / denominator if denominator else 0.0


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y, p = _checked(y_true, y_pred)
    return float(np.sqrt(np.mean((y - p) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y, p = _checked(y_true, y_pred)
    return _mean(np.abs(p - y))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination with scikit-learn's conventions: NaN under two rows; a perfect prediction
    is 1 and any other is 0 when y_true is constant (no variance to explain)."""
    y, p = _checked(y_true, y_pred)
    if len(y) < 2:
        return float("nan")
    residual = np.sum((y - p) ** 2)
    total = np.sum((y - np.mean(y)) ** 2)
    if residual == 0:
        return 1.0
    return float(1 - residual / total) if total != 0 else 0.0


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error as a fraction; an actual of zero divides by machine epsilon instead
    (scikit-learn's convention), so one such row makes it huge, not infinite."""
    y, p = _checked(y_true, y_pred)
    return _mean(np.abs(p - y) / np.maximum(np.abs(y), np.finfo(np.float64).eps))


def wape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Weighted absolute percentage error: total absolute error over total actual volume (forecasting's
    usual headline; unlike MAPE it stays defined when many actuals are zero)."""
    y, p = _checked(y_true, y_pred)
    total = float(np.abs(y).sum())
    if total == 0:
        raise ValueError("WAPE is undefined when every actual value is zero")
    return float(np.abs(y - p).sum() / total)
