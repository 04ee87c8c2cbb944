"""Time order for forecasting exercises: hand-made traces, code alone, and notebooks run with the kernel hook."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from forecasting import forecasting_exercise, write_daily_series
from takehome_harness.graders import heldout
from takehome_harness.graders._trace import TimeRange, analyse, load_trace
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.sandbox.result import Limits
from takehome_harness.harness.sandbox.run import run_notebook
from trace_events import fit, metric, predict, rows, timed

REG = "Ridge"


def _ctx(trace, *cells, exercise=None):
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells] or [v4.new_code_cell("pass")])
    return GradingContext(submitted_notebook=nb, executed_notebook=None, run=None, trace=trace,
                          submission_dir=Path("."), predictions_path=None,
                          exercise=exercise if exercise is not None else forecasting_exercise())


def _split(id, train, test, *, shuffle=True, cell=1):
    return {"ev": "split", "id": id, "depth": 0, "cell": cell, "line": 1, "shuffle": shuffle,
            "outputs": [{"part": 0, "rows": train}, {"part": 1, "rows": test}]}


def _scored_from_split(split_id, pred_id, metric_id, value=4.2):
    """A metric whose labels are the split's test piece and whose predictions come from call pred_id."""
    event = metric(metric_id, pred_id, value, name="mean_absolute_error")
    event["y_true"] = {**event["y_true"], "link": {"split": split_id, "part": 1}}
    return event


def _split_trace(train_times, test_times, *, shuffle=True):
    train, test = rows(0, 80), rows(80, 100)
    return [_split(1, timed(train, "date", *train_times), timed(test, "date", *test_times), shuffle=shuffle),
            fit(2, "e1", REG, train, kind="regressor"), predict(3, "e1", REG, test), _scored_from_split(1, 3, 4)]


def test_random_split_of_a_daily_series_fails_with_both_date_ranges():
    trace = _split_trace(("2022-01-01", "2023-12-31"), ("2022-01-03", "2023-12-28"))
    finding = heldout.run(_ctx(trace, "import pandas", "tr, te = train_test_split(df)"))
    assert finding.status is Status.FAIL and "later than the rows" in finding.explanation
    data = finding.evidence[0].data
    assert data["training_rows"]["to"].startswith("2023-12-31") and data["evaluated_rows"]["from"].startswith("2022-01-03")
    assert finding.evidence[0].cell == 1 and finding.evidence[0].lines == "tr, te = train_test_split(df)"
    assert finding.details["sub_checks"]["time_order"].startswith("checked from the run")


def test_split_by_date_passes():
    trace = _split_trace(("2022-01-01", "2023-06-30"), ("2023-06-30", "2023-12-31"), shuffle=False)
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.PASS, finding.explanation
    assert "no later than" in finding.details["sub_checks"]["time_order"]


def test_a_few_later_training_rows_are_only_a_concern():
    trace = _split_trace(("2022-01-01", "2023-07-05"), ("2023-07-01", "2023-12-31"), shuffle=False)
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.CONCERN and "A few training rows" in finding.explanation


def test_shuffled_split_without_a_visible_time_column_is_a_concern_unshuffled_could_not_check():
    train, test = rows(0, 80), rows(80, 100)
    base = [fit(2, "e1", REG, train, kind="regressor"), predict(3, "e1", REG, test), _scored_from_split(1, 3, 4)]
    shuffled = heldout.run(_ctx([_split(1, train, test, shuffle=True), *base]))
    assert shuffled.status is Status.CONCERN and "not visible" in shuffled.explanation
    ordered = heldout.run(_ctx([_split(1, train, test, shuffle=False), *base]))
    assert ordered.status is Status.PASS  # nothing shows a problem: no accusation, but the gap is said
    assert ordered.details["sub_checks"]["time_order"].startswith("could not check")
    assert "review it by hand" in ordered.explanation


def test_fitting_rows_later_than_predicted_rows_without_a_split_event():
    trace = [fit(1, "e1", REG, timed(rows(0, 80), "date", "2022-03-01", "2023-12-31"), kind="regressor"),
             predict(2, "e1", REG, timed(rows(80, 100), "date", "2022-01-01", "2022-02-28")), metric(3, 2, 5.0)]
    assert heldout.run(_ctx(trace)).status is Status.FAIL
    forward = [fit(1, "e1", REG, timed(rows(0, 80), "date", "2022-01-01", "2023-10-31"), kind="regressor"),
               predict(2, "e1", REG, timed(rows(80, 100), "date", "2023-11-01", "2023-12-31")), metric(3, 2, 5.0)]
    assert heldout.run(_ctx(forward)).status is Status.PASS


def _cv(cv_cls, cv_shuffle, r):
    return {"ev": "cv", "id": 1, "depth": 0, "cell": 1, "line": 1, "func": "cross_val_score", "est": "e1",
            "cls": REG, "final_cls": REG, "kind": "regressor", "rows": r, "scoring": "'r2'", "cv": "x",
            "cv_cls": cv_cls, "cv_shuffle": cv_shuffle, "values": [0.5, 0.6, 0.55]}


