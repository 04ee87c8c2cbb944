"""Synthetic subscriber-churn data with a known generative process and planted traps.

Generative process (one draw per customer; see docs/churn-data.md for the full table):

    latent logit = INTERCEPT
                 + contract effect (month-to-month +0.9, one-year -0.3, two-year -1.2)
                 - 0.45 * log1p(tenure_months)
                 + 0.025 * (true monthly charges - 55)
                 + 0.30 * support_tickets_90d
                 - 0.06 * true weekly usage hours
                 + 0.35 * log1p(last_login_days_ago)
                 - 0.35 * autopay - 0.15 * num_add_ons + 0.30 * [mailed_check]
                 - 0.55 * satisfaction (latent, standard normal; the survey score is a noisy, partly
                   missing view of it)
                 + 0.40 * [age < 25] + 0.15 * [region == South]
                 + 0.50 * [month-to-month and true charges > 80]
    churned ~ Bernoulli(sigmoid(logit))

Because the true probability is known, `truth["ceiling_auc"]` is the AUC a perfect model of this
process would reach on the test rows; nothing a candidate fits can expect to beat it.

Traps, all documented for graders, none for candidates:
  * `cancellation_reason` is only written after a customer has left: filled for most churners, almost
    never for stayers, and empty for every test customer (nobody has cancelled yet at prediction time).
  * Missing values depend on other observed columns (MAR): total_charges for brand-new customers,
    usage for the Basic plan (no app telemetry), age for PayPal sign-ups, the survey for older customers.
  * Outliers (billing errors x10 in monthly_charges, usage capped at 168 h) and exact duplicate rows
    in train.
  * Drift: the test period is six months later, its customers signed up more recently, prices of the
    Standard and Premium plans rose 10 %, and more customers are on month-to-month contracts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from takehome_harness.datasets import GeneratedData
from takehome_harness.datasets import _tabular as tabular

ID_COLUMN = "customer_id"
TARGET_COLUMN = "churned"
LEAK_COLUMNS = ("cancellation_reason",)
DATE_COLUMN = "signup_date"

N_TRAIN = 6000
N_TEST = 2000
N_DUPLICATES = 12
INTERCEPT = -1.5

REGIONS = ["North", "South", "East", "West", "Central"]
PLANS = ["Basic", "Standard", "Premium"]
CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENT_METHODS = ["card", "bank_transfer", "paypal", "mailed_check"]
CANCELLATION_REASONS = ["price", "competitor offer", "moving", "service quality", "no longer needed",
                        "billing issue"]

CONTRACT_EFFECT = {"month-to-month": 0.9, "one-year": -0.3, "two-year": -1.2}


@dataclass(frozen=True)
class Period:
    """What differs between the training period and the (later) test period."""

    snapshot: str                  # the day features were taken; churn is observed in the next quarter
    mean_tenure_days: float
    contract_mix: tuple[float, float, float]
    plan_prices: tuple[float, float, float]
    payment_mix: tuple[float, float, float, float]
    leak_fill_churner: float       # share of churners whose cancellation_reason is known
    leak_fill_stayer: float        # retained after a cancellation request


TRAIN_PERIOD = Period(snapshot="2024-01-01", mean_tenure_days=900, contract_mix=(0.45, 0.30, 0.25),
                      plan_prices=(29.99, 54.99, 89.99), payment_mix=(0.40, 0.25, 0.20, 0.15),
                      leak_fill_churner=0.95, leak_fill_stayer=0.008)
TEST_PERIOD = Period(snapshot="2024-07-01", mean_tenure_days=600, contract_mix=(0.55, 0.27, 0.18),
                     plan_prices=(29.99, 60.49, 98.99), payment_mix=(0.36, 0.22, 0.28, 0.14),
                     leak_fill_churner=0.0, leak_fill_stayer=0.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _customers(rng: np.random.Generator, n: int, period: Period) -> tuple[pd.DataFrame, np.ndarray]:
    """Draw n customers of one period; returns the observable frame (with target) and true probabilities."""
    tenure_days = np.clip(rng.exponential(period.mean_tenure_days, n), 3, 8 * 365).astype(int)
    signup = pd.Timestamp(period.snapshot) - pd.to_timedelta(tenure_days, unit="D")
    tenure_months = (tenure_days / 30.44).astype(int)

    region = rng.choice(REGIONS, n, p=[0.25, 0.20, 0.20, 0.20, 0.15])
    plan_idx = rng.choice(3, n, p=[0.40, 0.40, 0.20])
    plan = np.array(PLANS)[plan_idx]
    contract = rng.choice(CONTRACTS, n, p=list(period.contract_mix))
    payment = rng.choice(PAYMENT_METHODS, n, p=list(period.payment_mix))
    autopay_p = pd.Series(payment).map({"card": 0.7, "bank_transfer": 0.75, "paypal": 0.4,
                                        "mailed_check": 0.05}).to_numpy()
    autopay = rng.random(n) < autopay_p
    age = np.clip(rng.normal(45, 14, n), 18, 90).round()
    add_ons = rng.binomial(4, np.array([0.15, 0.30, 0.50])[plan_idx])
    charges = np.array(period.plan_prices)[plan_idx] + 5.0 * add_ons + rng.normal(0, 3, n)
    satisfaction = rng.normal(0, 1, n)
    tickets = rng.poisson(np.exp(-0.3 + 0.4 * (plan_idx == 0) - 0.45 * satisfaction))
    usage = rng.gamma(2.0, np.array([2.5, 4.0, 5.5])[plan_idx])
    last_login = np.floor(rng.exponential(3 + 40 / (1 + usage))).astype(int)

    logit = (INTERCEPT
             + pd.Series(contract).map(CONTRACT_EFFECT).to_numpy()
             - 0.45 * np.log1p(tenure_months)
             + 0.025 * (charges - 55)
             + 0.30 * tickets
             - 0.06 * usage
             + 0.35 * np.log1p(last_login)
             - 0.35 * autopay
             - 0.15 * add_ons
             + 0.30 * (payment == "mailed_check")
             - 0.55 * satisfaction
             + 0.40 * (age < 25)
             + 0.15 * (region == "South")
             + 0.50 * ((contract == "month-to-month") & (charges > 80)))
    prob = _sigmoid(logit)
    churned = (rng.random(n) < prob).astype(int)

    total_charges = charges * np.maximum(tenure_months, 0) + rng.normal(0, 10, n)
    survey = np.clip(np.round(3.3 + 0.9 * satisfaction + rng.normal(0, 0.5, n)), 1, 5)

    # Observed values: errors and missingness are applied after the outcome, so they carry no signal
    # of their own beyond the columns they depend on.
    observed_charges = np.where(rng.random(n) < 0.003, charges * 10, charges)
    observed_usage = np.where(rng.random(n) < 0.002, 168.0, usage)
    missing_total = rng.random(n) < np.where(tenure_months < 2, 0.6, 0.01)
    missing_usage = rng.random(n) < np.where(plan == "Basic", 0.25, 0.05)
    missing_age = rng.random(n) < np.where(payment == "paypal", 0.20, 0.04)
    missing_survey = rng.random(n) < np.where(age > 60, 0.50, 0.15)

    reason_known = rng.random(n) < np.where(churned == 1, period.leak_fill_churner, period.leak_fill_stayer)
    reasons = rng.choice(CANCELLATION_REASONS, n, p=[0.30, 0.20, 0.10, 0.20, 0.12, 0.08])

    frame = pd.DataFrame({
        DATE_COLUMN: signup.strftime("%Y-%m-%d"),
        "region": region,
        "plan": plan,
        "contract": contract,
        "payment_method": payment,
        "autopay": np.where(autopay, "yes", "no"),
        "age": pd.array(np.where(missing_age, np.nan, age), dtype="Int64"),
        "tenure_months": tenure_months,
        "monthly_charges": observed_charges.round(2),
        "total_charges": np.where(missing_total, np.nan, np.maximum(total_charges, 0).round(2)),
        "num_add_ons": add_ons,
        "support_tickets_90d": tickets,
        "avg_weekly_usage_hours": np.where(missing_usage, np.nan, observed_usage.round(1)),
        "last_login_days_ago": last_login,
        "satisfaction_score": pd.array(np.where(missing_survey, np.nan, survey), dtype="Int64"),
        "cancellation_reason": pd.Series(np.where(reason_known, reasons, None), dtype="str"),
        TARGET_COLUMN: churned,
    })
    return frame, prob


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    """Unique, shuffled, non-sequential customer ids like C-004217."""
    return [f"C-{i:06d}" for i in rng.choice(np.arange(1, 10 * n), n, replace=False)]


def generate(seed: int) -> GeneratedData:
    """One deterministic variant: same seed, same frames (and the same CSV bytes)."""
    rng = np.random.default_rng(seed)
    train, _ = _customers(rng, N_TRAIN, TRAIN_PERIOD)
    test, test_prob = _customers(rng, N_TEST, TEST_PERIOD)
    ids = _ids(rng, N_TRAIN + N_TEST)
    train.insert(0, ID_COLUMN, ids[:N_TRAIN])
    test.insert(0, ID_COLUMN, ids[N_TRAIN:])

    duplicates = train.iloc[rng.choice(N_TRAIN, N_DUPLICATES, replace=False)]
    train = pd.concat([train, duplicates]).iloc[rng.permutation(N_TRAIN + N_DUPLICATES)].reset_index(drop=True)

    labels = test[[ID_COLUMN, TARGET_COLUMN]].reset_index(drop=True)
    y_test = labels[TARGET_COLUMN].to_numpy()
    ceiling = score_probabilities(y_test, test_prob)
    truth = {
        "seed": seed,
        "ceiling_auc": ceiling["roc_auc"],
        "ceiling_average_precision": ceiling["average_precision"],
        "ceiling_brier": ceiling["brier"],
        "churn_rate_train": round(float(train[TARGET_COLUMN].mean()), 4),
        "churn_rate_test": round(float(y_test.mean()), 4),
        "n_train": len(train),
        "n_test": len(test),
        "duplicate_rows": N_DUPLICATES,
        "leak_columns": list(LEAK_COLUMNS),
        "train_snapshot": TRAIN_PERIOD.snapshot,
        "test_snapshot": TEST_PERIOD.snapshot,
    }
    return GeneratedData(train=train, test=test.drop(columns=[TARGET_COLUMN]).reset_index(drop=True),
                         labels=labels, truth=truth)


def model_features(frame: pd.DataFrame, *, keep_leak: bool = False) -> pd.DataFrame:
    """Features the reference model sees: no id, no target, no leak; dates as days; text as categories."""
    drop = [ID_COLUMN, TARGET_COLUMN] + ([] if keep_leak else list(LEAK_COLUMNS))
    return tabular.model_features(frame, drop=drop, dates=[DATE_COLUMN])


def fit_reference_model(train: pd.DataFrame, *, keep_leak: bool = False, random_state: int = 0):
    """HistGradientBoosting on the raw columns (it handles missing values and categories natively)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                           l2_regularization=1.0, categorical_features="from_dtype",
                                           random_state=random_state)
    return model.fit(model_features(train, keep_leak=keep_leak), train[TARGET_COLUMN])


