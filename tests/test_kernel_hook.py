"""The kernel hook: records what ran, never changes results, never raises. Each test runs a fresh Python
process (the hook patches scikit-learn process-wide, which must not leak into the test session)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from takehome_harness.graders._trace import load_trace

HOOK = Path(__file__).resolve().parents[1] / "harness" / "sandbox" / "kernel_hook.py"

WORKLOAD = """
import json, sys
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, accuracy_score
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=600, n_features=6, random_state=0)
X = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
scaled = StandardScaler().fit_transform(X)
X_tr, X_te, y_tr, y_te = train_test_split(scaled, y, test_size=0.3, random_state=0)
model = LogisticRegression().fit(X_tr, y_tr)
proba = model.predict_proba(X_te)
results = {
    "auc": roc_auc_score(y_te, proba[:, 1]),
    "acc": accuracy_score(y_te, model.predict(X_te)),
    "dummy": roc_auc_score(y_te, DummyClassifier().fit(X_tr, y_tr).predict_proba(X_te)[:, 1]),
    "cv": cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=3).tolist(),
    "coef": model.coef_.tolist(),
    "proba_type": type(proba).__name__,
    "score": model.score(X_te, y_te),
}
print(json.dumps(results))
"""


def _run(code: str, *, trace: Path | None, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_TRACE_PATH"}
    if trace is not None:
        env["HARNESS_TRACE_PATH"] = str(trace)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def _with_hook(body: str, *, before: str = "") -> str:
    return f"import runpy\n{before}\nrunpy.run_path({str(HOOK)!r}, run_name='__harness_hook__')\n{body}"


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    trace = tmp_path_factory.mktemp("hook") / "trace.jsonl"
    with_hook = _run(_with_hook(WORKLOAD), trace=trace)
    without = _run(WORKLOAD, trace=None)
    assert with_hook.returncode == 0, with_hook.stderr
    assert without.returncode == 0, without.stderr
    return {"with": with_hook, "without": without, "events": load_trace(trace)}


def test_results_and_output_identical_with_and_without_hook(traced):
    assert json.loads(traced["with"].stdout) == json.loads(traced["without"].stdout)
    assert traced["with"].stderr == traced["without"].stderr  # no warnings or prints of our own


def test_trace_records_fits_predictions_splits_and_metrics(traced):
    events = traced["events"]
    assert events[0]["ev"] == "hook_start"
    assert not [e for e in events if e["ev"] == "hook_error"]
    top = [e for e in events if e.get("depth") == 0]
    fits = [e for e in top if e["ev"] == "call" and e["method"].startswith("fit")]
    assert [f["cls"] for f in fits] == ["StandardScaler", "LogisticRegression", "DummyClassifier"]
    assert fits[0]["columns"] == [f"f{i}" for i in range(6)] and fits[0]["rows"]["n"] == 600
    split = next(e for e in top if e["ev"] == "split")
    assert [o["rows"]["n"] for o in split["outputs"]] == [420, 180, 420, 180]
    cv = next(e for e in top if e["ev"] == "cv")
    assert cv["final_cls"] == "LogisticRegression" and len(cv["values"]) == 3
    inside = [e for e in events if e.get("id", 0) > cv["id"] and e["ev"] == "call" and e.get("parent")]
    assert inside and all(e["depth"] >= 1 for e in inside[:10])  # the clones' fits, marked as nested


def test_metric_arguments_link_to_the_calls_that_made_them(traced):
    top = {e["id"]: e for e in traced["events"] if e.get("depth") == 0 and "id" in e}
    auc = next(e for e in top.values() if e["ev"] == "metric" and e["name"] == "roc_auc_score")
    producer = top[auc["y_pred"]["link"]["call"]]
    assert producer["method"] == "predict_proba" and auc["y_pred"]["link"]["col"] == 1  # proba[:, 1]
    split = top[auc["y_true"]["link"]["split"]]
    assert split["ev"] == "split" and auc["y_true"]["link"]["part"] == 3  # y_te
    assert auc["value"] == pytest.approx(json.loads(traced["with"].stdout)["auc"])
    dummy_auc = [e for e in top.values() if e["ev"] == "metric" and e["name"] == "roc_auc_score"][1]
    assert top[dummy_auc["y_pred"]["link"]["call"]]["constant"] is True


def test_transformed_rows_trace_back_to_their_roots(traced):
    top = [e for e in traced["events"] if e.get("depth") == 0]
    scaler_fit = next(e for e in top if e.get("cls") == "StandardScaler")
    predict = next(e for e in top if e.get("method") == "predict_proba" and e["cls"] == "LogisticRegression")
    assert predict["rows"]["via"] == [scaler_fit["est"]]
    # the scaled test rows are a subset of the rows the scaler was fitted on, by root fingerprint
    mod = max(predict["rows"]["mod"], scaler_fit["rows"]["mod"])
    test_rows = {h for h in predict["rows"]["h"] if h % mod == 0}
    assert test_rows and test_rows <= set(scaler_fit["rows"]["h"])


def test_internal_errors_become_events_not_exceptions(tmp_path):
    trace = tmp_path / "trace.jsonl"
    breaker = ("import sys\n"
               "hook = next(type(f).find_spec.__globals__ for f in sys.meta_path if type(f).__name__ == '_ImportHook')\n"
               "def boom(X): raise RuntimeError('internal')\n"
               "hook['_row_hashes'] = boom\n")
    result = _run(_with_hook(breaker + WORKLOAD), trace=trace)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == json.loads(_run(WORKLOAD, trace=None).stdout)
    errors = [e for e in load_trace(trace) if e["ev"] == "hook_error"]
    assert errors and "internal" in errors[0]["error"]


def test_without_the_env_var_nothing_is_installed(tmp_path):
    code = _with_hook("import sklearn.base, sys\nprint(hasattr(sklearn.base.BaseEstimator, 'x'), "
                      "any(type(f).__name__ == '_ImportHook' for f in sys.meta_path))")
    result = _run(code, trace=None)
    assert result.returncode == 0 and result.stdout.split() == ["False", "False"]


def test_trace_size_is_capped(tmp_path):
    trace = tmp_path / "trace.jsonl"
    result = _run(_with_hook(WORKLOAD), trace=trace, extra_env={"HARNESS_TRACE_MAX_BYTES": "3000"})
    assert result.returncode == 0, result.stderr
    assert trace.stat().st_size < 3000 + 200
    assert load_trace(trace)[-1]["ev"] == "trace_truncated"


CHANGED_IN_PLACE = """
import numpy as np, pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.preprocessing import StandardScaler
rng = np.random.default_rng(0)
y = pd.Series(rng.integers(0, 2, 3000))
changes = {
    "unchanged": lambda X: None,
    "loc": lambda X: X.loc.__setitem__((X["a"] > 1, "a"), 0.0),
    "fillna": lambda X: X.fillna(0.0, inplace=True),
    "named its time index": lambda X: setattr(X.index, "name", "when"),  # values unchanged, times recorded
    "scaler copy=False": lambda X: StandardScaler(copy=False).fit_transform(X),  # writes behind pandas' back
}
for change in changes.values():
    X = pd.DataFrame(rng.normal(size=(3000, 4)), columns=list("abcd"),
                     index=pd.date_range("2024-01-01", periods=3000, freq="h"))
    X.iloc[::7, 1] = np.nan
    DummyClassifier().fit(X, y)
    change(X)
    DummyClassifier().fit(X, y)
    DummyClassifier().fit(X.copy(), y)
