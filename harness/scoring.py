"""Score predictions on the host: the predictions-file contract (the metrics themselves: harness/metrics.py).

Used by graders/score.py (the candidate's file) and by the grade pipeline (baseline/reference scores).
Nothing here unpickles or executes candidate output: the file is read as text with a size cap.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.metrics import compute_metrics

MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024
# How many offending ids/rows an error message names before it only counts the rest.
_SHOW = 5


KEY_SEPARATOR = " / "


def row_keys(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """Each row's key as one string: its id, or its id columns' values joined ("S01 / P03 / 2025-06-01")."""
    parts = [frame[c].astype(str).str.strip() for c in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + KEY_SEPARATOR + part
    return key


@dataclass(frozen=True)
class PredictionsContract:
    file: str
    id_columns: tuple[str, ...]
    prediction_column: str
    columns: tuple[str, ...]
    min: float | None = None
    max: float | None = None

    @classmethod
    def from_exercise(cls, exercise: Any) -> PredictionsContract:
        spec = exercise.predictions
        columns = tuple(spec["columns"])
        prediction = spec.get("prediction_column") or next(c for c in columns if c not in exercise.id_columns)
        return cls(file=spec["file"], id_columns=exercise.id_columns, prediction_column=prediction,
                   columns=columns, min=spec.get("min"), max=spec.get("max"))


@dataclass
class CheckedPredictions:
    """Outcome of validating a predictions file. `frame` (id as str, prediction as float) only when valid."""

    errors: list[str]
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    frame: pd.DataFrame | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


def _first(items: list[Any]) -> str:
    shown = ", ".join(str(i) for i in items[:_SHOW])
    return shown + (f" and {len(items) - _SHOW} more" if len(items) > _SHOW else "")


def _read_csv(path: Path, *, max_bytes: int) -> pd.DataFrame:
    size = path.stat().st_size
    if size > max_bytes:
        raise HarnessError(f"{path.name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    if size == 0:
        raise HarnessError(f"{path.name} is empty")
    try:
        # Everything as text: ids must keep leading zeros, and bad numbers are reported, not coerced silently.
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise HarnessError(f"{path.name} is not a readable CSV file ({str(exc).strip().splitlines()[0]})") from None


def check_predictions(*, path: Path, contract: PredictionsContract, expected_ids: Iterable[Any] | None,
                      max_bytes: int = MAX_PREDICTIONS_BYTES) -> CheckedPredictions:
    """Validate a predictions file against the contract; every problem is one precise message.

    Row numbers in messages are CSV line numbers (the header is line 1), so a reviewer can open the file there.
    `expected_ids` are row keys (`row_keys` of the test rows); None skips the id-set checks (the test ids are
    unknown).
    """
    try:
        raw = _read_csv(path, max_bytes=max_bytes)
    except HarnessError as exc:
        return CheckedPredictions(errors=[str(exc)])
    raw.columns = [str(c).strip() for c in raw.columns]
    result = CheckedPredictions(errors=[], rows=len(raw))
    missing_cols = [c for c in (*contract.id_columns, contract.prediction_column) if c not in raw.columns]
    if missing_cols:
        result.errors.append(f"missing column(s) {', '.join(map(repr, missing_cols))}; "
                             f"the file has {', '.join(map(repr, raw.columns))}")
        return result
    extra_cols = [c for c in raw.columns if c not in contract.columns]
    if extra_cols:
        result.warnings.append(f"extra column(s) ignored: {', '.join(map(repr, extra_cols))}")
    if raw.empty:
        result.errors.append(f"{path.name} has a header but no rows")
        return result

    ids = row_keys(raw, contract.id_columns)
    line_no = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    blank = pd.concat([raw[c].str.strip() == "" for c in contract.id_columns], axis=1).any(axis=1)
    blank_ids = line_no[blank].tolist()
    ids = ids.where(~blank, "")
    if blank_ids:
        result.errors.append(f"{len(blank_ids)} row(s) have no id (lines {_first(blank_ids)})")
    counts = ids[ids != ""].value_counts()
    repeated = counts[counts > 1]
    if not repeated.empty:
        result.errors.append(f"{len(repeated)} id(s) appear more than once: "
                             + _first([f"{i} ({n} times)" for i, n in repeated.items()]))
    if expected_ids is not None:
        expected = [str(i).strip() for i in expected_ids]
        expected_set, got_set = set(expected), set(ids[ids != ""])
        missing = [i for i in expected if i not in got_set]
        extra = [i for i in ids[ids != ""].drop_duplicates() if i not in expected_set]
        if missing:
            result.errors.append(f"{len(missing)} of {len(expected)} test id(s) have no prediction: {_first(missing)}")
        if extra:
            result.errors.append(f"{len(extra)} id(s) are not in the test set: {_first(extra)}")

    text = raw[contract.prediction_column].str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    if bad.any():
        shown = [f"line {n}: {v!r}" for n, v in zip(line_no[bad], text[bad])]
        result.errors.append(f"{int(bad.sum())} prediction(s) in {contract.prediction_column!r} are not finite "
                             f"numbers ({_first(shown)})")
    out_of_range = pd.Series(False, index=raw.index)
    if contract.min is not None:
        out_of_range |= values < contract.min
    if contract.max is not None:
        out_of_range |= values > contract.max
    if out_of_range.any():
        shown = [f"line {n}: {v:g}" for n, v in zip(line_no[out_of_range], values[out_of_range])]
        bounds = f"[{contract.min if contract.min is not None else '-inf'}, " \
                 f"{contract.max if contract.max is not None else 'inf'}]"
        result.errors.append(f"{int(out_of_range.sum())} prediction(s) outside {bounds}: {_first(shown)}")

    if result.valid:
        result.frame = pd.DataFrame({"id": ids.to_numpy(), "prediction": values.to_numpy(dtype=float)})
    return result


def align_with_labels(*, checked: CheckedPredictions, labels: pd.DataFrame, id_columns: Iterable[str],
                      target_column: str) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_score) for valid predictions matched to the hidden labels by key, in the labels' order."""
    if checked.frame is None:
        raise HarnessError("cannot score invalid predictions: " + "; ".join(checked.errors))
    truth = pd.DataFrame({"id": row_keys(labels, id_columns), "target": labels[target_column]})
    joined = truth.merge(checked.frame, on="id", how="inner", validate="one_to_one")
    if len(joined) != len(truth):
        raise HarnessError(f"only {len(joined)} of {len(truth)} labelled ids have a prediction")
    return joined["target"].to_numpy(), joined["prediction"].to_numpy(dtype=float)


def score_predictions(*, checked: CheckedPredictions, labels: pd.DataFrame, id_columns: Iterable[str],
                      target_column: str,
                      metrics: Iterable[str]) -> dict[str, float]:
    """Score valid predictions against the hidden labels, matched by id."""
    y_true, y_score = align_with_labels(checked=checked, labels=labels, id_columns=id_columns,
                                        target_column=target_column)
    return compute_metrics(y_true=y_true, y_score=y_score, metrics=metrics)
