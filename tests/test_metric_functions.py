"""harness/metric_functions.py against scikit-learn, the oracle: the same figures to the last bit on many seeded
inputs (ties, one score for every row, a handful of rows, one positive in hundreds, exact 0/1 probabilities,
one class; zeros and constants for the regression metrics), and the curves point for point."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from takehome_harness.harness import metric_functions as mf
from takehome_harness.harness.metrics import METRICS, compute_metrics


def _hard(p):
    return (p >= 0.5).astype(int)


# How the grader computed each metric with scikit-learn before (scoring.py up to this module).
SKLEARN = {
    "roc_auc": lambda y, p: skm.roc_auc_score(y, p),
    "average_precision": lambda y, p: skm.average_precision_score(y, p),
    "brier": lambda y, p: skm.brier_score_loss(y, p),
    "log_loss": lambda y, p: skm.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]),
    "accuracy": lambda y, p: skm.accuracy_score(y, _hard(p)),
    "f1": lambda y, p: skm.f1_score(y, _hard(p), zero_division=0),
    "rmse": lambda y, p: skm.root_mean_squared_error(y, p),
    "mae": lambda y, p: skm.mean_absolute_error(y, p),
    "r2": lambda y, p: skm.r2_score(y, p),
    "mape": lambda y, p: skm.mean_absolute_percentage_error(y, p),
}
CLASSIFICATION = ("roc_auc", "average_precision", "brier", "log_loss", "accuracy", "f1")
REGRESSION = ("rmse", "mae", "r2", "mape")


def oracle(name: str, y, p) -> float:
    """scikit-learn's figure, NaN where compute_metrics makes it NaN (a ValueError, or scikit-learn's own NaN)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(SKLEARN[name](y, p))
    except ValueError:
        return math.nan


def same(got: float, want: float) -> bool:
    """Bit for bit, NaN equal to NaN."""
    return (math.isnan(got) and math.isnan(want)) or got == want


def classification_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261201)
    cases = []
    for i in range(60):
        n = int(rng.integers(2, 2000))
        y = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(float)
        cases.append((f"random {i}", y, rng.random(n)))
        cases.append((f"ties {i}", y, np.round(rng.random(n), 1)))            # 11 distinct scores
        cases.append((f"few scores {i}", y, rng.choice([0.2, 0.5, 0.7], n)))  # 0.5 exactly: the threshold
        cases.append((f"exact 0/1 {i}", y, np.where(rng.random(n) < 0.3, y, rng.random(n))))
        cases.append((f"wrong 0/1 {i}", y, np.where(rng.random(n) < 0.3, 1 - y, rng.random(n))))
        cases.append((f"informative {i}", y, np.clip(0.5 * y + rng.normal(0.25, 0.2, n), 0, 1)))
    for i in range(30):
        n = int(rng.integers(1, 6))
        cases.append((f"tiny {i}", rng.integers(0, 2, n).astype(float), np.round(rng.random(n), 1)))
    for n in (1, 2, 7, 500):
        for label in (0.0, 1.0):
            cases.append((f"one class {label:g} n={n}", np.full(n, label), rng.random(n)))
        cases.append((f"all scores equal n={n}", rng.integers(0, 2, n).astype(float), np.full(n, 0.3)))
    for n in (50, 1000):
        y = np.zeros(n)
        y[rng.integers(n)] = 1
        cases.append((f"one positive in {n}", y, rng.random(n)))
        cases.append((f"one negative in {n}", 1 - y, rng.random(n)))
    cases.append(("integer labels", rng.integers(0, 2, 300), rng.random(300)))
    return cases


def regression_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261202)
    cases = []
    for i in range(60):
        n = int(rng.integers(2, 3000))
        y = rng.normal(30, 12, n)
        cases.append((f"random {i}", y, y + rng.normal(0, 5, n)))
        counts = rng.poisson(rng.uniform(0.3, 8), n).astype(float)             # many zeros: MAPE's epsilon
        cases.append((f"counts {i}", counts, rng.poisson(3, n).astype(float)))
        cases.append((f"rounded {i}", np.round(y), np.round(y + rng.normal(0, 2, n), 1)))
        cases.append((f"large {i}", y * 1e6, y * 1e6 + rng.normal(0, 1e5, n)))
    for n in (1, 2, 3, 50):
        y = np.full(n, 7.0)
        cases.append((f"constant y_true, perfect n={n}", y, y.copy()))
        cases.append((f"constant y_true, off n={n}", y, y + rng.normal(0, 1, n)))
        cases.append((f"all zero y_true n={n}", np.zeros(n), rng.normal(0, 1, n)))
    cases.append(("perfect", np.arange(10.0), np.arange(10.0)))
    return cases


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_metrics_equal_scikit_learns(name):
    differ = [(label, got, want) for label, y, p in classification_cases()
              if not same(got := compute_metrics(y_true=y, y_score=p, metrics=[name])[name], want := oracle(name, y, p))]
    assert not differ, differ[:5]


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_metrics_equal_scikit_learns(name):
    differ = [(label, got, want) for label, y, p in regression_cases()
              if not same(got := compute_metrics(y_true=y, y_score=p, metrics=[name])[name], want := oracle(name, y, p))]
    assert not differ, differ[:5]