print(list(changes))
"""


def test_a_frame_changed_in_place_is_fingerprinted_again(tmp_path):
    """Fingerprints of a frame are remembered between calls; a change in place must never leave them stale."""
    trace = tmp_path / "trace.jsonl"
    result = _run(_with_hook(CHANGED_IN_PLACE), trace=trace)
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))
    fits = [e["rows"] for e in load_trace(trace) if e.get("cls") == "DummyClassifier" and e.get("depth") == 0]
    assert len(fits) == 3 * len(changes)
    for k, change in enumerate(changes):
        before, after, fresh = fits[3 * k: 3 * k + 3]
        assert after == fresh, change
        assert (before == after) is (change == "unchanged"), change


def test_executed_as_a_cell_it_leaves_the_namespace_clean(tmp_path):
    trace = tmp_path / "trace.jsonl"
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "before = set(shell.user_ns)\n"
        f"shell.run_cell(open({str(HOOK)!r}).read(), store_history=False, silent=True)\n"
        "added = sorted(k for k in set(shell.user_ns) - before if not k.startswith('_i'))\n"
        "shell.run_cell('from sklearn.linear_model import LinearRegression\\n"
        "LinearRegression().fit([[0], [1], [2]], [0, 1, 2])')\n"
        "print(added)\n")
    result = _run(code, trace=trace)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    fits = [e for e in load_trace(trace) if e["ev"] == "call" and e.get("depth") == 0]
    assert [f["cls"] for f in fits] == ["LinearRegression"]


def test_time_columns_and_splitter_options_are_recorded(tmp_path):
    trace = tmp_path / "trace.jsonl"
    code = _with_hook("""
