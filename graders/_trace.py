"""Read the kernel hook's trace (harness/sandbox/kernel_hook.py) and rebuild what the notebook did:
which models were fitted on which rows, which metric calls scored which model's predictions on which
rows, which transformers were fitted before a split, which searches picked settings.

The trace is untrusted input (candidate code ran in the same process that wrote it): reading is
size-capped, malformed lines are skipped, and every field is read defensively. Format: docs/trace-format.md.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from takehome_harness.graders._notebook_ast import cell_source
from takehome_harness.harness.metrics import canonical_metric

MAX_TRACE_BYTES = 64 * 1024 * 1024
MAX_EVENTS = 200_000
MIN_SAMPLE = 10          # fewer sampled rows than this and an overlap is not worth a verdict
HELD_OUT_BELOW = 0.2     # share of evaluated rows also used for fitting: below -> held out
TRAINING_ABOVE = 0.8     # above -> it is an evaluation on the fitting rows (duplicates stay far below this)
SAME_ROWS_ABOVE = 0.9    # two row sets are "the same rows"
REPETITIVE_BELOW = 0.8   # distinct rows below this share of all rows: exact matches no longer identify rows
# Plausible magnitudes: metric values, ids, cell and line numbers, row fingerprints and counts all stay far
# below these; anything beyond (1.7e308, a 400-digit integer, Infinity, NaN) is forged and read as missing.
MAX_ABS_VALUE = 1e12
MAX_ABS_INT = 2**63

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "fit_predict")
MODEL_KINDS = ("classifier", "regressor", "pipeline", "search", "model")
SUPERVISED_TRANSFORMERS = ("SelectKBest", "SelectPercentile", "SelectFpr", "SelectFdr", "SelectFwe",
                           "GenericUnivariateSelect", "RFE", "RFECV", "SelectFromModel", "SequentialFeatureSelector",
                           "TargetEncoder", "WOEEncoder", "CatBoostEncoder", "LeaveOneOutEncoder", "JamesSteinEncoder",
                           "MEstimateEncoder", "GLMMEncoder", "QuantileEncoder")


class _Numbers:
    """json.loads hooks: a number out of range (or Infinity/NaN) becomes None and is counted."""

    def __init__(self) -> None:
        self.dropped = 0

    def _drop(self) -> None:
        self.dropped += 1

    def parse_float(self, text: str) -> float | None:
        value = float(text)
        if math.isfinite(value) and abs(value) <= MAX_ABS_VALUE:
            return value
        self._drop()
        return None

    def parse_int(self, text: str) -> int | None:
        # checked on the text: int() of thousands of digits is slow, past 4300 digits it raises
        if len(text.lstrip("-")) <= 19 and abs(value := int(text)) <= MAX_ABS_INT:
            return value
        self._drop()
        return None

    def parse_constant(self, text: str) -> None:
        self._drop()
        return None


def load_trace(path: Path | str | None, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """Events from a JSON-lines trace; [] if there is none. Malformed lines are skipped; numbers out of
    any plausible range are read as missing, with one line in `warnings` saying how many."""
    if path is None:
        return []
    path = Path(path)
    if not path.is_file():
        return []
    events: list[dict[str, Any]] = []
    with path.open("rb") as fh:
        data = fh.read(MAX_TRACE_BYTES)
    numbers = _Numbers()
    for raw in data.splitlines():
        if len(events) >= MAX_EVENTS:
            break
        try:
            event = json.loads(raw, parse_float=numbers.parse_float, parse_int=numbers.parse_int,
                               parse_constant=numbers.parse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):  # forged lines are untrusted input
            continue
        if isinstance(event, dict) and isinstance(event.get("ev"), str):
            events.append(event)
    if numbers.dropped and warnings is not None:
        warnings.append(f"The trace held {numbers.dropped} number(s) outside any plausible range (infinite, "
                        "not a number, or too large); they were read as missing.")
    return events


def _when(v: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(v) if isinstance(v, str) and len(v) <= 40 else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed is not None else None


@dataclass(frozen=True)
class TimeRange:
    """Spread of one datetime-like column over a set of rows (the hook's `times` entry)."""

    min: datetime
    p05: datetime
    p95: datetime
    max: datetime
    sorted: bool = False

    @classmethod
    def of(cls, data: Any) -> TimeRange | None:
        if not isinstance(data, dict):
            return None
        points = [_when(data.get(k)) for k in ("min", "p05", "p95", "max")]
        if any(p is None for p in points) or not points[0] <= points[1] <= points[2] <= points[3]:
            return None
        return cls(*points, sorted=data.get("sorted") is True)

    @property
    def spread(self) -> bool:
        """More than a sliver of the rows differ in time (5th and 95th percentiles apart)."""
        return self.p05 < self.p95

    def describe(self) -> dict[str, str]:
        return {"from": self.min.isoformat(), "to": self.max.isoformat(),
                "middle_90pct": f"{self.p05.isoformat()} .. {self.p95.isoformat()}"}


@dataclass(frozen=True)
class RowSet:
    """A consistent sample of row fingerprints: hashes h with h % mod == 0, out of n rows."""

    n: int | None
    mod: int
    hashes: frozenset[int]
    via: tuple[str, ...] = ()
    times: tuple[tuple[str, TimeRange], ...] = ()
    uniq: int | None = None      # distinct rows among all n (not only the sample)
    synthetic: int | None = None  # rows an imbalanced-learn sampler made up (SMOTE's interpolations)

    @classmethod
    def of(cls, data: Any) -> RowSet | None:
        if isinstance(data, dict) and not isinstance(data.get("h"), list) and isinstance(data.get("times"), dict):
            return cls(n=data.get("n") if isinstance(data.get("n"), int) else None, mod=1, hashes=frozenset(),
                       times=_times(data))  # rows the hook could count but not hash still carry their times
        if not isinstance(data, dict) or not isinstance(data.get("h"), list):
            return None
        mod = data.get("mod") if isinstance(data.get("mod"), int) and data["mod"] > 0 else 1
        hashes = frozenset(h for h in data["h"] if isinstance(h, int))
        via = tuple(str(v) for v in data.get("via", []) if isinstance(v, str)) if isinstance(data.get("via"), list) else ()
        n = data.get("n") if isinstance(data.get("n"), int) else None
        return cls(n=n, mod=mod, hashes=hashes, via=via, times=_times(data), uniq=_int(data.get("uniq")),
                   synthetic=_int(data.get("synthetic")))

    @property
    def repetitive(self) -> bool:
        """Many rows repeat others exactly (few distinct values, or copies): then an evaluated row equal to a
        fitted row may be another customer with the same values, so overlaps no longer identify rows."""
        return self.uniq is not None and bool(self.n) and self.uniq < REPETITIVE_BELOW * self.n

    def same_size(self, other: RowSet) -> bool:
        return bool(self.n) and bool(other.n) and abs(self.n - other.n) <= 0.01 * other.n

    def time(self, column: str) -> TimeRange | None:
        return next((r for name, r in self.times if name == column), None)

    def at(self, mod: int) -> frozenset[int]:
        return self.hashes if mod == self.mod else frozenset(h for h in self.hashes if h % mod == 0)

    def share_in(self, other: RowSet | None) -> float | None:
        """Share of these rows that are also in `other` (None when the samples are too small to say)."""
        if other is None:
            return None
        mod = max(self.mod, other.mod)
        mine = self.at(mod)
        if len(mine) < MIN_SAMPLE:
            return None
        return len(mine & other.at(mod)) / len(mine)

    def identifying_share_in(self, other: RowSet | None) -> float | None:
        """share_in where an exact match identifies a row: None when either side has few distinct rows, as with
        counts, ratings or one-hot features, where most test rows equal some training row by value alone."""
        if self.repetitive or (other is not None and other.repetitive):
            return None
        return self.share_in(other)

    def same_as(self, other: RowSet | None) -> bool:
        a, b = self.share_in(other), other.share_in(self) if other is not None else None
        return a is not None and b is not None and a >= SAME_ROWS_ABOVE and b >= SAME_ROWS_ABOVE


def _times(data: dict[str, Any]) -> tuple[tuple[str, TimeRange], ...]:
    times = data.get("times")
    if not isinstance(times, dict):
        return ()
    parsed = ((str(name), TimeRange.of(r)) for name, r in list(times.items())[:20])
    return tuple((name, r) for name, r in parsed if r is not None)


@dataclass
class Fit:
    id: int
    cell: int | None
    line: int | None
    est: str
    cls: str
    kind: str
    final_cls: str
    params: str
    rows: RowSet | None
    columns: list[str] | None
    features_out: list[str] | None
    has_y: bool
    best_est: str | None = None
    best_params: str | None = None
    labels: str | None = None          # content hash of y
    eval_rows: tuple[RowSet, ...] = ()  # evaluation sets passed to fit (eval_set / eval_X)
    early_stopping: bool = False       # ... and used to stop the boosting rounds

    @property
    def is_dummy(self) -> bool:
        return self.final_cls.startswith("Dummy")

    @property
    def is_supervised_transformer(self) -> bool:
        return self.has_y and self.cls in SUPERVISED_TRANSFORMERS

    @property
    def features(self) -> list[str]:
        """Columns the model could use: what reached the final step when known, else its input columns."""
        return self.features_out if self.features_out is not None else (self.columns or [])


@dataclass
class Prediction:
    id: int
    cell: int | None
    line: int | None
    est: str
    cls: str
    method: str
    rows: RowSet | None
    constant: bool


@dataclass
class Evaluation:
    """One score the notebook computed (a metric call, est.score, or a cross-validation)."""

    id: int
    cell: int | None
    line: int | None
    metric: str
    value: float | None
    via: str                       # "predict", "split" (rows from the labels' split), "oof", "cv", "score", "constant"
    est: str | None = None
    model: str | None = None       # class name of the model (final step for pipelines)
    params: str = ""
    rows: RowSet | None = None     # rows the predictions were made on
    fit: Fit | None = None
    overlap: float | None = None   # share of `rows` the model was fitted on
    heldout: bool | None = None
    is_baseline: bool = False
    label_role: str | None = None  # "train"/"test" part of a split the labels came from
    split: Split | None = None     # the train_test_split the labels came from
    cv_cls: str | None = None      # cross-validation splitter class (None: sklearn's default K-fold)
    cv_shuffle: bool | None = None
    labels: str | None = None      # content hash of the labels it was scored against (y_true / score's y)
    preds: str | None = None       # content hash of the predictions scored (metric calls)

    def same_rows_as(self, other: Evaluation) -> bool:
        """Scored on the same rows: the same label vector, or row samples that match."""
        if self.labels is not None and self.labels == other.labels:
            return True
        return self.rows is not None and other.rows is not None and self.rows.same_as(other.rows)

    def describe(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": self.value, "model": self.model, "cell": self.cell,
                "line": self.line, "heldout": self.heldout, "overlap": _round(self.overlap),
                "rows": self.rows.n if self.rows else None, "via": self.via, "baseline": self.is_baseline}


@dataclass
class Split:
    id: int
    cell: int | None
    line: int | None
    outputs: list[dict[str, Any]]
    shuffle: bool | None = None

    def role_time(self, part: int, column: str) -> TimeRange | None:
        """Time range of `column` in the first piece with `part`'s role (train/test) that shows it."""
        for out in self.outputs:
            rows = RowSet.of(out.get("rows")) if _int(out.get("part")) is not None else None
            if rows is not None and out["part"] % 2 == part % 2 and rows.time(column) is not None:
                return rows.time(column)
        return None

    def part_rows(self, part: int) -> RowSet | None:
        """Rows of the first array's piece with the same role (train/test) as `part`."""
        role_part = part % 2
        for out in self.outputs:
            if out.get("part") == role_part:
                return RowSet.of(out.get("rows"))
        return None


@dataclass
class CvSplit:
    """A splitter's `.split` called by notebook code (a hand-written cross-validation loop)."""

    id: int
    cell: int | None
    line: int | None
    cls: str
    shuffle: bool | None
    rows: RowSet | None


@dataclass
class EarlyStop:
    """Boosting rounds chosen on evaluation sets: a native xgboost/lightgbm `train` with early stopping, or an
    sklearn-API fit with eval_set and early stopping."""

    id: int
    cell: int | None
    line: int | None
    what: str
    evals: tuple[RowSet, ...]


@dataclass
class TraceAnalysis:
    events: list[dict[str, Any]]
    fits: list[Fit] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)
    cv_splits: list[CvSplit] = field(default_factory=list)
    early_stops: list[EarlyStop] = field(default_factory=list)
    native_trains: list[tuple[int, str]] = field(default_factory=list)  # (id, "lightgbm.train") of native APIs
    errors: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    started: bool = False

    @property
    def model_fits(self) -> list[Fit]:
        return [f for f in self.fits if f.kind in MODEL_KINDS]

    @property
    def transformer_fits(self) -> list[Fit]:
        return [f for f in self.fits if f.kind == "transformer"]

    @property
    def searches(self) -> list[Fit]:
        return [f for f in self.fits if f.kind == "search"]

    def fit_before(self, est: str, before: int) -> Fit | None:
        """The latest top-level fit of `est` (or of a search whose best model `est` is) before call `before`."""
        for fit in reversed(self.fits):
            if fit.id < before and (fit.est == est or fit.best_est == est):
                return fit
        return None

    def final_model(self) -> str | None:
        """Token of the model behind the last non-baseline top-level prediction."""
        for pred in reversed(self.predictions):
            fit = self.fit_before(pred.est, pred.id)
            if not pred.constant and not (fit and fit.is_dummy):
                return pred.est
        return None

    def final_evaluation(self) -> Evaluation | None:
        return reported_evaluation(self.evaluations)


