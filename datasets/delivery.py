"""Synthetic food-delivery times (a regression exercise) with a known generative process and planted traps.

Generative process (one draw per order; docs/delivery-data.md has the full table):

    prep    = restaurant type's mean prep time + 1.2 min per item + 5 at lunch/dinner peaks, Gamma noise
    route   = distance_km * detour (1.1-1.7, unobserved)
    speed   = vehicle speed (bike 14, scooter 22, car 26 km/h) x traffic factor x weather factor
              (bikes suffer less from traffic, more from rain and snow)
    median  = prep + 60 * route / speed + 4 [courier's first 3 months] + 3 (hand-over)
    surprise = N(0, 0.10 + 0.03 * distance_km)
    delivery_minutes = median * exp(surprise)             (right-skewed, noisier when far)
    gps_route_km     = route * exp(0.8 * surprise)        (the leak: the road taken, known afterwards)

`median` is the true conditional median given every latent variable, so its MAE on the test rows
(`truth["ceiling_mae"]`) is the best any model can expect.

Traps, documented for graders only:
  * `gps_route_km` is the distance the courier actually drove, read from the GPS trace after the delivery:
    filled in train, empty for every test order (they have not been delivered yet).
  * Impossible targets in train only: a few zero or negative times (clock skew between the restaurant's
    tablet and the courier's phone) and a few over 16 hours (orders closed the next day by support).
  * Missing values depending on other columns: `courier_experience_months` for couriers from an agency,
    `weather` when the city's feed was down (more often in one city).
  * Heteroscedastic, right-skewed target: MAE rewards the median, RMSE the mean; a log target helps.
  * Drift: the test month (April) has no snow, more rain and a larger share of car couriers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from takehome_harness.datasets import GeneratedData
from takehome_harness.datasets import _tabular as tabular

ID_COLUMN = "order_id"
TARGET_COLUMN = "delivery_minutes"
LEAK_COLUMNS = ("gps_route_km",)
TIME_COLUMN = "order_time"
METRICS = ("mae", "rmse", "r2")

N_TRAIN = 8000
N_TEST = 2000
N_TOO_SHORT = 18
N_TOO_LONG = 14

CITIES = ["Northfield", "Riverton", "Eastport", "Lakeside", "Hillcrest"]
RESTAURANT_PREP = {"fast_food": 8.0, "pizza": 16.0, "burger": 11.0, "asian": 14.0, "grocery": 6.0,
                   "fine_dining": 24.0}
VEHICLE_SPEED = {"bike": 14.0, "scooter": 22.0, "car": 26.0}
TRAFFIC = ["low", "medium", "high", "jam"]
TRAFFIC_FACTOR = {"motor": (1.0, 0.85, 0.65, 0.45), "bike": (1.0, 0.95, 0.88, 0.80)}
WEATHER = ["clear", "cloudy", "rain", "snow"]
WEATHER_FACTOR = {"motor": (1.0, 1.0, 0.88, 0.70), "bike": (1.0, 1.0, 0.80, 0.55)}


@dataclass(frozen=True)
class Period:
    start: str
    days: int
    weather_mix: tuple[float, float, float, float]
    vehicle_mix: tuple[float, float, float]
    leak_known: bool


TRAIN_PERIOD = Period(start="2025-01-06", days=84, weather_mix=(0.40, 0.30, 0.20, 0.10),
                      vehicle_mix=(0.45, 0.35, 0.20), leak_known=True)
TEST_PERIOD = Period(start="2025-04-07", days=28, weather_mix=(0.45, 0.25, 0.30, 0.0),
                     vehicle_mix=(0.38, 0.34, 0.28), leak_known=False)


def _order_times(rng: np.random.Generator, n: int, period: Period) -> pd.DatetimeIndex:
    """Lunch and dinner peaks, a quiet afternoon, more orders at weekends; minute resolution."""
    day = rng.integers(0, period.days, n)
    dinner = rng.random(n) < 0.6
    hour = np.where(dinner, rng.normal(19.5, 1.3, n), rng.normal(12.6, 1.0, n)).clip(10.5, 23.4)
    minutes = (hour * 60).astype(int)
    return pd.Timestamp(period.start) + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="min")


def _orders(rng: np.random.Generator, n: int, period: Period) -> tuple[pd.DataFrame, np.ndarray]:
    """n orders of one period: the observable frame (with target) and the true conditional medians."""
    when = _order_times(rng, n, period).sort_values()
    hour = when.hour.to_numpy() + when.minute.to_numpy() / 60
    peak = ((hour >= 12) & (hour < 13.5)) | ((hour >= 19) & (hour < 21))
    city = rng.choice(CITIES, n, p=[0.30, 0.25, 0.20, 0.15, 0.10])
    restaurant = rng.choice(list(RESTAURANT_PREP), n, p=[0.25, 0.20, 0.18, 0.17, 0.12, 0.08])
    distance = np.clip(rng.lognormal(np.log(2.6), 0.55, n), 0.3, 15.0)
    vehicle = _vehicles(rng, distance, np.array(period.vehicle_mix))
    items = 1 + rng.poisson(1.6, n)
    value = np.round(items * rng.gamma(6.0, 2.2, n) + 2.5, 2)
    experience = rng.exponential(14.0, n)
    traffic_idx = np.clip(rng.binomial(3, np.where(peak, 0.45, 0.2)), 0, 3)
    weather_idx = rng.choice(4, n, p=list(period.weather_mix))

    motor = np.where(vehicle == "bike", "bike", "motor")
    traffic_factor = np.array([TRAFFIC_FACTOR[m][t] for m, t in zip(motor, traffic_idx)])
    weather_factor = np.array([WEATHER_FACTOR[m][w] for m, w in zip(motor, weather_idx)])
    speed = pd.Series(vehicle).map(VEHICLE_SPEED).to_numpy() * traffic_factor * weather_factor
    detour = rng.uniform(1.1, 1.7, n)
    route = distance * detour
    prep_mean = pd.Series(restaurant).map(RESTAURANT_PREP).to_numpy() + 1.2 * items + 5.0 * peak
    prep = rng.gamma(8.0, prep_mean / 8.0)
    median = prep + 60.0 * route / speed + 4.0 * (experience < 3) + 3.0
    surprise = rng.normal(0.0, 0.10 + 0.03 * distance)
    minutes = median * np.exp(surprise)
    # much of the surprise is the road itself (diversions, a wrong turn): the GPS trace records it afterwards
    driven = route * np.exp(0.8 * surprise)

    quoted_prep = np.round(prep_mean + rng.normal(0, 2.0, n)).clip(3)
    agency = rng.random(n) < 0.12
    feed_down = rng.random(n) < np.where(city == "Eastport", 0.15, 0.03)
    frame = pd.DataFrame({
        TIME_COLUMN: when.strftime("%Y-%m-%d %H:%M"),
        "city": city,
        "restaurant_type": restaurant,
        "distance_km": distance.round(2),
        "items": items,
        "order_value": value,
        "quoted_prep_min": quoted_prep.astype(int),
        "courier_vehicle": vehicle,
        "courier_experience_months": np.where(agency, np.nan, experience.round(1)),
        "traffic_level": np.array(TRAFFIC)[traffic_idx],
        "weather": pd.Series(np.where(feed_down, None, np.array(WEATHER)[weather_idx]), dtype="str"),
        "gps_route_km": (driven + rng.normal(0, 0.05, n)).round(2) if period.leak_known else np.nan,
        TARGET_COLUMN: minutes.round(1),
    })
    return frame, median


def _vehicles(rng: np.random.Generator, distance: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Beyond 3 km, bikes give way to scooters and cars in proportion to the period's mix."""
    bike = mix[0] * np.where(distance <= 3, 1.0, np.maximum(0.15, 3 / distance))
    scooter = bike + (1 - bike) * mix[1] / mix[1:].sum()
    draw = rng.random(len(distance))
    return np.where(draw < bike, "bike", np.where(draw < scooter, "scooter", "car"))