import numpy as np, pandas as pd
from sklearn.model_selection import KFold, train_test_split
days = pd.date_range("2022-01-01", periods=200, freq="D")
df = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "stamp": days.tz_localize("Europe/Paris"),
                   "plan": ["basic", "pro"] * 100, "code": ["2022-13-99x"] * 200, "x": np.arange(200.0)})
train, test = train_test_split(df, test_size=0.25, random_state=0)
for tr, te in KFold(4, shuffle=True, random_state=0).split(df):
    pass
print(len(train), len(test))
""")
    result = _run(code, trace=trace)
    assert result.returncode == 0 and result.stdout.split() == ["150", "50"], result.stderr
    events = load_trace(trace)
    assert not [e for e in events if e["ev"] == "hook_error"]
    split = next(e for e in events if e["ev"] == "split")
    assert split["shuffle"] is True
    times = split["outputs"][0]["rows"]["times"]
    assert set(times) == {"day", "stamp"}  # ISO text and tz-aware datetimes; other text columns are not dates
    assert "2022-01-01T00:00:00" <= times["day"]["min"] < times["day"]["max"] <= "2022-07-19T00:00:00"
    assert times["day"]["n"] == 150 and not times["day"]["sorted"]
    loop = next(e for e in events if e["ev"] == "cv_split")
    assert loop["cls"] == "KFold" and loop["shuffle"] is True
    whole = loop["rows"]["times"]
    assert whole["day"] == {"min": "2022-01-01T00:00:00", "p05": "2022-01-10T00:00:00", "p95": "2022-07-09T00:00:00",
                            "max": "2022-07-19T00:00:00", "n": 200, "sorted": True}
    assert whole["stamp"]["min"] == "2021-12-31T23:00:00"  # aware datetimes are compared in UTC


IMBLEARN_WORKLOAD = """
import json
import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=500, n_features=5, weights=[0.85], random_state=0)
X = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
# right: only the training part is resampled
X_sm, y_sm = SMOTE(random_state=0).fit_resample(X_tr, y_tr)
model = LogisticRegression().fit(X_sm, y_sm)
proba = model.predict_proba(X_te)[:, 1]
X_under, y_under = RandomUnderSampler(random_state=0).fit_resample(X_tr, y_tr)
# wrong: every row is resampled before the split, so synthetic rows land in the test part
X_all, y_all = SMOTE(random_state=1).fit_resample(X, y)
A_tr, A_te, b_tr, b_te = train_test_split(X_all, y_all, test_size=0.3, random_state=0)
# right: the sampler inside an imbalanced-learn pipeline, cross-validated
pipe = make_imb_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())
cv = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
pipe.fit(X_tr, y_tr)
print(json.dumps({"n_sm": len(X_sm), "n_under": len(X_under), "proba": np.round(proba, 10).tolist(),
                  "cv": cv.tolist(), "pipe": np.round(pipe.predict_proba(X_te)[:, 1], 10).tolist()}))
