"""Synthetic daily unit sales of a retailer (a forecasting exercise) with a known generative process and traps.

20 stores x 12 products, two years of daily history, then a 28-day forecast window. For each store s,
product p and day t (docs/demand-data.md has the full table):

    mean[s,p,t] = level[s] * level[p] * trend[s](t) * weekly[p](weekday) * yearly[p](day of year)
                  * (price[p,t] / list price[p]) ** elasticity[p] * (1.6 if promo else 1)
                  * holiday effect(t) * drift(t)
    units ~ NegativeBinomial(mean, dispersion 8), except 0 on stock-out days (censored demand)

`mean` is the true expected demand, so its WAPE on the hidden 28 days (`truth["ceiling_wape"]`) is the best any
forecast can expect.

Traps, documented for graders only:
  * `closing_stock` (end-of-day stock) is only known after the day: filled in history, empty in the forecast
    window; it is the opening stock minus the units sold, so it gives the target away.
  * Time order: the forecast window follows the history; a random split over dates trains on the future.
  * Stock-outs cut sales to zero for a few days (closing_stock 0): those zeros are not demand.
  * Stores opening and products launched mid-history; a few days missing (till outages).
  * Drift in the forecast window: three stores lose 25 % of their sales to a competitor that opened nearby.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from takehome_harness.datasets import GeneratedData
from takehome_harness.datasets import _tabular as tabular

ID_COLUMNS = ("store_id", "product_id", "date")
TARGET_COLUMN = "units"
LEAK_COLUMNS = ("closing_stock",)
TIME_COLUMN = "date"
METRICS = ("wape", "mae", "rmse")

N_STORES = 20
N_PRODUCTS = 12
HISTORY_START = "2023-01-02"
HISTORY_DAYS = 728             # two years of history
HORIZON = 28                   # the forecast window
PROMO_UPLIFT = 1.6
DISPERSION = 8.0
STOCKOUT_START = 0.004         # chance per store-product-day that a stock-out starts
COMPETITOR_STORES = 3
COMPETITOR_EFFECT = 0.75
HOLIDAYS = ["01-01", "05-01", "07-14", "08-15", "11-01", "11-11", "12-25"]


def _holiday_effect(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(is_holiday flag, demand multiplier): stores close early on holidays, busy days before Christmas."""
    month_day = dates.strftime("%m-%d")
    holiday = np.isin(month_day, HOLIDAYS)
    before_christmas = (dates.month == 12) & (dates.day >= 18) & (dates.day <= 24)
    return holiday.astype(int), np.where(holiday, 0.5, 1.0) * np.where(before_christmas, 1.5, 1.0)


def _promotions(rng: np.random.Generator, n_series: int, days: int) -> np.ndarray:
    """Week-long promotions, about one every two months per series; the same plan is known in advance."""
    promo = np.zeros((n_series, days), dtype=bool)
    starts = rng.random((n_series, days)) < 1 / 60
    for offset in range(7):
        promo[:, offset:] |= starts[:, :days - offset]
    return promo


def _prices(rng: np.random.Generator, list_price: np.ndarray, days: int, promo: np.ndarray,
            product_of: np.ndarray) -> np.ndarray:
    """List prices with one or two permanent price changes per product, 20 % off during promotions."""
    price = np.repeat(list_price[:, None], days, axis=1)
    for p in range(len(list_price)):
        for _ in range(rng.integers(1, 3)):
            day = rng.integers(60, days - 30)
            price[p, day:] *= rng.choice([0.9, 1.08, 1.12])
    return np.round(price[product_of] * np.where(promo, 0.8, 1.0), 2)


