"""Source of the demand exercise's notebooks; the committed .ipynb files are built from it.

    python -m takehome_harness.exercises.demand.notebooks     # rewrite starter.ipynb, reference_solution.ipynb,
                                                              # example_submission/notebook.ipynb

A test checks the committed files match this module, so edit here, not in Jupyter.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from takehome_harness.exercises._notebooks import LOAD_DATA, notebook, render, write_all
from takehome_harness.exercises._notebooks import starter as starter_notebook

HERE = Path(__file__).resolve().parent
KEY = "['store_id', 'product_id', 'date']"


def starter() -> nbformat.NotebookNode:
    return starter_notebook(title="How many units will each store sell over the next four weeks?",
                            rows="store-product-day",
                            columns="`store_id`, `product_id`, `date`, `units` (not negative)",
                            placeholder=("predictions = test[[\"store_id\", \"product_id\", \"date\"]].assign(\n"
                                         "    units=train[\"units\"].mean())"))


def reference_solution() -> nbformat.NotebookNode:
    return notebook([
        ("md", "# Four-week demand forecast: reference solution\n\n"
               "Validate the way the forecast is used: hold out the last 28 days of history, compare a "
               "seasonal-naive baseline (same weekday last week) with a model of calendar, price and promotions, "
               "then refit on the latest history and forecast the next 28 days."),
        ("code", LOAD_DATA + "\n\nfor frame in (train, test):\n    frame['date'] = pd.to_datetime(frame['date'])"),
        ("md", "## Exploration"),
        ("code", "print(train['date'].min().date(), train['date'].max().date(), '->', test['date'].min().date(),\n"
                 "      test['date'].max().date())\n"
                 "print('series:', train.groupby(['store_id', 'product_id']).ngroups)\n"
                 "print('closing_stock filled in train:', train['closing_stock'].notna().mean(),\n"
                 "      'in test:', test['closing_stock'].notna().mean())\n"
                 "stockout = train['closing_stock'] == 0\n"
                 "print('stock-out days:', stockout.sum(), 'units sold on them:', train.loc[stockout, 'units'].sum())"),
        ("md", "`closing_stock` is counted at closing time, after the sales it would predict, and it is empty in "
               "the forecast window: a leak, not a feature. It is still useful once: a closing stock of 0 marks a "
               "stock-out, whose zero sales are not zero demand, so those days are left out of training."),
        ("md", "## Evaluation set-up\n\nThe last 28 days of history play the forecast window."),
        ("code", "HORIZON = 28\n"
                 "cutoff = train['date'].max() - pd.Timedelta(days=HORIZON - 1)\n"
                 "history, window = train[train['date'] < cutoff], train[train['date'] >= cutoff]\n"
                 "print(len(history), len(window), cutoff.date())\n\n\n"
                 "def wape(actual, forecast):\n"
                 "    return float(np.abs(np.asarray(actual) - np.asarray(forecast)).sum() / np.asarray(actual).sum())"),
        ("md", "## Baseline\n\nSeasonal naive: every day gets the units of the same weekday in the last week of "
               "history (the series' mean of that week when the day is missing)."),
        ("code", "from sklearn.metrics import mean_absolute_error\n\n\n"
                 "def seasonal_naive(history, future):\n"
                 "    last_week = history[history['date'] > history['date'].max() - pd.Timedelta(days=7)]\n"
                 "    same_day = last_week.assign(weekday=last_week['date'].dt.dayofweek)\n"
                 "    same_day = same_day[['store_id', 'product_id', 'weekday', 'units']].rename(columns={'units': 'naive'})\n"
                 "    week_mean = last_week.groupby(['store_id', 'product_id'], as_index=False)['units'].mean()\n"
                 "    out = future.assign(weekday=future['date'].dt.dayofweek)\n"
                 "    out = out.merge(same_day, on=['store_id', 'product_id', 'weekday'], how='left')\n"
                 "    out = out.merge(week_mean.rename(columns={'units': 'week_mean'}), on=['store_id', 'product_id'],\n"
                 "                    how='left')\n"
                 "    return out['naive'].fillna(out['week_mean']).fillna(0).to_numpy()\n\n\n"
                 "naive = seasonal_naive(history, window)  # baseline: same weekday last week\n"
                 "print(f\"seasonal naive: MAE {mean_absolute_error(window['units'], naive):.3f}, \"\n"
                 "      f\"WAPE {wape(window['units'], naive):.3f}\")"),
        ("md", "## Model\n\nGradient boosting with a Poisson loss on store, product, calendar, price and promotion, "
               "trained on the last year before the window, stock-out days left out."),
        ("code", "from sklearn.ensemble import HistGradientBoostingRegressor\n\n"
                 "FEATURES = ['store_id', 'product_id', 'price', 'promo', 'is_holiday', 'weekday', 'day_of_year']\n\n\n"
                 "def features(frame):\n"
                 "    out = frame.assign(weekday=frame['date'].dt.dayofweek, day_of_year=frame['date'].dt.dayofyear)\n"
                 "    for column in ('store_id', 'product_id'):\n"
                 "        out[column] = pd.Categorical(out[column], categories=sorted(train[column].unique()))\n"
                 "    return out[FEATURES]\n\n\n"
                 "def training_rows(frame):\n"
                 "    recent = frame[frame['date'] > frame['date'].max() - pd.Timedelta(days=365)]\n"
                 "    return recent[recent['closing_stock'] > 0]\n\n\n"
                 "def model():\n"
                 "    return HistGradientBoostingRegressor(loss='poisson', max_iter=200, learning_rate=0.1,\n"
                 "                                         categorical_features='from_dtype', random_state=0)\n\n\n"
                 "fit_rows = training_rows(history)\n"
                 "gbm = model().fit(features(fit_rows), fit_rows['units'])\n"
                 "forecast = gbm.predict(features(window))\n"
                 "print(f\"gradient boosting: MAE {mean_absolute_error(window['units'], forecast):.3f}, \"\n"
                 "      f\"WAPE {wape(window['units'], forecast):.3f}\")"),
        ("md", "## Predictions\n\nRefit on the latest year of all history and forecast the 28 days of `test`."),
        ("code", "final_rows = training_rows(train)\n"
                 "final = model().fit(features(final_rows), final_rows['units'])\n"
                 f"predictions = test[{KEY}].assign(units=np.clip(final.predict(features(test)), 0, None))\n"
                 "predictions['date'] = predictions['date'].dt.strftime('%Y-%m-%d')\n"
                 "predictions.to_csv('predictions.csv', index=False)\n"
                 "predictions.describe()"),
        ("md", "## Next steps\n\n"
               "- **Censored demand.** Stock-out days were dropped from training, but the days around them are "
               "affected too (customers buy elsewhere or later); I would model the lost sales explicitly and ask "
               "the supply team how often shelves run empty.\n"
               "- **Validation.** One 28-day window is a single draw; a rolling origin over the last months "
               "would show how stable the error is, per store and per product.\n"
               "- **Recent changes.** I would ask whether anything changed locally (new competitors, road works, "
               "refits) and check the stores whose recent sales depart from their history.\n"
               "- **What the business needs.** Replenishment cares about the total over the order cycle and about "
               "running out: a forecast of a high quantile per store and product may serve better than the mean.\n"
               "- **Lags.** The model uses no recent sales; lags of at least 28 days or a level per series fitted "
               "on the last weeks would capture changes that calendar features miss."),
    ])


def example_submission() -> nbformat.NotebookNode:
    """A plausible candidate whose validation is a random split over dates (the time-order trap)."""
    return notebook([
        ("md", "# Demand forecast"),
        ("code", "import numpy as np\nimport pandas as pd\n\n"
                 "train = pd.read_csv('data/train.csv', parse_dates=['date'])\n"
                 "test = pd.read_csv('data/test.csv', parse_dates=['date'])\n"
                 "train.describe()"),
        ("md", "`closing_stock` is empty in the test file, so I drop it."),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 "def prepare(frame):\n"
                 "    return frame.drop(columns=['closing_stock', 'units'], errors='ignore').assign(\n"
                 "        weekday=frame['date'].dt.dayofweek, month=frame['date'].dt.month)\n\n"
                 "X, y = prepare(train), train['units']\n"
                 "X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=0)"),
        ("md", "## Baseline"),
        ("code", "from sklearn.dummy import DummyRegressor\n"
                 "from sklearn.metrics import mean_absolute_error\n\n"
                 "dummy = DummyRegressor(strategy='mean').fit(X_train, y_train)\n"
                 "print('baseline MAE', mean_absolute_error(y_val, dummy.predict(X_val)))"),
        ("md", "## Model"),
        ("code", "from sklearn.compose import ColumnTransformer\n"
                 "from sklearn.ensemble import HistGradientBoostingRegressor\n"
                 "from sklearn.pipeline import make_pipeline\n"
                 "from sklearn.preprocessing import OneHotEncoder\n\n"
                 "columns = ColumnTransformer([\n"
                 "    ('ids', OneHotEncoder(handle_unknown='ignore', sparse_output=False), ['store_id', 'product_id']),\n"
                 "    ('numbers', 'passthrough', ['price', 'promo', 'is_holiday', 'weekday', 'month']),\n"
                 "])\n"
                 "model = make_pipeline(columns, HistGradientBoostingRegressor(max_iter=100, random_state=0))\n"
                 "model.fit(X_train, y_train)\n"
                 "print('model MAE', mean_absolute_error(y_val, model.predict(X_val)))"),
        ("md", "## Predictions"),
        ("code", "model.fit(X, y)\n"
                 f"predictions = test[{KEY}].assign(units=model.predict(prepare(test)).clip(0))\n"
                 "predictions['date'] = predictions['date'].dt.strftime('%Y-%m-%d')\n"
                 "predictions.to_csv('predictions.csv', index=False)"),
        ("md", "## Next steps\n\n"
               "- Add lag features and rolling means of past sales.\n"
               "- Tune the gradient boosting model.\n"
               "- Look at the days with zero sales."),
    ])


NOTEBOOKS = {
    "starter.ipynb": starter,
    "reference_solution.ipynb": reference_solution,
    "example_submission/notebook.ipynb": example_submission,
}


if __name__ == "__main__":
    write_all(HERE, NOTEBOOKS)