def reported_evaluation(evaluations: list[Evaluation]) -> Evaluation | None:
    """The last score of a non-baseline model: what the notebook reports as its result (a report or a
    confusion matrix without one number counts when nothing else was computed)."""
    candidates = [e for e in evaluations if not e.is_baseline and e.value is not None] or \
        [e for e in evaluations if not e.is_baseline]
    return candidates[-1] if candidates else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and abs(v) <= MAX_ABS_INT else None


def _str(v: Any, default: str = "") -> str:
    return v if isinstance(v, str) else default


def _strs(v: Any) -> list[str] | None:
    return [str(x) for x in v] if isinstance(v, list) else None


def _value(v: Any) -> float | None:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or abs(v) > MAX_ABS_VALUE:
        return None
    return float(v) if math.isfinite(v) else None


def _cell_mapper(notebook: Any | None):
    """Cell index for events without one: the n-th executed cell is the n-th non-empty code cell."""
    if notebook is None:
        return lambda n: None
    code = [i for i, c in enumerate(notebook.cells)
            if c.cell_type == "code" and cell_source(c).strip()]
    return lambda n: code[n - 1] if isinstance(n, int) and 0 < n <= len(code) else None


def _with_cells(events: list[dict[str, Any]], notebook: Any | None) -> list[dict[str, Any]]:
    to_cell = _cell_mapper(notebook)
    current = None
    out = []
    for e in events:
        if e["ev"] == "cell":
            current = _int(e.get("cell")) if _int(e.get("cell")) is not None else to_cell(e.get("n"))
        if _int(e.get("cell")) is None and current is not None:
            e = {**e, "cell": current}
        out.append(e)
    return out