def test_the_cases_cover_what_they_claim():
    """Guards the oracle tests against cases that would prove nothing: undefined results and the metric
    conventions (MAPE's epsilon, R²'s constant target, F1's zero division) each come up."""
    classes = [compute_metrics(y_true=y, y_score=p, metrics=CLASSIFICATION) for _, y, p in classification_cases()]
    assert sum(math.isnan(c["roc_auc"]) for c in classes) >= 8
    assert any(c["f1"] == 0 for c in classes) and any(c["average_precision"] == 0 for c in classes)
    regressions = [compute_metrics(y_true=y, y_score=p, metrics=REGRESSION) for _, y, p in regression_cases()]
    assert any(r["mape"] > 1e10 for r in regressions)
    assert {1.0, 0.0} <= {r["r2"] for r in regressions} and any(math.isnan(r["r2"]) for r in regressions)


def test_grouped_ties_are_what_the_tie_cases_test():
    """Scoring tied rows one by one instead of as one threshold gives another average precision and another ROC
    curve on the tie cases, so the oracle tests above would catch it."""
    def row_by_row_ap(y, p):
        y = y[np.argsort(-p, kind="stable")]
        tps = np.cumsum(y)
        precision, recall = tps / np.arange(1, len(y) + 1), tps / tps[-1]
        return float(np.sum(np.diff(np.r_[0, recall]) * precision))

    ties = [(y, p) for label, y, p in classification_cases() if label.startswith(("ties", "few scores"))]
    assert sum(not math.isclose(row_by_row_ap(y, p), skm.average_precision_score(y, p)) for y, p in ties) > 100
    assert all(math.isclose(mf.average_precision(y, p), skm.average_precision_score(y, p), rel_tol=0, abs_tol=0)
               for y, p in ties)
    y, p = np.array([1.0, 0.0]), np.array([0.4, 0.4])
    fpr, tpr, _ = mf.roc_curve(y, p)
    assert fpr.tolist() == [0, 1] and tpr.tolist() == [0, 1] and mf.roc_auc(y, p) == 0.5  # a diagonal, no step


def _sklearn_curves(y, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skm.roc_curve(y, p), skm.precision_recall_curve(y, p)


def test_curves_equal_scikit_learns_point_for_point():
    for label, y, p in classification_cases():
        (fpr, tpr, roc_thresholds), (precision, recall, pr_thresholds) = _sklearn_curves(y, p)
        for got, want in zip((*mf.roc_curve(y, p), *mf.precision_recall_curve(y, p)),
                             (fpr, tpr, roc_thresholds, precision, recall, pr_thresholds)):
            np.testing.assert_array_equal(got, want, err_msg=label, strict=True)


def test_roc_curve_drops_only_collinear_points_and_starts_at_the_origin():
    y, p = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    fpr, tpr, thresholds = mf.roc_curve(y, p)
    # 0.4 lies on the vertical segment from 0.5 to 0.3 (two positives in a row), 0.2 on the horizontal one to 0.1
    assert list(zip(fpr, tpr)) == [(0, 0), (0, 1 / 3), (1 / 3, 1 / 3), (1 / 3, 1), (1, 1)]
    assert thresholds.tolist() == [np.inf, 0.6, 0.5, 0.3, 0.1]


def test_probabilities_are_cut_at_one_half_inclusive():
    scores = compute_metrics(y_true=[1, 0, 0], y_score=[0.5, 0.49999, 0.5], metrics=["accuracy", "f1"])
    assert scores == {"accuracy": 2 / 3, "f1": 2 / 3}


def test_log_loss_stays_finite_on_confidently_wrong_predictions():
    loss = compute_metrics(y_true=[1, 0], y_score=[0.0, 1.0], metrics=["log_loss"])["log_loss"]
    assert loss == pytest.approx(-math.log(1e-15), rel=1e-4)  # 1 - (1 - 1e-15) is not 1e-15 in floating point


@pytest.mark.parametrize("y, p", [
    ([0, 2, 1], [0.1, 0.2, 0.3]),      # not 0/1 labels
    ([0.5, 1, 0], [0.1, 0.2, 0.3]),    # continuous labels
    ([], []),                          # nothing to score
])
def test_what_is_not_binary_classification_is_nan(y, p):
    scores = compute_metrics(y_true=y, y_score=p, metrics=CLASSIFICATION)
    assert all(math.isnan(v) for v in scores.values()), scores


@pytest.mark.parametrize("p", [[0.2, 1.2], [-0.1, 0.5]])
def test_outside_probabilities_brier_is_nan_and_log_loss_clipped_as_before(p):
    y, p = np.array([0.0, 1.0]), np.array(p)
    scores = compute_metrics(y_true=y, y_score=p, metrics=["brier", "log_loss"])
    assert math.isnan(scores["brier"]) and math.isnan(oracle("brier", y, p))
    assert scores["log_loss"] == oracle("log_loss", y, p) and math.isfinite(scores["log_loss"])


def test_regression_metrics_of_nothing_or_of_non_finite_labels_are_nan():
    for y in ([], [1.0, math.nan], [math.inf, 2.0]):
        scores = compute_metrics(y_true=y, y_score=[1.0] * len(y), metrics=[*REGRESSION, "wape"])
        assert all(math.isnan(v) for v in scores.values()), (y, scores)


def test_every_metric_but_wape_has_its_scikit_learn_oracle():
    assert set(METRICS) - set(SKLEARN) == {"wape"}
