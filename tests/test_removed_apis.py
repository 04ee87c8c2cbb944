"""Old notebooks stop on calls the pinned libraries removed: the execution check names the call and its
replacement. Each case raises the real error of the installed library, so the table cannot drift from the
messages the sandbox produces."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from takehome_harness.graders import execution
from takehome_harness.graders._removed_apis import removed_api
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.sandbox.result import Limits, RunResult, Verdict

SETUP = """\
import io
import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder
from sklearn.linear_model import LogisticRegression, LinearRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import mean_squared_error
X = np.random.default_rng(0).random((20, 3)); y = np.arange(20) % 2
import matplotlib
matplotlib.use("Agg")
import lightgbm
import xgboost
import matplotlib.pyplot as plt
"""

OLD_CALLS = {
    "OneHotEncoder(sparse=...)": "OneHotEncoder(sparse=False).fit(X)",
    "get_feature_names()": "OneHotEncoder().fit(X).get_feature_names()",
    "penalty='none'": "LogisticRegression(penalty='none').fit(X, y)",
    "max_features='auto'": "RandomForestClassifier(max_features='auto').fit(X, y)",
    "normalize=True in linear models": "LinearRegression(normalize=True)",
    "mean_squared_error(..., squared=False)": "mean_squared_error([1, 2], [1, 2], squared=False)",
    "sklearn.metrics.plot_* functions": "from sklearn.metrics import plot_confusion_matrix",
    "load_boston": "from sklearn.datasets import load_boston",
    "sklearn.cross_validation / grid_search": "import sklearn.cross_validation",
    "DataFrame.append / Series.append": "pd.DataFrame({'a': [1]}).append({'a': 2}, ignore_index=True)",
    "iteritems()": "pd.DataFrame({'a': [1]}).iteritems()",
    "fillna(method=...)": "pd.DataFrame({'a': [1, None]}).fillna(method='ffill')",
    "np.float / np.int / np.bool / np.object": "np.float(1)",
    "boxplot(labels=...)": "plt.boxplot([[1, 2], [3, 4]], labels=['a', 'b'])",
    "plt.style.use('seaborn...')": "plt.style.use('seaborn-whitegrid')",
    "an alias removed from NumPy 2.0 (np.NaN, np.Inf, np.float_, ...)": "np.NaN",
    "XGBClassifier/XGBRegressor.fit(early_stopping_rounds= / eval_metric= / callbacks=)":
        "xgboost.XGBRegressor(n_estimators=5).fit(X, y, eval_set=[(X, y)], early_stopping_rounds=3)",
    "LightGBM fit(early_stopping_rounds= / verbose=) and lightgbm.train(early_stopping_rounds= / verbose_eval=)":
        "lightgbm.LGBMClassifier(n_estimators=5).fit(X, y, eval_set=[(X, y)], early_stopping_rounds=3)",
}
# The same removal reached by other calls the notebooks of that time made.
OLD_CALLS_TOO = [
    ("XGBClassifier/XGBRegressor.fit(early_stopping_rounds= / eval_metric= / callbacks=)",
     "xgboost.XGBClassifier(n_estimators=5).fit(X, y, eval_metric='auc')"),
    ("LightGBM fit(early_stopping_rounds= / verbose=) and lightgbm.train(early_stopping_rounds= / verbose_eval=)",
     "lightgbm.LGBMClassifier(n_estimators=5).fit(X, y, verbose=False)"),
    ("LightGBM fit(early_stopping_rounds= / verbose=) and lightgbm.train(early_stopping_rounds= / verbose_eval=)",
     "lightgbm.train({'verbose': -1}, lightgbm.Dataset(X, y), 5, verbose_eval=False)"),
]


def _raise(code: str) -> BaseException:
    namespace: dict = {}
    exec(SETUP, namespace)
    with pytest.raises(Exception) as caught:
        exec(code, namespace)
    return caught.value


@pytest.mark.parametrize("call", list(OLD_CALLS))
def test_each_removed_call_is_recognised_from_the_real_error(call):
    error = _raise(OLD_CALLS[call])
    removal = removed_api(type(error).__name__, str(error))
    assert removal is not None and removal.call == call, (type(error).__name__, str(error)[:200])


@pytest.mark.parametrize("call, code", OLD_CALLS_TOO)
def test_other_calls_of_a_removed_api_are_recognised_too(call, code):
    error = _raise(code)
    removal = removed_api(type(error).__name__, str(error))
    assert removal is not None and removal.call == call, (type(error).__name__, str(error)[:200])


@pytest.mark.parametrize("name, value", [
    ("KeyError", "'churned'"),
    ("TypeError", "fit() got an unexpected keyword argument 'epochs'"),
    ("AttributeError", "'DataFrame' object has no attribute 'churn_rate'"),
    ("ValueError", "Input X contains NaN."),
])
def test_ordinary_errors_are_not_blamed_on_library_versions(name, value):
    assert removed_api(name, value) is None


def test_execution_finding_says_the_notebook_was_written_for_an_older_version():
    error = _raise(OLD_CALLS["DataFrame.append / Series.append"])
    nb = new_notebook(cells=[new_code_cell("import pandas as pd"), new_code_cell("df = df.append(row)")])
    run = RunResult(verdict=Verdict.CELL_ERROR, backend="docker", isolated=True, wall_seconds=3.0,
                    message="cell 1 raised AttributeError", limits=Limits(), failed_cell=1,
                    error_name=type(error).__name__, error_value=str(error), cell_seconds=[0.1, 0.1])
    ctx = GradingContext(submitted_notebook=nb, executed_notebook=nbformat.from_dict(nb), run=run, trace=[],
                         submission_dir=None, predictions_path=None)
    finding = execution.run(ctx)
    assert finding.status is Status.FAIL
    assert "older pandas: DataFrame.append / Series.append was removed in pandas 2.0" in finding.explanation
    assert "pd.concat" in finding.explanation
    assert finding.evidence[0].data["removed_api"]["call"] == "DataFrame.append / Series.append"