def analyse(events: list[dict[str, Any]], notebook: Any | None = None) -> TraceAnalysis:
    """Rebuild fits, predictions, splits and evaluations from the top-level (depth 0) events."""
    events = _with_cells(events, notebook)
    result = TraceAnalysis(events=events)
    result.started = any(e["ev"] == "hook_start" for e in events)
    result.truncated = any(e["ev"] == "trace_truncated" for e in events)
    result.errors = [e for e in events if e["ev"] == "hook_error"]
    top = sorted((e for e in events if e.get("depth") == 0 and _int(e.get("id")) is not None),
                 key=lambda e: e["id"])
    by_id = {e["id"]: e for e in top}
    for e in top:
        cell, line = _int(e.get("cell")), _int(e.get("line"))
        if e["ev"] == "call":
            method = _str(e.get("method"))
            if method in FIT_METHODS:
                result.fits.append(Fit(
                    id=e["id"], cell=cell, line=line, est=_str(e.get("est")), cls=_str(e.get("cls"), "?"),
                    kind=_str(e.get("kind"), "other"), final_cls=_str(e.get("final_cls"), _str(e.get("cls"), "?")),
                    params=_str(e.get("params")), rows=RowSet.of(e.get("rows")), columns=_strs(e.get("columns")),
                    features_out=_strs(e.get("features_out")), has_y=bool(e.get("has_y")),
                    best_est=e.get("best_est") if isinstance(e.get("best_est"), str) else None,
                    best_params=e.get("best_params") if isinstance(e.get("best_params"), str) else None,
                    labels=_labels_hash(e.get("y")), eval_rows=_row_sets(e.get("eval_rows")),
                    early_stopping=e.get("early_stopping") is True))
            if method in PREDICT_METHODS:
                result.predictions.append(Prediction(
                    id=e["id"], cell=cell, line=line, est=_str(e.get("est")), cls=_str(e.get("cls"), "?"),
                    method=method, rows=RowSet.of(e.get("rows")), constant=bool(e.get("constant"))))
            if method == "score":
                result.evaluations.append(_score_evaluation(result, e))
        elif e["ev"] == "split":
            outputs = [o for o in e.get("outputs", []) if isinstance(o, dict)] if isinstance(e.get("outputs"), list) else []
            result.splits.append(Split(id=e["id"], cell=cell, line=line, outputs=outputs,
                                       shuffle=e.get("shuffle") if isinstance(e.get("shuffle"), bool) else None))
        elif e["ev"] == "cv_split":
            result.cv_splits.append(CvSplit(id=e["id"], cell=cell, line=line, cls=_str(e.get("cls"), "?"),
                                            shuffle=e.get("shuffle") if isinstance(e.get("shuffle"), bool) else None,
                                            rows=RowSet.of(e.get("rows"))))
        elif e["ev"] == "cv":
            result.evaluations.append(_cv_evaluation(e))
        elif e["ev"] == "native_train":
            result.native_trains.append((e["id"], f"{_str(e.get('lib'))}.train"))
        if e["ev"] == "native_train" and e.get("early_stopping") is True:
            result.early_stops.append(EarlyStop(id=e["id"], cell=cell, line=line, what=f"{_str(e.get('lib'))}.train",
                                                evals=_row_sets(e.get("evals"))))
        elif e["ev"] == "metric":
            evaluation = _metric_evaluation(result, e, by_id)
            if evaluation is not None:
                result.evaluations.append(evaluation)
    _mark_cv_models(result)
    result.early_stops += [EarlyStop(id=f.id, cell=f.cell, line=f.line, what=f"{f.cls}.fit(eval_set=...)",
                                     evals=f.eval_rows) for f in result.fits if f.early_stopping and f.eval_rows]
    result.early_stops.sort(key=lambda stop: stop.id)
    return result


