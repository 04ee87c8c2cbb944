"""The demand generator: deterministic, a composite key, the documented traps, and baseline < reference < ceiling.

Run with `-s` to see the numbers that docs/demand-data.md quotes."""
from __future__ import annotations

import pandas as pd
import pytest

from takehome_harness.datasets import demand
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files

EXERCISE = load_exercise("demand")


@pytest.fixture(scope="module")
def data():
    return demand.generate(seed=EXERCISE.default_seed)


def test_same_seed_gives_same_csv_bytes_and_other_seed_differs():
    first = data_files(exercise=EXERCISE, seed=7)
    assert first == data_files(exercise=EXERCISE, seed=7)
    assert first["data/train.csv"] != data_files(exercise=EXERCISE, seed=8)["data/train.csv"]


def test_composite_key_and_forecast_window(data):
    key = list(EXERCISE.id_columns)
    assert key == list(demand.ID_COLUMNS) and not data.train.duplicated(key).any()
    assert data.labels[key].equals(data.test[key])
    train_dates, test_dates = pd.to_datetime(data.train["date"]), pd.to_datetime(data.test["date"])
    assert test_dates.min() == train_dates.max() + pd.Timedelta(days=1)
    assert test_dates.nunique() == demand.HORIZON
    assert len(data.test) == demand.N_STORES * demand.N_PRODUCTS * demand.HORIZON


def test_leak_filled_in_history_and_empty_in_the_window(data):
    [leak] = EXERCISE.leak_columns
    assert data.train[leak].notna().all() and data.test[leak].isna().all()
    stockout = data.train[leak] == 0
    assert stockout.sum() > 500 and (data.train.loc[stockout, "units"] == 0).mean() > 0.5


def test_late_starts_and_missing_days(data):
    first_day = pd.to_datetime(data.train.groupby("store_id")["date"].min())
    assert (first_day > first_day.min()).sum() >= 3
    days_per_series = data.train.groupby(["store_id", "product_id"]).size()
    full = days_per_series.max()
    assert full < demand.HISTORY_DAYS  # till outages remove a few days even from full series


@pytest.mark.slow
def test_reference_scores_order_baseline_reference_ceiling(data):
    scores = demand.reference_model_scores(data)
    print("\ndemand reference scores (default seed):", scores)
    wape = {name: values["wape"] for name, values in scores.items()}
    assert wape["ceiling"] < wape["reference"] < wape["baseline"]