def _corrupt_targets(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Impossible values in train: clock skew (zero or negative) and orders closed the next day."""
    rows = rng.choice(len(frame), N_TOO_SHORT + N_TOO_LONG, replace=False)
    short, long = rows[:N_TOO_SHORT], rows[N_TOO_SHORT:]
    frame.loc[short, TARGET_COLUMN] = np.round(-rng.uniform(0, 25, N_TOO_SHORT), 1)
    frame.loc[long, TARGET_COLUMN] = np.round(rng.uniform(1000, 1500, N_TOO_LONG), 1)


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f"O-{i:07d}" for i in rng.choice(np.arange(1, 50 * n), n, replace=False)]


def generate(seed: int) -> GeneratedData:
    """One deterministic variant: same seed, same frames (and the same CSV bytes)."""
    rng = np.random.default_rng(seed)
    train, _ = _orders(rng, N_TRAIN, TRAIN_PERIOD)
    test, test_median = _orders(rng, N_TEST, TEST_PERIOD)
    _corrupt_targets(rng, train)
    ids = _ids(rng, N_TRAIN + N_TEST)
    train.insert(0, ID_COLUMN, ids[:N_TRAIN])
    test.insert(0, ID_COLUMN, ids[N_TRAIN:])
    labels = test[[ID_COLUMN, TARGET_COLUMN]].reset_index(drop=True)
    ceiling = score_predictions(labels[TARGET_COLUMN], test_median)
    truth = {
        "seed": seed,
        **{f"ceiling_{name}": value for name, value in ceiling.items()},
        "n_train": len(train),
        "n_test": len(test),
        "impossible_targets": N_TOO_SHORT + N_TOO_LONG,
        "leak_columns": list(LEAK_COLUMNS),
        "train_period": TRAIN_PERIOD.start,
        "test_period": TEST_PERIOD.start,
    }
    return GeneratedData(train=train, test=test.drop(columns=[TARGET_COLUMN]), labels=labels, truth=truth)


def model_features(frame: pd.DataFrame, *, keep_leak: bool = False) -> pd.DataFrame:
    """The reference model's inputs: hour and weekday from the order time, no id, target or leak."""
    when = pd.to_datetime(frame[TIME_COLUMN])
    drop = [ID_COLUMN, TARGET_COLUMN, TIME_COLUMN] + ([] if keep_leak else list(LEAK_COLUMNS))
    features = tabular.model_features(frame, drop=drop)
    features["hour"] = (when.dt.hour + when.dt.minute / 60).to_numpy()
    features["weekday"] = when.dt.day_of_week.astype("float64").to_numpy()
    return features


def plausible(train: pd.DataFrame) -> pd.DataFrame:
    """Training rows whose delivery time could have happened (what the reference model learns from)."""
    return train[train[TARGET_COLUMN].between(1, 600)]


def fit_reference_model(train: pd.DataFrame, *, keep_leak: bool = False, random_state: int = 0):
    """HistGradientBoosting with absolute error (MAE is the metric) on the plausible rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    clean = plausible(train)
    model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=300, learning_rate=0.05,
                                          max_leaf_nodes=31, categorical_features="from_dtype",
                                          random_state=random_state)
    return model.fit(model_features(clean, keep_leak=keep_leak), clean[TARGET_COLUMN])


def predict_reference(model, train: pd.DataFrame, frame: pd.DataFrame, *, keep_leak: bool = False) -> np.ndarray:
    features = tabular.align_categories(model_features(frame, keep_leak=keep_leak),
                                        model_features(plausible(train), keep_leak=keep_leak))
    return model.predict(features)


def score_predictions(y_true, y_pred) -> dict[str, float]:
    """MAE, RMSE and R², rounded to 4 places, with the grader's metric code."""
    return tabular.rounded_metrics(y_true, y_pred, METRICS)


def reference_model_scores(data: GeneratedData) -> dict[str, dict[str, float]]:
    """Hidden-test scores of the training median for everyone (baseline), the honest reference model,
    the same model fed the leak column, and the true medians (ceiling)."""
    with tabular.one_openmp_thread():
        test = data.test.merge(data.labels, on=ID_COLUMN, validate="one_to_one")
        y_test = test[TARGET_COLUMN].to_numpy()
        median = float(data.train[TARGET_COLUMN].median())
        reference = fit_reference_model(data.train)
        leaky = fit_reference_model(data.train, keep_leak=True)
        return {
            "baseline": score_predictions(y_test, np.full(len(test), median)),
            "reference": score_predictions(y_test, predict_reference(reference, data.train, test)),
            "reference_with_leak": score_predictions(
                y_test, predict_reference(leaky, data.train, test, keep_leak=True)),
            "ceiling": {name: data.truth[f"ceiling_{name}"] for name in METRICS},
        }
