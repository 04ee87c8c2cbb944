"""Source of the delivery exercise's notebooks; the committed .ipynb files are built from it.

    python -m takehome_harness.exercises.delivery.notebooks   # rewrite starter.ipynb, reference_solution.ipynb,
                                                              # example_submission/notebook.ipynb

A test checks the committed files match this module, so edit here, not in Jupyter.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from takehome_harness.exercises._notebooks import LOAD_DATA, notebook, render, write_all
from takehome_harness.exercises._notebooks import starter as starter_notebook

HERE = Path(__file__).resolve().parent


def starter() -> nbformat.NotebookNode:
    return starter_notebook(title="How long will this food delivery take?", rows="order",
                            columns="`order_id`, `delivery_minutes` (minutes, not negative)",
                            placeholder=("predictions = pd.DataFrame({\n"
                                         "    \"order_id\": test[\"order_id\"],\n"
                                         "    \"delivery_minutes\": train[\"delivery_minutes\"].median(),\n"
                                         "})"))


def reference_solution() -> nbformat.NotebookNode:
    return notebook([
        ("md", "# Delivery time: reference solution\n\n"
               "An honest, compact solution: look for traps first, compare a median baseline and two models on "
               "the last weeks of the training period, then train on everything and predict."),
        ("code", LOAD_DATA + "\n\nRANDOM_STATE = 0"),
        ("md", "## Exploration"),
        ("code", "print(train['delivery_minutes'].describe().round(1))\n"
                 "impossible = ~train['delivery_minutes'].between(1, 600)\n"
                 "print('impossible delivery times:', impossible.sum())\n"
                 "train.isna().mean().round(3).sort_values(ascending=False).head(4)"),
        ("md", "A few delivery times are zero or negative (clock skew) or longer than a day (orders closed later "
               "by support): they cannot have happened, so they go. `gps_route_km` is read from the courier's "
               "GPS trace *after* the delivery and is empty for every test order: a leak, not a feature."),
        ("code", "print('gps_route_km filled in train:', train['gps_route_km'].notna().mean(),\n"
                 "      'in test:', test['gps_route_km'].notna().mean())\n"
                 "clean = train[~impossible]\n"
                 "print(clean.groupby('courier_vehicle')['delivery_minutes'].median())"),
        ("md", "## Evaluation set-up\n\n"
               "The test orders are a later month, so validate forward in time: the data are in order-time "
               "order, and the last 20 % of the training period is held out (no shuffling). The hour and the "
               "weekday of the order replace the raw time stamp."),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 "DROP = ['order_id', 'delivery_minutes', 'gps_route_km', 'order_time']\n\n\n"
                 "def features(frame):\n"
                 "    when = pd.to_datetime(frame['order_time'])\n"
                 "    out = frame.drop(columns=DROP, errors='ignore')\n"
                 "    out['hour'] = when.dt.hour + when.dt.minute / 60\n"
                 "    out['weekday'] = when.dt.day_of_week\n"
                 "    return out\n\n\n"
                 "X, y = features(clean), clean['delivery_minutes']\n"
                 "X_fit, X_holdout, y_fit, y_holdout = train_test_split(X, y, test_size=0.2, shuffle=False)\n"
                 "categorical = X.select_dtypes(exclude='number').columns.tolist()\n"
                 "numeric = X.select_dtypes(include='number').columns.tolist()\n"
                 "print(len(X_fit), len(X_holdout), categorical)"),
        ("code", "from sklearn.compose import ColumnTransformer\n"
                 "from sklearn.impute import SimpleImputer\n"
                 "from sklearn.pipeline import make_pipeline\n"
                 "from sklearn.preprocessing import OneHotEncoder\n\n\n"
                 "def preprocessing():\n"
                 "    # fitted inside each pipeline, so the held-out rows never inform imputation or encoding\n"
                 "    return ColumnTransformer([\n"
                 "        ('num', SimpleImputer(strategy='median', add_indicator=True), numeric),\n"
                 "        ('cat', make_pipeline(SimpleImputer(strategy='constant', fill_value='unknown'),\n"
                 "                              OneHotEncoder(handle_unknown='ignore', sparse_output=False)),\n"
                 "         categorical),\n"
                 "    ])"),
        ("md", "## Baseline\n\nThe training median for every order: the best constant under absolute error."),
        ("code", "from sklearn.dummy import DummyRegressor\n"
                 "from sklearn.metrics import mean_absolute_error\n\n"
                 "baseline = make_pipeline(preprocessing(), DummyRegressor(strategy='median'))\n"
                 "baseline.fit(X_fit, y_fit)\n"
                 "baseline_mae = mean_absolute_error(y_holdout, baseline.predict(X_holdout))\n"
                 "print(f'baseline held-out MAE: {baseline_mae:.2f} min')"),
        ("md", "## Model\n\nA linear model on the log of the time (the target is right-skewed) and gradient "
               "boosting with absolute error, same split, same metric."),
        ("code", "from sklearn.compose import TransformedTargetRegressor\n"
                 "from sklearn.ensemble import HistGradientBoostingRegressor\n"
                 "from sklearn.linear_model import Ridge\n\n"
                 "models = {\n"
                 "    'ridge on log minutes': TransformedTargetRegressor(\n"
                 "        make_pipeline(preprocessing(), Ridge(alpha=1.0)), func=np.log, inverse_func=np.exp),\n"
                 "    'gradient boosting': make_pipeline(preprocessing(), HistGradientBoostingRegressor(\n"
                 "        loss='absolute_error', max_iter=150, learning_rate=0.1, random_state=RANDOM_STATE)),\n"
                 "}\n"
                 "for name, model in models.items():\n"
                 "    model.fit(X_fit, y_fit)\n"
                 "    print(f'{name}: held-out MAE {mean_absolute_error(y_holdout, model.predict(X_holdout)):.2f} min')"),
        ("md", "## Predictions\n\nRefit the chosen model (gradient boosting) on all plausible training rows."),
        ("code", "final = models['gradient boosting'].fit(X, y)\n"
                 "predictions = pd.DataFrame({\n"
                 "    'order_id': test['order_id'],\n"
                 "    'delivery_minutes': np.clip(final.predict(features(test)), 0, None),\n"
                 "})\n"
                 "predictions.to_csv('predictions.csv', index=False)\n"
                 "predictions.describe()"),
        ("md", "## Next steps\n\n"
               "- **April is not January.** The test month has no snow, more rain and more car couriers; the "
               "forward-in-time hold-out is closer to that than a random split, but I would check the error by "
               "weather and vehicle, and ask whether April had events (road works, new restaurants).\n"
               "- **Confirm the leak with the data owners.** `gps_route_km` only exists after delivery; the "
               "route planner's *planned* distance at order time would be a legitimate, strong feature.\n"
               "- **Impossible times.** I dropped about 30 rows (negative, zero or over 10 hours). I would ask how "
               "the times are logged and whether the long ones are cancellations that should be excluded "
               "upstream.\n"
               "- **The promise is asymmetric.** Being late probably hurts more than being early: I would ask "
               "the product team for the cost of each and predict a quantile instead of the median.\n"
               "- **Uncertainty grows with distance.** The spread of errors is larger for long trips; showing a "
               "range rather than one number could be worth testing."),
    ])


def example_submission() -> nbformat.NotebookNode:
    """A plausible candidate: sensible, drops the leak, but keeps the impossible times and splits at random."""
    return notebook([
        ("md", "# Delivery time prediction"),
        ("code", LOAD_DATA),
        ("md", "## Exploration"),
        ("code", "train.describe()"),
        ("code", "train.isna().sum()"),
        ("md", "`gps_route_km` is only known once the courier has arrived, so I drop it, together with the id. "
               "From the order time I keep the hour."),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 "def prepare(frame):\n"
                 "    out = frame.drop(columns=['order_id', 'gps_route_km', 'delivery_minutes'], errors='ignore')\n"
                 "    out['hour'] = pd.to_datetime(out.pop('order_time')).dt.hour\n"
                 "    return pd.get_dummies(out).fillna(0)\n\n"
                 "X = prepare(train)\n"
                 "y = train['delivery_minutes']\n"
                 "X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=1)"),
        ("md", "## Baseline"),
        ("code", "from sklearn.metrics import mean_absolute_error\n\n"
                 "baseline = np.full(len(y_val), y_train.mean())\n"
                 "print('baseline MAE', mean_absolute_error(y_val, baseline))"),
        ("md", "## Model"),
        ("code", "from sklearn.ensemble import RandomForestRegressor\n\n"
                 "rf = RandomForestRegressor(n_estimators=50, min_samples_leaf=5, random_state=1, n_jobs=1)\n"
                 "rf.fit(X_train, y_train)\n"
                 "print('random forest MAE', mean_absolute_error(y_val, rf.predict(X_val)))"),
        ("md", "## Predictions"),
        ("code", "X_test = prepare(test).reindex(columns=X.columns, fill_value=0)\n"
                 "rf.fit(X, y)\n"
                 "pd.DataFrame({'order_id': test['order_id'],\n"
                 "              'delivery_minutes': rf.predict(X_test).clip(0)}).to_csv('predictions.csv', index=False)"),
        ("md", "## Next steps\n\n"
               "- Try gradient boosting and tune it with cross-validation.\n"
               "- Some delivery times look very long; look into them.\n"
               "- Add features such as the restaurant's average delivery time."),
    ])


NOTEBOOKS = {
    "starter.ipynb": starter,
    "reference_solution.ipynb": reference_solution,
    "example_submission/notebook.ipynb": example_submission,
}



if __name__ == "__main__":
    write_all(HERE, NOTEBOOKS)
