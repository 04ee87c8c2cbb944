"""`harness exercise new`: a complete, gradable exercise folder from a hiring team's own CSV.

The folder holds the CSV itself (`source.csv`, grader side: bundles only ever carry a candidate's variant, never
the test labels), a validated exercise.json, instructions with a data-dictionary skeleton to fill in, a starter
notebook and a reference solution that runs. The data come from datasets/own_data.py.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from takehome_harness.harness.errors import HarnessError

MIN_ROWS = 100
MIN_TEST_ROWS = 20
TEST_SHARE = 0.2
TRAIN_SHARE = 0.9
SPLIT_SEED = 20261201
SOURCE = "source.csv"
TASKS = ("binary_classification", "regression")
EXAMPLES = 3


@dataclass(frozen=True)
class NewExercise:
    folder: Path
    task_type: str
    rows: int
    split: str


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise HarnessError(f"--from {path}: no such file")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise HarnessError(f"--from {path}: not a readable CSV file ({str(exc).strip().splitlines()[0]})") from None


def _require_columns(frame: pd.DataFrame, **named: list[str]) -> None:
    for option, columns in named.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise HarnessError(f"--{option} {', '.join(missing)}: no such column (the file has "
                               f"{', '.join(map(str, frame.columns[:20]))}{' ...' if len(frame.columns) > 20 else ''})")


def infer_task(target: pd.Series, *, task: str | None, column: str) -> str:
    values = target.dropna().unique()
    if len(values) <= 1:
        raise HarnessError(f"--target {column}: the target is constant ({values[0] if len(values) else 'empty'}), "
                           "there is nothing to predict")
    numeric = pd.api.types.is_numeric_dtype(target)
    chosen = task or ("binary_classification" if len(values) == 2 else "regression" if numeric else None)
    if chosen is None:
        raise HarnessError(f"--target {column}: {len(values)} distinct text values; only binary classification "
                           "(two values) and regression (numbers) are supported")
    if chosen == "binary_classification" and len(values) != 2:
        raise HarnessError(f"--target {column}: --task binary_classification needs exactly two values, "
                           f"the column has {len(values)}")
    if chosen == "regression" and not numeric:
        raise HarnessError(f"--target {column}: --task regression needs numbers, the column holds text")
    return chosen


def _check_rows(frame: pd.DataFrame, *, target: str, id_column: str, time: str | None) -> None:
    if len(frame) < MIN_ROWS:
        raise HarnessError(f"--from: {len(frame)} rows; an exercise needs at least {MIN_ROWS}")
    if frame[target].isna().any():
        raise HarnessError(f"--target {target}: {int(frame[target].isna().sum())} row(s) have no target value; "
                           "remove them first")
    ids = frame[id_column]
    if ids.isna().any() or ids.duplicated().any():
        repeated = ids[ids.duplicated()].astype(str).unique()[:EXAMPLES].tolist()
        raise HarnessError(f"--id {id_column}: ids must be unique and present "
                           f"({int(ids.duplicated().sum())} repeated, e.g. {', '.join(repeated) or '-'}; "
                           f"{int(ids.isna().sum())} empty)")
    if time is not None:
        parsed = pd.to_datetime(frame[time], errors="coerce", format="mixed")
        bad = frame[time][parsed.isna()]
        if len(bad):
            raise HarnessError(f"--time {time}: {len(bad)} value(s) are not dates, e.g. {bad.astype(str).iloc[0]!r}")
        if int(round(len(frame) * TEST_SHARE)) < MIN_TEST_ROWS or parsed.nunique() < 2:
            raise HarnessError(f"--time {time}: too few distinct times to hold out a last period")


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "yes/no"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    if pd.to_datetime(series.dropna().head(50), errors="coerce", format="mixed").notna().all() and series.notna().any():
        return "date"
    return "category" if series.nunique() <= max(20, len(series) // 50) else "text"


def data_dictionary(frame: pd.DataFrame, *, id_column: str, target: str, time: str | None,
                    positive: str | None) -> str:
    """A markdown table to fill in: column, inferred type, missing share, example values, meaning."""
    rows = ["| column | type | missing | examples | meaning |", "|---|---|---|---|---|"]
    for column in frame.columns:
        series = frame[column]
        examples = ", ".join(f"`{v}`" for v in series.dropna().astype(str).unique()[:EXAMPLES])
        role = {id_column: "id: identifies a row", time: "the time of the row",
                target: "**target** (train only)" + (f": 1 means `{positive}`" if positive else "")}.get(column)
        meaning = role or "_to fill in_"
        rows.append(f"| `{column}` | {'id' if column == id_column else _column_kind(series)} | "
                    f"{series.isna().mean():.0%} | {examples} | {meaning} |")
    return "\n".join(rows)


def _spec(*, exercise_id: str, title: str, task: str, id_column: str, target: str, time: str | None,
          prediction: str, drop: list[str], positive: str | None, frame: pd.DataFrame) -> dict[str, Any]:
    binary = task == "binary_classification"
    split: dict[str, Any] = {"kind": "time" if time else "random", "test_share": TEST_SHARE,
                             "train_share": TRAIN_SHARE, "seed": SPLIT_SEED}
    if positive is not None:
        split["positive_label"] = positive
    features = frame.drop(columns=[id_column, target])
    minority = frame[target].astype(str).value_counts(normalize=True).min() if binary else None
    return {
        "id": exercise_id, "title": title, "version": "1.0", "time_box_hours": 4, "task_type": task,
        "id_column": id_column, "target_column": target,
        "data": {"generator": "takehome_harness.datasets.own_data:generate", "train_file": "data/train.csv",
                 "test_file": "data/test.csv", "default_seed": SPLIT_SEED + 1, "source": SOURCE, "split": split,
                 "drop": drop},
        "notebook": "notebook.ipynb",
        "predictions": {"file": "predictions.csv", "columns": [id_column, prediction], "prediction_column": prediction,
                        **({"min": 0, "max": 1} if binary else {})},
        "metrics": ({"primary": "roc_auc", "all": ["roc_auc", "average_precision", "brier"], "higher_is_better": True}
                    if binary else {"primary": "mae", "all": ["mae", "rmse", "r2"], "higher_is_better": False}),
        "sandbox": {"total_seconds": 900, "cell_seconds": 300, "memory_mb": 2048, "cpus": 1},
        "traps": {"leak_columns": [], "time_column": time,
                  "duplicate_rows": bool(features.duplicated().any()),
                  "missing_values": bool(features.isna().any().any()),
                  "class_imbalance": bool(binary and minority < 0.3), "drift": time is not None},
        "writeup": {"heading_hints": ["next steps", "future work", "improvements", "limitations"],
                    "files": ["NEXT_STEPS.md", "WRITEUP.md"], "starter_text": ["Write your next steps here."]},
    }


def new_exercise(*, exercise_id: str, source: Path, target: str, id_column: str, time: str | None = None,
                 task: str | None = None, drop: list[str] | None = None, out_dir: Path, title: str | None = None,
                 ) -> NewExercise:
    """Validate the CSV, then write <out_dir>/<exercise_id>/; every problem is one HarnessError line."""
    from takehome_harness.harness.exercise import validate_spec
    from takehome_harness.harness.exercise_templates import instructions, reference_solution, starter

    if not re.fullmatch(r"[a-z][a-z0-9_-]*", exercise_id):
        raise HarnessError(f"exercise id '{exercise_id}': use lower-case letters, digits, '-' and '_', "
                           "starting with a letter")
    if task is not None and task not in TASKS:
        raise HarnessError(f"--task {task}: one of {', '.join(TASKS)}")
    drop = list(drop or [])
    frame = _read(Path(source))
    _require_columns(frame, target=[target], id=[id_column], time=[time] if time else [], drop=drop)
    if target in drop or id_column in drop or (time and time in drop):
        raise HarnessError("--drop cannot name the target, the id or the time column")
    frame = frame.drop(columns=drop)
    task = infer_task(frame[target], task=task, column=target)
    _check_rows(frame, target=target, id_column=id_column, time=time)
    positive = None
    if task == "binary_classification":
        values = sorted(frame[target].astype(str).unique())
        positive = next((v for v in values if v.lower() in ("1", "1.0", "true", "yes", "y")), values[-1])
    prediction = f"{target}_probability" if positive is not None else target
    folder = Path(out_dir) / exercise_id
    if folder.exists():
        raise HarnessError(f"{folder} already exists; choose another id or remove it")
    spec = _spec(exercise_id=exercise_id, title=title or f"Predict {target}", task=task, id_column=id_column,
                 target=target, time=time, prediction=prediction, drop=drop, positive=positive, frame=frame)
    validate_spec(spec, source=f"{folder}/exercise.json")
    dictionary = data_dictionary(frame, id_column=id_column, target=target, time=time, positive=positive)
    try:
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / SOURCE)
        (folder / "exercise.json").write_text(json.dumps(spec, indent=2) + "\n")
        (folder / "README.md").write_text(instructions(spec, dictionary))
        (folder / "starter.ipynb").write_text(starter(spec))
        (folder / "reference_solution.ipynb").write_text(reference_solution(spec))
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HarnessError(f"cannot write {folder}: {exc.strerror}") from None
    return NewExercise(folder=folder, task_type=task, rows=len(frame), split=spec["data"]["split"]["kind"])