@pytest.mark.parametrize("cv_cls, shuffle, sorted_, visible, expected", [
    ("TimeSeriesSplit", None, True, True, Status.PASS),
    ("KFold", True, False, True, Status.FAIL),          # shuffled over visible, spread times
    ("ShuffleSplit", None, False, True, Status.FAIL),
    (None, False, True, True, Status.FAIL),             # default K-fold over rows in time order
    (None, False, False, True, Status.CONCERN),         # default K-fold, rows not in order: magnitude unknown
    ("KFold", True, False, False, Status.CONCERN),      # only the splitter is known
    ("GroupKFold", None, False, False, Status.PASS),    # unknown splitter: no verdict, said in sub_checks
])
def test_cross_validation_splitters(cv_cls, shuffle, sorted_, visible, expected):
    r = timed(rows(0, 100), "date", "2022-01-01", "2023-12-31", sorted=sorted_) if visible else rows(0, 100)
    finding = heldout.run(_ctx([_cv(cv_cls, shuffle, r)]))
    assert finding.status is expected, finding.explanation
    if cv_cls == "GroupKFold":
        assert finding.details["sub_checks"]["time_order"].startswith("could not check")


def test_only_the_reported_score_can_fail():
    early = _split_trace(("2022-01-01", "2023-12-31"), ("2022-01-03", "2023-12-28"))
    train, test = rows(200, 280), rows(280, 300)
    later = [_split(11, timed(train, "date", "2022-01-01", "2023-06-30"), timed(test, "date", "2023-07-01", "2023-12-31"),
                    shuffle=False),
             fit(12, "e2", REG, train, kind="regressor"), predict(13, "e2", REG, test), _scored_from_split(11, 13, 14)]
    finding = heldout.run(_ctx(early + later))
    assert finding.status is Status.CONCERN
    assert finding.details["sub_checks"]["time_order"].startswith("checked from the run (trace): Training rows end")


def test_not_a_forecasting_exercise_ignores_time_order():
    trace = _split_trace(("2022-01-01", "2023-12-31"), ("2022-01-03", "2023-12-28"))
    finding = heldout.run(_ctx(trace, exercise=load_exercise("churn")))
    assert finding.status is Status.PASS
    assert finding.details["sub_checks"]["time_order"].startswith("not applicable")


def test_static_random_split_is_a_concern_and_a_time_series_split_is_not():
    code = heldout.run(_ctx([], "X_tr, X_te, y_tr, y_te = train_test_split(X, y)", "mean_absolute_error(y_te, p)"))
    assert code.status is Status.CONCERN and code.evidence[0].source == "static"
    assert code.details["sub_checks"]["time_order"].startswith("checked from the code only")
    ordered = heldout.run(_ctx([], "X_tr, X_te, y_tr, y_te = train_test_split(X, y, shuffle=False)",
                               "mean_absolute_error(y_te, p)"))
    assert ordered.status is Status.COULD_NOT_CHECK
    assert ordered.details["sub_checks"]["time_order"].startswith("could not check")


def test_forged_time_ranges_are_ignored():
    assert TimeRange.of({"min": "2023-01-01", "p05": "2022-01-01", "p95": "2023-02-01", "max": "2023-03-01"}) is None
    assert TimeRange.of({"min": "yesterday", "p05": 1, "p95": None, "max": []}) is None
    train = {**rows(0, 80), "times": {"date": {"min": "x" * 10_000}}}
    a = analyse([fit(1, "e1", REG, train, kind="regressor")])
    assert a.fits[0].rows.time("date") is None


# ------------------------------------------------------------------ notebooks run with the kernel hook

LOAD = """\
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error
df = pd.read_csv("data/train.csv")
FEATURES = ["dow", "t", "promo"]"""

NOTEBOOKS = {
    "random_split": (LOAD, """\
from sklearn.model_selection import train_test_split
train, valid = train_test_split(df, test_size=0.2, random_state=0)
model = Ridge().fit(train[FEATURES], train["demand"])
print("MAE", mean_absolute_error(valid["demand"], model.predict(valid[FEATURES])))"""),
    "split_by_date": (LOAD, """\
train, valid = df[df["date"] < "2023-10-01"], df[df["date"] >= "2023-10-01"]
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
model = make_pipeline(ColumnTransformer([("keep", "passthrough", FEATURES)]), Ridge())
model.fit(train, train["demand"])
print("MAE", mean_absolute_error(valid["demand"], model.predict(valid)))"""),
    "time_series_split": (LOAD, """\
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
model = make_pipeline(ColumnTransformer([("keep", "passthrough", FEATURES)]), Ridge())
scores = cross_val_score(model, df, df["demand"], cv=TimeSeriesSplit(5), scoring="neg_mean_absolute_error")
print("MAE", -scores.mean())"""),
}
EXPECTED = {"random_split": Status.FAIL, "split_by_date": Status.PASS, "time_series_split": Status.PASS}


@pytest.fixture(scope="module")
def daily_data(tmp_path_factory):
    return write_daily_series(tmp_path_factory.mktemp("daily") / "data")


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_run_with_the_hook(name, daily_data, tmp_path):
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in NOTEBOOKS[name]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    work = tmp_path / "work"
    work.mkdir()
    nbformat.write(nb, work / "notebook.ipynb")
    result = run_notebook(notebook=work / "notebook.ipynb", workdir=work, data_dir=daily_data,
                          limits=Limits(total_seconds=180, cell_seconds=120, memory_mb=4096), backend="local",
                          out_dir=tmp_path / "run")
    assert result.failed_cell is None, result
    ctx = GradingContext(submitted_notebook=nb, executed_notebook=nbformat.read(result.executed_notebook, as_version=4),
                         run=result, trace=load_trace(result.trace), submission_dir=work, predictions_path=None,
                         exercise=forecasting_exercise())
    finding = heldout.run(ctx)
    assert finding.status is EXPECTED[name], finding.explanation
    assert finding.details["sub_checks"]["time_order"].startswith("checked from the run"), finding.details
    if name == "random_split":
        assert finding.evidence[0].cell == 1 and "train_test_split" in finding.evidence[0].lines
