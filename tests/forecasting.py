"""A forecasting exercise for tests (there is none shipped yet): the churn spec with task_type "forecasting"
and a time column, validated against the exercise schema; and a synthetic daily series to run notebooks on."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from takehome_harness.harness.exercise import Exercise, load_exercise, validate_spec


def forecasting_exercise(time_column: str | None = "date") -> Exercise:
    churn = load_exercise("churn")
    spec = copy.deepcopy(churn.spec)
    spec["task_type"] = "forecasting"
    spec["traps"]["time_column"] = time_column
    spec["traps"]["leak_columns"] = []
    validate_spec(spec, source="test forecasting exercise")
    return Exercise(spec=spec, folder=churn.folder)


def write_daily_series(data_dir: Path, *, days: int = 730, seed: int = 0) -> Path:
    """data/train.csv: a daily demand series with trend and weekly season, dates as ISO text (as read_csv sees them)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-01", periods=days, freq="D")
    t = np.arange(days)
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "dow": dates.day_of_week, "t": t,
                          "promo": rng.integers(0, 2, days)})
    frame["demand"] = 100 + 0.2 * t + 10 * (frame["dow"] >= 5) + 15 * frame["promo"] + rng.normal(0, 5, days)
    data_dir.mkdir(parents=True, exist_ok=True)
    frame.to_csv(data_dir / "train.csv", index=False)
    return data_dir
