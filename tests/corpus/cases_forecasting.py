"""The demand exercise's own traps: features made with later days' sales, and a seasonal-naive baseline made
with pandas (no fitted model) that must count as a baseline. Both validate on the last 28 days of history."""
from __future__ import annotations

from corpus import Case, notebook
from takehome_harness.graders.finding import Status

P, C = Status.PASS, Status.CONCERN

LOAD = """\
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error

train = pd.read_csv("data/train.csv", parse_dates=["date"])
train["weekday"] = train["date"].dt.dayofweek
train["days"] = (train["date"] - train["date"].min()).dt.days
train["series"] = train.groupby(["store_id", "product_id"]).ngroup()
series = train.groupby(["store_id", "product_id"])["units"]"""

WINDOW = """\
cutoff = train["date"].max() - pd.Timedelta(days=27)
history, window = train[train["date"] < cutoff], train[train["date"] >= cutoff]"""

MODEL = """\
model = HistGradientBoostingRegressor(max_iter=50, random_state=0).fit(history[FEATURES], history["units"])
print("model MAE", mean_absolute_error(window["units"], model.predict(window[FEATURES])))"""

CASES = [
    Case("demand_centred_rolling_mean_feature", notebook(
        LOAD,
        "train['units_smooth'] = train.groupby(['store_id', 'product_id'])['units'].transform(\n"
        "    lambda s: s.rolling(7, center=True, min_periods=1).mean())",
        WINDOW,
        "FEATURES = ['series', 'days', 'price', 'promo', 'is_holiday', 'weekday', 'units_smooth']",
        MODEL,
    ), {"heldout": C}, exercise="demand"),
    Case("demand_seasonal_naive_baseline_by_shift", notebook(
        LOAD,
        "train['same_day_4_weeks_ago'] = series.shift(28).fillna(0)",
        WINDOW,
        "#md ## Baseline: seasonal naive",
        "naive = window['same_day_4_weeks_ago']  # seasonal naive: the same weekday four weeks earlier\n"
        "print('seasonal naive MAE', mean_absolute_error(window['units'], naive))",
        "FEATURES = ['series', 'days', 'price', 'promo', 'is_holiday', 'weekday', 'same_day_4_weeks_ago']",
        MODEL,
    ), {"baseline": P, "heldout": P}, exercise="demand", clean=True),
]