def predict_reference(model, train: pd.DataFrame, frame: pd.DataFrame, *, keep_leak: bool = False) -> np.ndarray:
    features = tabular.align_categories(model_features(frame, keep_leak=keep_leak),
                                        model_features(train, keep_leak=keep_leak))
    return model.predict_proba(features)[:, 1]


def score_probabilities(y_true, prob) -> dict[str, float]:
    """ROC AUC, average precision and Brier score, rounded to 4 places, with the grader's metric code."""
    return tabular.rounded_metrics(y_true, prob, ("roc_auc", "average_precision", "brier"))


def reference_model_scores(data: GeneratedData) -> dict[str, dict[str, float]]:
    """Scores on the hidden test labels of: a trivial baseline (the training churn rate for everyone),
    the honest reference model, and the same model fed the leak column. The grader compares a
    candidate's hidden-test score against these."""
    with tabular.one_openmp_thread():
        return _reference_model_scores(data)


def _reference_model_scores(data: GeneratedData) -> dict[str, dict[str, float]]:
    test = data.test.merge(data.labels, on=ID_COLUMN, validate="one_to_one")
    y_test = test[TARGET_COLUMN].to_numpy()
    prevalence = float(data.train[TARGET_COLUMN].mean())
    reference = fit_reference_model(data.train)
    leaky = fit_reference_model(data.train, keep_leak=True)
    return {
        "baseline": score_probabilities(y_test, np.full(len(test), prevalence)),
        "reference": score_probabilities(y_test, predict_reference(reference, data.train, test)),
        "reference_with_leak": score_probabilities(
            y_test, predict_reference(leaky, data.train, test, keep_leak=True)),
        "ceiling": {"roc_auc": data.truth["ceiling_auc"],
                    "average_precision": data.truth["ceiling_average_precision"],
                    "brier": data.truth["ceiling_brier"]},
    }
