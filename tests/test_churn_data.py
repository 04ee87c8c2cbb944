"""The churn generator: deterministic, realistic, with the documented traps and a known ceiling.

Run with `-s` to see the numbers that docs/churn-data.md quotes.
"""
from __future__ import annotations

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from takehome_harness.datasets import churn
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files, hidden_labels, write_data

SEED = load_exercise("churn").default_seed


@pytest.fixture(scope="module")
def data():
    return churn.generate(seed=SEED)


def test_same_seed_gives_same_csv_bytes_and_other_seed_differs():
    exercise = load_exercise("churn")
    first = data_files(exercise=exercise, seed=7)
    assert first == data_files(exercise=exercise, seed=7)
    assert first["data/train.csv"] != data_files(exercise=exercise, seed=8)["data/train.csv"]


def test_contract_columns_and_ids(data):
    assert churn.TARGET_COLUMN not in data.test.columns
    assert set(data.train[churn.TARGET_COLUMN].unique()) == {0, 1}
    assert list(data.labels.columns) == [churn.ID_COLUMN, churn.TARGET_COLUMN]
    assert data.labels[churn.ID_COLUMN].tolist() == data.test[churn.ID_COLUMN].tolist()
    assert data.test[churn.ID_COLUMN].is_unique
    assert data.train[churn.ID_COLUMN].str.fullmatch(r"C-\d{6}").all()
    # ids never cross between train and test; the only repeats are the planted exact duplicates
    assert not set(data.train[churn.ID_COLUMN]) & set(data.test[churn.ID_COLUMN])
    assert data.train.duplicated().sum() == churn.N_DUPLICATES
    assert data.train[churn.ID_COLUMN].duplicated().sum() == churn.N_DUPLICATES


def test_column_kinds(data):
    assert pd.to_datetime(data.train[churn.DATE_COLUMN], format="%Y-%m-%d").notna().all()
    for column in ["region", "plan", "contract", "payment_method", "autopay"]:
        assert data.train[column].nunique() >= 2
    for column in ["age", "tenure_months", "monthly_charges", "support_tickets_90d"]:
        assert pd.api.types.is_numeric_dtype(data.train[column])


def test_missing_values_depend_on_other_columns(data):
    train = data.train
    assert train["avg_weekly_usage_hours"].isna().groupby(train["plan"]).mean()["Basic"] > 0.15
    assert train["avg_weekly_usage_hours"].isna().groupby(train["plan"]).mean()["Premium"] < 0.10
    new = train["tenure_months"] < 2
    assert train.loc[new, "total_charges"].isna().mean() > 0.4 > train.loc[~new, "total_charges"].isna().mean()
    paypal = train["payment_method"] == "paypal"
    assert train.loc[paypal, "age"].isna().mean() > 2 * train.loc[~paypal, "age"].isna().mean()


def test_outliers_and_drift(data):
    train, test = data.train, data.test
    typical = train.groupby("plan")["monthly_charges"].median()
    assert (train["monthly_charges"] > 5 * typical.max()).sum() >= 3
    assert pd.to_datetime(test[churn.DATE_COLUMN]).median() > pd.to_datetime(train[churn.DATE_COLUMN]).median()
    periods = {"train": train, "test": test}
    premium_price = {name: df.loc[df["plan"] == "Premium", "monthly_charges"].median() for name, df in periods.items()}
    assert premium_price["test"] > 1.05 * premium_price["train"]
    month_to_month = {name: (df["contract"] == "month-to-month").mean() for name, df in periods.items()}
    assert month_to_month["test"] > month_to_month["train"] + 0.05


def test_leak_column_is_filled_only_after_churn(data):
    reason_known = data.train["cancellation_reason"].notna()
    by_class = reason_known.groupby(data.train[churn.TARGET_COLUMN]).mean()
    assert by_class[1] > 0.9 and by_class[0] < 0.02
    assert data.test["cancellation_reason"].isna().all()


@pytest.mark.slow
def test_printed_data_profile_and_model_scores(data):
    """The numbers in docs/churn-data.md: sane ranges for the default variant."""
    train = data.train
    churn_rate = train[churn.TARGET_COLUMN].mean()
    print(f"\nseed {SEED}: train rows {len(train)}, test rows {len(data.test)}, "
          f"train churn rate {churn_rate:.3f}, test churn rate {data.truth['churn_rate_test']:.3f}")
    print("missing share per column (train):")
    for column, share in train.isna().mean().items():
        print(f"  {column:24} {share:.3f}")
    assert 5000 <= len(train) <= 7000 and 1500 <= len(data.test) <= 2500
    assert 0.10 <= churn_rate <= 0.25

    scores = churn.reference_model_scores(data)
    fit, held_out = train_test_split(train, test_size=0.25, random_state=0, stratify=train[churn.TARGET_COLUMN])
    leaky = churn.fit_reference_model(fit, keep_leak=True)
    held_out_leak_auc = churn.score_probabilities(
        held_out[churn.TARGET_COLUMN], churn.predict_reference(leaky, fit, held_out, keep_leak=True))["roc_auc"]
    print("hidden-test scores:")
    for name, metrics in scores.items():
        print(f"  {name:22} {metrics}")
    print(f"  held-out AUC within train with the leak column: {held_out_leak_auc:.4f}")

    assert scores["baseline"]["roc_auc"] == 0.5
    assert 0.72 < scores["reference"]["roc_auc"] <= scores["ceiling"]["roc_auc"] + 0.01
    assert scores["ceiling"]["roc_auc"] < 0.9
    assert held_out_leak_auc > 0.97                        # implausibly good while validating...
    assert scores["reference_with_leak"]["roc_auc"] < scores["reference"]["roc_auc"]  # ...and it does not last


def test_materialize_writes_only_candidate_files(tmp_path):
    exercise = load_exercise("churn")
    write_data(exercise=exercise, seed=3, dest_dir=tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv")) == [
        "data/test.csv", "data/train.csv"]
    test = pd.read_csv(tmp_path / "data" / "test.csv")
    assert "churned" not in test.columns
    labels = hidden_labels(exercise=exercise, seed=3)
    assert labels["customer_id"].tolist() == test["customer_id"].tolist()