def _finish(result: TraceAnalysis, ev: Evaluation) -> Evaluation:
    """Fill in the model's fit, the overlap with its fitting rows and the held-out verdict."""
    if ev.est is not None:
        ev.fit = result.fit_before(ev.est, ev.id)
    if ev.fit is not None:
        ev.model = ev.model or ev.fit.final_cls
        ev.params = ev.fit.params
        ev.is_baseline = ev.is_baseline or ev.fit.is_dummy
        if ev.rows is not None:
            ev.overlap = ev.rows.share_in(ev.fit.rows)
    fit_rows = ev.fit.rows if ev.fit is not None else None
    if ev.fit is not None and ev.labels is not None and ev.labels == ev.fit.labels:
        ev.heldout = False  # scored against the very label vector the model was fitted with
    elif fit_rows is not None and ev.rows is not None and (fit_rows.repetitive or ev.overlap is None):
        # few distinct rows: matching values are not matching rows, so only the split's labels decide
        ev.heldout = True if ev.label_role == "test" else None
    elif ev.overlap is not None:
        ev.heldout = True if ev.overlap < HELD_OUT_BELOW else False if ev.overlap > TRAINING_ABOVE else None
    elif ev.label_role is not None and ev.fit is None:
        ev.heldout = ev.label_role == "test" or None
    return ev


def _score_evaluation(result: TraceAnalysis, e: dict[str, Any]) -> Evaluation:
    ev = Evaluation(id=e["id"], cell=_int(e.get("cell")), line=_int(e.get("line")), metric=f"{_str(e.get('cls'))}.score",
                    value=_value(e.get("value")), via="score", est=_str(e.get("est")), rows=RowSet.of(e.get("rows")),
                    labels=_labels_hash(e.get("y")))
    _label_role(result, ev, _link(e.get("y")))
    return _finish(result, ev)


def _label_role(result: TraceAnalysis, ev: Evaluation, link: dict[str, Any]) -> Split | None:
    """Which side of a train_test_split the labels came from (even parts are training parts)."""
    split = next((s for s in result.splits if s.id == _int(link.get("split"))), None)
    if split is not None and _int(link.get("part")) is not None:
        ev.label_role = "train" if link["part"] % 2 == 0 else "test"
        ev.split = split
    return split


def _cv_evaluation(e: dict[str, Any]) -> Evaluation:
    values = e.get("values")
    if isinstance(values, dict):
        values = next(iter(values.values()), None)
    numbers = [v for v in values if _value(v) is not None] if isinstance(values, list) else []
    return Evaluation(id=e["id"], cell=_int(e.get("cell")), line=_int(e.get("line")),
                      metric=f"{_str(e.get('func'))}({_str(e.get('scoring'), 'None')})",
                      value=sum(numbers) / len(numbers) if numbers else None, via="cv",
                      est=e.get("est") if isinstance(e.get("est"), str) else None,
                      model=_str(e.get("final_cls")) or None, params=_str(e.get("params")),
                      rows=RowSet.of(e.get("rows")), heldout=True,
                      is_baseline=_str(e.get("final_cls")).startswith("Dummy"), **_cv_splitter(e))


