"""The delivery-time generator: deterministic, with the documented traps and a known ceiling.

Run with `-s` to see the numbers that docs/delivery-data.md quotes.
"""
from __future__ import annotations

import pandas as pd
import pytest

from takehome_harness.datasets import delivery
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files

EXERCISE = load_exercise("delivery")


@pytest.fixture(scope="module")
def data():
    return delivery.generate(seed=EXERCISE.default_seed)


def test_same_seed_gives_same_csv_bytes_and_other_seed_differs():
    first = data_files(exercise=EXERCISE, seed=7)
    assert first == data_files(exercise=EXERCISE, seed=7)
    assert first["data/train.csv"] != data_files(exercise=EXERCISE, seed=8)["data/train.csv"]


def test_contract_columns_and_ids(data):
    assert delivery.TARGET_COLUMN not in data.test.columns
    assert data.labels[delivery.ID_COLUMN].tolist() == data.test[delivery.ID_COLUMN].tolist()
    ids = pd.concat([data.train[delivery.ID_COLUMN], data.test[delivery.ID_COLUMN]])
    assert ids.is_unique and ids.str.fullmatch(r"O-\d{7}").all()
    train_time = pd.to_datetime(data.train[delivery.TIME_COLUMN], format="%Y-%m-%d %H:%M")
    test_time = pd.to_datetime(data.test[delivery.TIME_COLUMN], format="%Y-%m-%d %H:%M")
    assert train_time.is_monotonic_increasing and train_time.max() < test_time.min()


def test_leak_is_filled_in_train_and_empty_in_test(data):
    [leak] = EXERCISE.leak_columns
    assert data.train[leak].notna().all() and data.test[leak].isna().all()
    plausible = delivery.plausible(data.train)
    # it knows the true route, so it tracks the target better than the straight-line distance does
    assert plausible[leak].corr(plausible[delivery.TARGET_COLUMN]) > \
        plausible["distance_km"].corr(plausible[delivery.TARGET_COLUMN]) + 0.05


def test_impossible_targets_only_in_train(data):
    target = data.train[delivery.TARGET_COLUMN]
    assert (target <= 0).sum() == delivery.N_TOO_SHORT and (target > 600).sum() == delivery.N_TOO_LONG
    assert data.labels[delivery.TARGET_COLUMN].between(1, 600).all()


def test_target_is_right_skewed_and_noisier_for_long_trips(data):
    plausible = delivery.plausible(data.train)
    target = plausible[delivery.TARGET_COLUMN]
    assert target.mean() > target.median() and target.skew() > 1
    quartile = pd.qcut(plausible["distance_km"], 4)
    spread = target.groupby(quartile, observed=True).std()
    assert spread.iloc[-1] > 2 * spread.iloc[0]

def test_missing_values_depend_on_other_columns(data):
    feed_missing = data.train["weather"].isna().groupby(data.train["city"]).mean()
    assert feed_missing["Eastport"] > 2 * feed_missing.drop("Eastport").max()
    assert 0.05 < data.train["courier_experience_months"].isna().mean() < 0.2


def test_test_month_drifts(data):
    assert (data.train["weather"] == "snow").mean() > 0.05 and (data.test["weather"] == "snow").sum() == 0
    assert (data.test["courier_vehicle"] == "car").mean() > (data.train["courier_vehicle"] == "car").mean()


@pytest.mark.slow
def test_reference_scores_order_baseline_reference_ceiling(data):
    scores = delivery.reference_model_scores(data)
    print("\ndelivery reference scores (default seed):", scores)
    mae = {name: values["mae"] for name, values in scores.items()}
    assert mae["ceiling"] < mae["reference"] < mae["baseline"]
    assert mae["reference"] < 0.8 * mae["baseline"]
    # the leak helps while validating on train but the test rows do not have it
    assert mae["reference_with_leak"] > mae["reference"]