def _stockouts(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    starts = rng.random(shape) < STOCKOUT_START
    lengths = rng.integers(1, 6, shape)
    for series, day in zip(*np.nonzero(starts)):
        out[series, day:day + lengths[series, day]] = True
    return out


def generate(seed: int) -> GeneratedData:
    """One deterministic variant: same seed, same frames (and the same CSV bytes)."""
    rng = np.random.default_rng(seed)
    days = HISTORY_DAYS + HORIZON
    dates = pd.date_range(HISTORY_START, periods=days, freq="D")
    t = np.arange(days) / 365.25
    n_series = N_STORES * N_PRODUCTS
    store_of = np.repeat(np.arange(N_STORES), N_PRODUCTS)
    product_of = np.tile(np.arange(N_PRODUCTS), N_STORES)

    store_level = rng.lognormal(0, 0.35, N_STORES)
    product_level = rng.lognormal(np.log(6), 0.6, N_PRODUCTS)
    store_trend = rng.normal(0.05, 0.08, N_STORES)
    weekly = 1 + rng.uniform(0.1, 0.5, N_PRODUCTS)[:, None] * np.array([-.3, -.35, -.25, -.1, .25, .6, .15])
    yearly_amplitude = rng.uniform(0.05, 0.4, N_PRODUCTS)
    yearly_peak = rng.uniform(0, 2 * np.pi, N_PRODUCTS)
    elasticity = rng.uniform(-2.0, -0.8, N_PRODUCTS)
    list_price = np.round(rng.uniform(1.5, 12.0, N_PRODUCTS), 2)

    promo = _promotions(rng, n_series, days)
    price = _prices(rng, list_price, days, promo, product_of)
    is_holiday, holiday_effect = _holiday_effect(dates)
    competitor = np.zeros((n_series, days))
    hit = rng.choice(N_STORES, COMPETITOR_STORES, replace=False)
    competitor[np.isin(store_of, hit), HISTORY_DAYS:] = np.log(COMPETITOR_EFFECT)

    mean = (store_level[store_of, None] * product_level[product_of, None]
            * np.exp(store_trend[store_of, None] * t[None, :])
            * weekly[product_of][:, dates.day_of_week]
            * (1 + yearly_amplitude[product_of, None] * np.cos(2 * np.pi * t[None, :] - yearly_peak[product_of, None]))
            * (price / list_price[product_of, None]) ** elasticity[product_of, None]
            * np.where(promo, PROMO_UPLIFT, 1.0) * holiday_effect[None, :] * np.exp(competitor))
    demand = rng.negative_binomial(DISPERSION, DISPERSION / (DISPERSION + mean))
    stockout = _stockouts(rng, mean.shape)
    units = np.where(stockout, 0, demand)
    opening = np.ceil(mean * 2.5 + 5)
    closing = np.where(stockout, 0, opening - units)

    # which store-product-days exist: stores opening and products launched late, a few till outages
    opens = np.zeros(N_STORES, dtype=int)
    opens[rng.choice(N_STORES, 3, replace=False)] = rng.integers(120, 500, 3)
    launches = np.zeros(N_PRODUCTS, dtype=int)
    launches[rng.choice(N_PRODUCTS, 2, replace=False)] = rng.integers(200, 560, 2)
    exists = np.arange(days)[None, :] >= np.maximum(opens[store_of], launches[product_of])[:, None]
    outage = rng.random((N_STORES, days)) < 0.004
    outage[:, HISTORY_DAYS:] = False
    exists &= ~outage[store_of]

    series, day = np.nonzero(exists)
    frame = pd.DataFrame({
        "store_id": [f"S{s + 1:02d}" for s in store_of[series]],
        "product_id": [f"P{p + 1:02d}" for p in product_of[series]],
        "date": dates[day].strftime("%Y-%m-%d"),
        "price": price[series, day],
        "promo": promo[series, day].astype(int),
        "is_holiday": is_holiday[day],
        "closing_stock": closing[series, day],
        TARGET_COLUMN: units[series, day],
    })
    history = day < HISTORY_DAYS
    train = frame[history].sort_values(["date", "store_id", "product_id"]).reset_index(drop=True)
    future = frame[~history].reset_index(drop=True)
    future["closing_stock"] = np.nan
    labels = future[[*ID_COLUMNS, TARGET_COLUMN]]
    ceiling = score_forecast(labels[TARGET_COLUMN], mean[series[~history], day[~history]])
    truth = {
        "seed": seed,
        **{f"ceiling_{name}": value for name, value in ceiling.items()},
        "n_train": len(train),
        "n_test": len(future),
        "forecast_start": str(dates[HISTORY_DAYS].date()),
        "stockout_days_train": int((stockout[series, day] & history).sum()),
        "competitor_stores": sorted(f"S{s + 1:02d}" for s in hit),
        "leak_columns": list(LEAK_COLUMNS),
    }
    return GeneratedData(train=train, test=future.drop(columns=[TARGET_COLUMN]), labels=labels, truth=truth)


def score_forecast(y_true, y_pred) -> dict[str, float]:
    """WAPE, MAE and RMSE, rounded to 4 places, with the grader's metric code."""
    return tabular.rounded_metrics(y_true, y_pred, METRICS)


def seasonal_naive(train: pd.DataFrame, future: pd.DataFrame) -> np.ndarray:
    """Same weekday last week: each series' units on the same weekday of its last observed week
    (its mean over that week when that day is missing; 0 for a series with no history)."""
    history = train.assign(weekday=pd.to_datetime(train["date"]).dt.day_of_week)
    last_week = history[pd.to_datetime(history["date"]) > pd.to_datetime(history["date"]).max() - pd.Timedelta(days=7)]
    by_day = last_week.set_index(["store_id", "product_id", "weekday"])[TARGET_COLUMN]
    by_series = last_week.groupby(["store_id", "product_id"])[TARGET_COLUMN].mean()
    weekday = pd.to_datetime(future["date"]).dt.day_of_week
    keys = pd.MultiIndex.from_arrays([future["store_id"], future["product_id"], weekday])
    fallback = by_series.reindex(pd.MultiIndex.from_arrays([future["store_id"], future["product_id"]]))
    return by_day.reindex(keys).fillna(pd.Series(fallback.to_numpy(), index=keys)).fillna(0).to_numpy()


def model_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Calendar, price and promotion per store and product; no target, no leak."""
    when = pd.to_datetime(frame["date"])
    # no running day number: trees cannot extrapolate it and would repeat the last weeks (Christmas) forward
    features = tabular.model_features(frame, drop=[TARGET_COLUMN, *LEAK_COLUMNS, "date"])
    features["weekday"] = when.dt.day_of_week.astype("float64").to_numpy()
    features["day_of_year"] = when.dt.day_of_year.astype("float64").to_numpy()
    return features


def fit_reference_model(train: pd.DataFrame, *, random_state: int = 0):
    """HistGradientBoosting (Poisson loss) on the last year of history, stock-out days left out."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    recent = train[pd.to_datetime(train["date"]) >= pd.to_datetime(train["date"]).max() - pd.Timedelta(days=364)]
    observed = recent[recent["closing_stock"] > 0]
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=200, learning_rate=0.1,
                                          categorical_features="from_dtype", random_state=random_state)
    return model.fit(model_features(observed), observed[TARGET_COLUMN]), observed


def reference_model_scores(data: GeneratedData) -> dict[str, dict[str, float]]:
    """Hidden-window scores of the seasonal-naive forecast (baseline), the reference model and the true
    means (ceiling)."""
    with tabular.one_openmp_thread():
        future = data.test.merge(data.labels, on=list(ID_COLUMNS), validate="one_to_one")
        y = future[TARGET_COLUMN].to_numpy()
        model, fitted_on = fit_reference_model(data.train)
        features = tabular.align_categories(model_features(future), model_features(fitted_on))
        return {
            "baseline": score_forecast(y, seasonal_naive(data.train, future)),
            "reference": score_forecast(y, model.predict(features)),
            "ceiling": {name: data.truth[f"ceiling_{name}"] for name in METRICS},
        }