def _cv_splitter(e: dict[str, Any]) -> dict[str, Any]:
    return {"cv_cls": e.get("cv_cls") if isinstance(e.get("cv_cls"), str) else None,
            "cv_shuffle": e.get("cv_shuffle") if isinstance(e.get("cv_shuffle"), bool) else None}


def _labels_hash(info: Any) -> str | None:
    value = info.get("hash") if isinstance(info, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


def _row_sets(value: Any) -> tuple[RowSet, ...]:
    sets = (RowSet.of(v) for v in value[:5]) if isinstance(value, list) else ()
    return tuple(r for r in sets if r is not None)


def _link(info: Any) -> dict[str, Any]:
    return info.get("link") if isinstance(info, dict) and isinstance(info.get("link"), dict) else {}


def _metric_evaluation(result: TraceAnalysis, e: dict[str, Any], by_id: dict[int, dict]) -> Evaluation | None:
    name = _str(e.get("name"))
    if name == "auc":  # auc(fpr, tpr): the evaluation is the roc/pr curve call that made fpr
        curve = by_id.get(_int(_link(e.get("x")).get("curve")))
        source = next((ev for ev in result.evaluations if curve and ev.id == curve["id"]), None)
        if source is None:
            return Evaluation(id=e["id"], cell=_int(e.get("cell")), line=_int(e.get("line")), metric="auc",
                              value=_value(e.get("value")), via="unlinked")
        return Evaluation(**{**source.__dict__, "id": e["id"], "cell": _int(e.get("cell")),
                             "line": _int(e.get("line")), "metric": "auc", "value": _value(e.get("value"))})
    pred_info = e.get("y_pred") if isinstance(e.get("y_pred"), dict) else {}
    true_link = _link(e.get("y_true"))
    ev = Evaluation(id=e["id"], cell=_int(e.get("cell")), line=_int(e.get("line")), metric=name,
                    value=_value(e.get("value")), via="unlinked", labels=_labels_hash(e.get("y_true")),
                    preds=_labels_hash(pred_info))
    split = _label_role(result, ev, true_link)
    pred_link = _link(pred_info)
    producer = by_id.get(_int(pred_link.get("call")))
    if producer is not None and producer["ev"] == "cv":
        ev.via, ev.heldout = "oof", True
        ev.est, ev.model = producer.get("est"), _str(producer.get("final_cls")) or None
        ev.rows = RowSet.of(producer.get("rows"))
        ev.is_baseline = bool(ev.model and ev.model.startswith("Dummy"))
        splitter = _cv_splitter(producer)
        ev.cv_cls, ev.cv_shuffle = splitter["cv_cls"], splitter["cv_shuffle"]
        return ev
    if producer is not None and producer["ev"] == "call":
        ev.via, ev.est = "predict", _str(producer.get("est"))
        ev.rows = RowSet.of(producer.get("rows"))
        ev.is_baseline = bool(producer.get("constant"))
    elif split is not None:
        ev.via = "split"
        ev.rows = split.part_rows(true_link["part"])
        # the model is the one that last predicted on exactly these rows; varying predictions cannot come from a
        # model that predicted one constant (a dummy), nor from one that predicted before a native booster trained
        varying = pred_info.get("constant") is False
        native = max((t for t in result.native_trains if t[0] < ev.id), default=(0, ""))
        since = native[0]
        match = next((p for p in reversed(result.predictions)
                      if since < p.id < ev.id and ev.rows is not None and ev.rows.same_as(p.rows)
                      and not (varying and p.constant)), None)
        if match is not None:
            ev.est = match.est
        elif native[1]:
            ev.model = f"the model of {native[1]}"
    if pred_info.get("constant") is True:
        ev.is_baseline = True
        if ev.via == "unlinked" or ev.via == "split":
            ev.via, ev.est = "constant", None
            ev.model = "constant prediction"
    return _finish(result, ev)


def _mark_cv_models(result: TraceAnalysis) -> None:
    """A model scored by cross-validation has a held-out evaluation even if it was later refit on everything."""
    for ev in result.evaluations:
        if ev.via == "cv" and ev.est and ev.fit is None:
            ev.fit = result.fit_before(ev.est, ev.id)


# --------------------------------------------------------------------- the interface for the score check

@dataclass
class ClaimedScore:
    metric: str
    value: float
    cell: int | None
    heldout: bool | None
    model: str | None
    is_baseline: bool


def heldout_scores(events: list[dict[str, Any]], notebook: Any | None = None) -> list[ClaimedScore]:
    """Every score the notebook computed itself, in order, with whether it was on held-out rows."""
    return scores_of(analyse(events, notebook))


def scores_of(analysis: TraceAnalysis) -> list[ClaimedScore]:
    """Every score of an analysed trace, in order, with whether it was on held-out rows.

    `metric` is a takehome_harness.harness.metrics.METRICS key when the name is one we know (roc_auc_score -> roc_auc).
    """
    scores = []
    for ev in analysis.evaluations:
        if ev.value is None:
            continue
        metric = ev.metric
        if ev.via == "cv":
            scoring = metric[metric.find("(") + 1:-1].strip("'\"")
            metric = scoring if scoring not in ("None", "") else metric
        scores.append(ClaimedScore(metric=canonical_metric(metric) or metric, value=ev.value, cell=ev.cell,
                                   heldout=ev.heldout, model=ev.model, is_baseline=ev.is_baseline))
    return scores