"""


@pytest.fixture(scope="module")
def imblearn_traced(tmp_path_factory):
    trace = tmp_path_factory.mktemp("imblearn") / "trace.jsonl"
    with_hook = _run(_with_hook(IMBLEARN_WORKLOAD), trace=trace)
    without = _run(IMBLEARN_WORKLOAD, trace=None)
    assert with_hook.returncode == 0, with_hook.stderr
    assert without.returncode == 0, without.stderr
    events = load_trace(trace)
    assert not [e for e in events if e["ev"] == "hook_error"]
    return {"with": with_hook, "without": without, "events": events,
            "top": [e for e in events if e.get("depth") == 0]}


def test_samplers_do_not_change_results(imblearn_traced):
    assert json.loads(imblearn_traced["with"].stdout) == json.loads(imblearn_traced["without"].stdout)
    assert imblearn_traced["with"].stderr == imblearn_traced["without"].stderr


def test_sampler_on_the_training_part_records_its_rows_and_feeds_the_next_fit(imblearn_traced):
    top = imblearn_traced["top"]
    split = next(e for e in top if e["ev"] == "split")
    smote = next(e for e in top if e.get("method") == "fit_resample" and e["cls"] == "SMOTE")
    assert smote["kind"] == "sampler" and smote["has_y"] is True
    train_rows = split["outputs"][0]["rows"]
    assert smote["rows"]["n"] == train_rows["n"] == 350 and smote["rows"]["h"] == train_rows["h"]
    made_up = smote["out_n"] - smote["rows"]["n"]
    assert made_up > 0 and smote["out_rows"]["n"] == smote["out_n"] and smote["out_rows"]["synthetic"] == made_up
    assert smote["out_rows"]["via"] == [smote["est"]] and "via" not in smote["rows"]
    fit = next(e for e in top if e.get("method") == "fit" and e["cls"] == "LogisticRegression")
    assert fit["id"] > smote["id"] and fit["rows"]["synthetic"] == made_up and smote["est"] in fit["rows"]["via"]
    assert fit["y"]["link"] == {"resample": smote["id"], "part": 1}
    predict = next(e for e in top if e.get("method") == "predict_proba" and e["est"] == fit["est"])
    assert "synthetic" not in predict["rows"] and "via" not in predict["rows"]


def test_undersampler_output_is_a_subset_of_its_input(imblearn_traced):
    top = imblearn_traced["top"]
    under = next(e for e in top if e.get("cls") == "RandomUnderSampler")
    assert under["kind"] == "sampler" and under["out_n"] < under["rows"]["n"]
    assert "synthetic" not in under["out_rows"] and "via" not in under["out_rows"]  # copies, nothing made up
    mod = max(under["rows"]["mod"], under["out_rows"]["mod"])
    assert {h for h in under["out_rows"]["h"] if h % mod == 0} <= set(under["rows"]["h"])


def test_sampler_before_the_split_puts_synthetic_rows_in_the_test_part(imblearn_traced):
    top = imblearn_traced["top"]
    leaky = [e for e in top if e.get("cls") == "SMOTE" and e.get("method") == "fit_resample"][1]
    assert leaky["rows"]["n"] == 500 and "via" not in leaky["rows"]  # earlier samplers made none of these rows
    split = next(e for e in top if e["ev"] == "split" and e["id"] > leaky["id"])
    test_part = split["outputs"][1]["rows"]
    assert test_part["synthetic"] > 0 and leaky["est"] in test_part["via"]


def test_imblearn_pipeline_names_its_samplers(imblearn_traced):
    top, events = imblearn_traced["top"], imblearn_traced["events"]
    cv = next(e for e in top if e["ev"] == "cv")
    assert cv["samplers"] == ["SMOTE"] and cv["final_cls"] == "LogisticRegression"
    pipe_fit = next(e for e in top if e.get("method") == "fit" and e["cls"] == "Pipeline")
    assert pipe_fit["kind"] == "pipeline" and pipe_fit["samplers"] == ["SMOTE"] and pipe_fit["rows"]["n"] == 350
    inside = [e for e in events if e.get("parent") == pipe_fit["id"]]
    assert "fit_resample" in {e["method"] for e in inside}
    assert next(e for e in top if e.get("method") == "predict_proba" and e["cls"] == "Pipeline")


NATIVE_BOOSTING = """
import json
import numpy as np, lightgbm as lgb
from sklearn.model_selection import train_test_split
rng = np.random.default_rng(0)
X = rng.random((400, 5)); y = (X[:, 0] + rng.normal(0, .3, 400) > .5).astype(int)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
booster = lgb.train({"objective": "binary", "verbose": -1, "seed": 0}, lgb.Dataset(X_tr, y_tr), 40,
                    valid_sets=[lgb.Dataset(X_te, y_te)], callbacks=[lgb.early_stopping(5, verbose=False)])
plain = lgb.train({"objective": "binary", "verbose": -1, "seed": 0}, lgb.Dataset(X_tr, y_tr), 10)
model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(
    X_tr, y_tr, eval_set=[(X_te, y_te)], callbacks=[lgb.early_stopping(5, verbose=False)])
print(json.dumps([booster.best_iteration, float(booster.predict(X_te).sum()), float(model.predict_proba(X_te).sum())]))
"""


def test_native_boosting_and_eval_sets_are_recorded_without_changing_results(tmp_path):
    trace = tmp_path / "trace.jsonl"
    with_hook, without = _run(_with_hook(NATIVE_BOOSTING), trace=trace), _run(NATIVE_BOOSTING, trace=None)
    assert with_hook.returncode == 0, with_hook.stderr
    assert with_hook.stdout == without.stdout
    events = load_trace(trace)
    natives = [e for e in events if e["ev"] == "native_train"]
    assert [n["early_stopping"] for n in natives] == [True, False]
    assert natives[0]["lib"] == "lightgbm" and natives[0]["rows"]["n"] == 300 and natives[0]["evals"][0]["n"] == 100
    split = next(e for e in events if e["ev"] == "split")
    assert set(natives[0]["evals"][0]["h"]) == set(split["outputs"][1]["rows"]["h"])  # the test part's rows
    fit = next(e for e in events if e["ev"] == "call" and e["method"] == "fit" and e["depth"] == 0
               and e["cls"] == "LGBMClassifier")
    assert fit["early_stopping"] is True and fit["eval_rows"][0]["n"] == 100
