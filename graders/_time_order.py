"""Time order for forecasting exercises: was a score computed on rows earlier in time than rows the model was
trained on (a random split or a shuffled K-fold of a time series)?

What the trace shows decides: the spread (min, 5th/95th percentile, max) of the exercise's time column in the
training and the evaluated rows, as the kernel hook records it for every DataFrame with datetime-like columns,
and the splitter that made the rows (train_test_split's shuffle, the cross-validation splitter and its shuffle).
Verdicts per evaluation:
  FAIL            the time column is visible and the training rows' 95th percentile is later than the evaluated
                  rows' 5th percentile (a clear share of training rows is later), or a shuffled / ordered K-fold
                  ran over rows whose times are visible and spread (every such partition trains on later rows);
  CONCERN         only a few training rows are later (max after min, percentiles in order), or only the splitter
                  choice is known (random split or K-fold, time column not visible);
  PASS            training rows end no later than the evaluated rows begin, or TimeSeriesSplit;
  COULD_NOT_CHECK the time column was not visible and the splitter does not settle it.
The caller (graders/heldout.py) keeps FAIL for the reported score only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from takehome_harness.graders._static import StaticFacts
from takehome_harness.graders._trace import Evaluation, TimeRange, TraceAnalysis
from takehome_harness.graders.finding import Status

TIME_SPLITTERS = {"TimeSeriesSplit"}
RANDOM_SPLITTERS = {"ShuffleSplit", "StratifiedShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold"}
KFOLD_SPLITTERS = {"KFold", "StratifiedKFold"}
LOOP_SHARE = 0.5   # share of the scored rows that came through a splitter's .split before the loop is the source


@dataclass
class TimeVerdict:
    status: Status
    evaluation: Evaluation | None
    sentence: str
    basis: str                              # what showed it: "train_test_split", "fit and prediction rows", ...
    cell: int | None = None                 # where the rows were split (or scored)
    line: int | None = None
    train: TimeRange | None = None
    evaluated: TimeRange | None = None

    def data(self, column: str) -> dict[str, Any]:
        out: dict[str, Any] = {"time_column": column, "basis": self.basis}
        if self.train is not None:
            out["training_rows"] = self.train.describe()
        if self.evaluated is not None:
            out["evaluated_rows"] = self.evaluated.describe()
        if self.evaluation is not None:
            out["evaluation"] = self.evaluation.describe()
        return out


def _when(d: datetime) -> str:
    return d.strftime("%Y-%m-%d") if d.time() == datetime.min.time() else d.isoformat(" ", "minutes")


def compare(train: TimeRange, evaluated: TimeRange) -> Status:
    if train.p95 > evaluated.p05:
        return Status.FAIL
    if train.max > evaluated.min:
        return Status.CONCERN
    return Status.PASS


def _from_ranges(ev: Evaluation, column: str, train: TimeRange, evaluated: TimeRange, basis: str,
                 cell: int | None, line: int | None) -> TimeVerdict:
    status = compare(train, evaluated)
    sentence = {
        Status.FAIL: (f"The model behind {ev.metric} was trained on rows up to {_when(train.max)} and scored on "
                      f"rows from {_when(evaluated.min)} ({column}): many training rows are later than the rows "
                      "it was scored on, so the score uses the future to predict the past."),
        Status.CONCERN: (f"A few training rows ({column} up to {_when(train.max)}) are later than the earliest "
                         f"rows {ev.metric} was computed on ({_when(evaluated.min)})."),
        Status.PASS: f"Training rows end ({_when(train.max)}) no later than the scored rows begin "
                     f"({_when(evaluated.min)}).",
    }[status]
    return TimeVerdict(status, ev, sentence, basis, cell, line, train, evaluated)


def splitter_verdict(ev: Evaluation | None, cls: str | None, shuffle: bool | None, whole: TimeRange | None,
                     column: str, basis: str, cell: int | None, line: int | None) -> TimeVerdict:
    """K-fold style cross-validation, judged from the splitter and the time spread of all the rows it split."""
    name = cls or "the default K-fold"
    shown = whole is not None and whole.spread
    if cls in TIME_SPLITTERS:
        return TimeVerdict(Status.PASS, ev, f"{cls} trains every fold on rows earlier than the ones it scores.",
                           basis, cell, line)
    random = cls in RANDOM_SPLITTERS or ((cls is None or cls in KFOLD_SPLITTERS) and shuffle is True)
    ordered = (cls is None or cls in KFOLD_SPLITTERS) and not shuffle
    if random and shown:
        sentence = (f"A shuffled {name} ran over rows spanning {_when(whole.min)} to {_when(whole.max)} "
                    f"({column}): every fold is scored on rows from the whole period while training on later ones.")
        return TimeVerdict(Status.FAIL, ev, sentence, basis, cell, line, evaluated=whole)
    if ordered and shown and whole.sorted:
        sentence = (f"{name} ran over rows in time order from {_when(whole.min)} to {_when(whole.max)} "
                    f"({column}): each fold but the last is scored on a period while training on later periods.")
        return TimeVerdict(Status.FAIL, ev, sentence, basis, cell, line, evaluated=whole)
    if random or ordered:
        seen = "" if whole is None else " (the rows' times were visible but not in order or not spread)"
        sentence = (f"{name}{' with shuffling' if random else ''} on a time series trains on rows later than some "
                    f"of the rows it scores; the time column {column} was not visible to confirm it{seen}.")
        return TimeVerdict(Status.CONCERN, ev, sentence, basis, cell, line, evaluated=whole)
    return TimeVerdict(Status.COULD_NOT_CHECK, ev, f"{name} does not show whether training rows came before the "
                       f"scored rows, and {column} was not visible.", basis, cell, line)


def verdict(a: TraceAnalysis, ev: Evaluation, column: str) -> TimeVerdict:
    """The time-order verdict for one evaluation, from the most direct evidence the trace holds."""
    # what the model was fitted on and scored on is the most direct evidence; the split's pieces come next
    if ev.via not in ("cv", "oof") and ev.fit is not None and ev.fit.rows is not None and ev.rows is not None:
        train, test = ev.fit.rows.time(column), ev.rows.time(column)
        if train is not None and test is not None:
            return _from_ranges(ev, column, train, test, "fitting rows and scored rows", ev.cell, ev.line)
    split = ev.split
    if split is not None:
        train, test = split.role_time(0, column), split.role_time(1, column)
        if train is not None and test is not None:
            return _from_ranges(ev, column, train, test, "train_test_split", split.cell, split.line)
    if ev.via in ("cv", "oof"):
        whole = ev.rows.time(column) if ev.rows is not None else None
        return splitter_verdict(ev, ev.cv_cls, ev.cv_shuffle, whole, column, "cross-validation", ev.cell, ev.line)
    loop = next((c for c in reversed(a.cv_splits) if c.id < ev.id and ev.rows is not None
                 and (ev.rows.share_in(c.rows) or 0) >= LOOP_SHARE), None)
    if loop is not None:
        whole = loop.rows.time(column) if loop.rows is not None else None
        return splitter_verdict(ev, loop.cls, loop.shuffle, whole, column, f"{loop.cls}.split", loop.cell, loop.line)
    if split is not None and split.shuffle:
        return TimeVerdict(Status.CONCERN, ev, f"train_test_split shuffles by default, which on a time series puts "
                           f"later rows in training than some scored rows; {column} was not visible in the split "
                           "rows to confirm it.", "train_test_split", split.cell, split.line)
    return TimeVerdict(Status.COULD_NOT_CHECK, ev, f"The time column {column} was not visible in the rows that were "
                       "split or scored, so the time order could not be checked.", "trace", ev.cell, ev.line)


def static_verdicts(facts: StaticFacts) -> list[TimeVerdict]:
    """Random splits in the code (read, not run): at most CONCERN."""
    out = []
    for site in facts.splits:
        shuffled = ((site.name == "train_test_split" and site.options.get("shuffle", True) is not False)
                    or site.name in RANDOM_SPLITTERS
                    or (site.name in KFOLD_SPLITTERS and site.options.get("shuffle") is True))
        if shuffled:
            out.append(TimeVerdict(Status.CONCERN, None, f"The code splits the rows at random ({site.name}, read "
                                   "from the code, not confirmed by a run), which on a time series trains on rows "
                                   "later than some evaluation rows.", "static", site.cell, site.line))
    return out
