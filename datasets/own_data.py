"""A hiring team's own CSV as an exercise's data (`harness exercise new`).

The split is fixed by the exercise (the same test rows for every candidate): with a time column the test set is
the last period, otherwise a random split (stratified for a binary target) with the exercise's split seed.
Each candidate's variant (its seed) then
  * keeps a random `train_share` of the training rows, so two candidates never hold the same training set;
  * re-keys every id (training and test rows alike) to fresh random ids, so one candidate's predictions file
    matches no other candidate's test ids;
  * shuffles the test rows of a random split.
The hidden labels carry the variant's ids, so the grader rebuilds them from the secret and the bundle id.
A binary target is written as 0/1 (`positive_label` is 1).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from takehome_harness.datasets import GeneratedData
from takehome_harness.datasets import _tabular as tabular

CLASSIFICATION_METRICS = ("roc_auc", "average_precision", "brier")
REGRESSION_METRICS = ("mae", "rmse", "r2")


def read_source(path: Any) -> pd.DataFrame:
    """The team's CSV as pandas reads it (numbers as numbers, text as text)."""
    with path.open("rb") as handle:
        return pd.read_csv(handle)


def fixed_split(frame: pd.DataFrame, *, target: str, time: str | None, task: str,
                split: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) rows, the same for every candidate: the last period, or a (stratified) random share."""
    if split["kind"] == "time":
        when = pd.to_datetime(frame[time])
        ordered = frame.assign(_when=when).sort_values("_when", kind="stable")
        cut = ordered["_when"].quantile(1 - split["test_share"])
        later = ordered["_when"] > cut
        return ordered[~later].drop(columns="_when"), ordered[later].drop(columns="_when")
    from sklearn.model_selection import train_test_split

    stratify = frame[target] if task == "binary_classification" else None
    return train_test_split(frame, test_size=split["test_share"], random_state=split["seed"], stratify=stratify)


def binary_target(values: pd.Series, positive: str) -> pd.Series:
    return (values.astype(str) == positive).astype(int)


def generate(seed: int, *, exercise: Any) -> GeneratedData:
    """One candidate's variant of the team's data (deterministic in the seed)."""
    data = exercise.spec["data"]
    split = data["split"]
    [id_column] = exercise.id_columns
    target, time = exercise.target_column, exercise.time_column
    frame = read_source(exercise.file(data["source"])).drop(columns=data.get("drop", []), errors="ignore")
    if exercise.task_type == "binary_classification":
        frame[target] = binary_target(frame[target], split["positive_label"])
    train, test = fixed_split(frame, target=target, time=time, task=exercise.task_type, split=split)

    rng = np.random.default_rng(seed)
    train = train[rng.random(len(train)) < split["train_share"]]
    if split["kind"] == "random":
        train = train.iloc[rng.permutation(len(train))]
        test = test.iloc[rng.permutation(len(test))]
    n = len(train) + len(test)
    # drawn from 100x as many ids as rows, so another variant's ids rarely coincide
    width = len(str(100 * n))
    new_ids = [f"R{k:0{width}d}" for k in rng.choice(100 * n, n, replace=False)]
    train = train.assign(**{id_column: new_ids[:len(train)]}).reset_index(drop=True)
    test = test.assign(**{id_column: new_ids[len(train):]}).reset_index(drop=True)
    truth = {"seed": seed, "task_type": exercise.task_type, "id_column": id_column, "target": target,
             "drop": [id_column, target, *([time] if time else [])], "n_train": len(train), "n_test": len(test),
             "split": split["kind"]}
    return GeneratedData(train=train, test=test.drop(columns=[target]), labels=test[[id_column, target]],
                         truth=truth)


def reference_pipeline(task: str, features: pd.DataFrame, *, random_state: int = 0):
    """Impute, one-hot encode text (at most 20 levels per column), gradient boosting: what the generated
    reference solution notebook fits too."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    numeric = features.select_dtypes(include="number").columns.tolist()
    text = [c for c in features.columns if c not in numeric]
    columns = ColumnTransformer([
        ("num", SimpleImputer(strategy="median", add_indicator=True), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="ignore", max_categories=20, sparse_output=False)), text),
    ])
    model = (HistGradientBoostingClassifier if task == "binary_classification" else HistGradientBoostingRegressor)
    return make_pipeline(columns, model(max_iter=200, learning_rate=0.05, random_state=random_state))


def reference_model_scores(data: GeneratedData) -> dict[str, dict[str, float]]:
    """Hidden-test scores of the trivial baseline (training rate or median for everyone) and the reference
    pipeline. No ceiling: nobody knows the process behind a team's own data."""
    truth = data.truth
    task, target = truth["task_type"], truth["target"]
    metrics = CLASSIFICATION_METRICS if task == "binary_classification" else REGRESSION_METRICS
    test = data.test.merge(data.labels, on=truth["id_column"], validate="one_to_one")
    features = data.train.drop(columns=truth["drop"])
    with tabular.one_openmp_thread():
        model = reference_pipeline(task, features).fit(features, data.train[target])
        test_features = test[features.columns]
        predicted = (model.predict_proba(test_features)[:, 1] if task == "binary_classification"
                     else model.predict(test_features))
    constant = data.train[target].mean() if task == "binary_classification" else data.train[target].median()
    y = test[target].to_numpy()
    return {"baseline": tabular.rounded_metrics(y, np.full(len(y), constant), metrics),
            "reference": tabular.rounded_metrics(y, predicted, metrics)}
