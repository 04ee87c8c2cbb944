"""What the generators' reference models share: a raw frame turned into model features the way
HistGradientBoosting reads them (dates as days, text as categories, numbers as floats)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pandas as pd

from takehome_harness.harness.metrics import compute_metrics

EPOCH = pd.Timestamp("2000-01-01")


def model_features(frame: pd.DataFrame, *, drop: Iterable[str], dates: Iterable[str] = ()) -> pd.DataFrame:
    """Every column but `drop`; `dates` become days since 2000-01-01, text becomes categories."""
    drop = set(drop)
    features = frame.drop(columns=[c for c in frame.columns if c in drop])
    for column in dates:
        if column in features.columns:
            features[column] = (pd.to_datetime(features[column]) - EPOCH).dt.days
    for column in features.columns:
        if features[column].dtype == object or pd.api.types.is_string_dtype(features[column]):
            features[column] = features[column].astype("category")
        else:
            features[column] = features[column].astype("float64")
    return features


def align_categories(features: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """Give new rows' categoricals the training categories so a fitted model can read them."""
    for column in like.columns:
        if isinstance(like[column].dtype, pd.CategoricalDtype):
            features[column] = pd.Categorical(features[column].astype("object"),
                                              categories=like[column].cat.categories)
    return features


def rounded_metrics(y_true, y_score, metrics: Iterable[str]) -> dict[str, float]:
    """The grader's own metric code (takehome_harness.harness.metrics, numpy only: generate() runs on every
    grade), rounded to 4 places for the truth and the docs."""
    return {name: round(value, 4) for name, value in
            compute_metrics(y_true=y_true, y_score=y_score, metrics=metrics).items()}


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Reference models are fitted by the grader next to sandboxed notebooks; on a busy 2-core machine
    HistGradientBoosting's OpenMP pool spins (churn measured 0.7 s alone, 7-20 s under load)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield
