"""Data handling check: missing values, the leak column, class imbalance, duplicates - concerns only."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from takehome_harness.graders import data_handling
from takehome_harness.graders._notebook_ast import parse_code_cells
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.exercise import load_exercise

EXERCISE = load_exercise("churn")


def _nb(*cells):
    nb = new_notebook()
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells]
    return nb


def _ctx(nb, *, exercise=EXERCISE, trace=()):
    return GradingContext(submitted_notebook=nb, executed_notebook=None, run=None, trace=list(trace),
                          submission_dir=None, predictions_path=None, exercise=exercise)


CAREFUL = _nb(
    "import pandas as pd\ndf = pd.read_csv('data/train.csv')\nprint(df.duplicated().sum())\ndf = df.drop_duplicates()",
    "md:`cancellation_reason` is only filled in after a customer churns, so it leaks the label.",
    "X = df.drop(columns=['churned', 'cancellation_reason'])\ny = df['churned']",
    "from sklearn.ensemble import HistGradientBoostingClassifier\nmodel = HistGradientBoostingClassifier()",
    "from sklearn.metrics import roc_auc_score\nprint(roc_auc_score(y_val, model.predict_proba(X_val)[:, 1]))",
)
CARELESS = _nb(
    "import pandas as pd\ndf = pd.read_csv('data/train.csv')",
    "X = df.drop(columns=['churned'])\ny = df['churned']",
    "from sklearn.linear_model import LogisticRegression\nmodel = LogisticRegression().fit(X, y)",
    "from sklearn.metrics import accuracy_score\nprint(accuracy_score(y_val, model.predict(X_val)))",
)


def test_careful_notebook_passes_with_what_each_signal_rests_on():
    finding = data_handling.run(_ctx(CAREFUL))
    assert finding.status is Status.PASS, finding.explanation
    signals = finding.details["signals"]
    assert all(s["present"] for s in signals.values())
    assert any(b["what"] == "'cancellation_reason' passed to drop()" and b["cell"] == 2
               for b in signals["leak_column"]["rests_on"])
    assert any(b["source"] == "notebook" for b in signals["leak_column"]["rests_on"])
    assert signals["missing_values"]["rests_on"][0]["what"].startswith("HistGradientBoostingClassifier")
    assert signals["class_imbalance"]["rests_on"][0]["line"].startswith("print(roc_auc_score")


def test_careless_notebook_is_a_concern_never_a_fail():
    finding = data_handling.run(_ctx(CARELESS))
    assert finding.status is Status.CONCERN
    assert set(finding.details["missing"]) == {"missing_values", "leak_column", "class_imbalance", "duplicates"}
    assert "cancellation_reason" in finding.question
    assert len(finding.evidence) == 4


@pytest.mark.parametrize("code", [
    "features = [c for c in df.columns if c not in ('churned', 'cancellation_reason')]",
    "cols_to_drop = ['cancellation_reason']",
    "del df['cancellation_reason']",
    "X = df.loc[:, df.columns != 'cancellation_reason']",
    "df.pop('cancellation_reason')",
    "X = df.drop('churned', axis=1)  # cancellation reason is filled after churn: leak",
])
def test_leak_noticed_in_many_styles(code):
    basis = data_handling.leak_basis(_nb(code), parse_code_cells(_nb(code)), ["cancellation_reason"])
    assert basis, code


def test_leak_used_as_a_feature_is_not_noticed():
    nb = _nb("features = ['tenure', 'cancellation_reason']\nX = df[features]")
    assert data_handling.leak_basis(nb, parse_code_cells(nb), ["cancellation_reason"]) == []


@pytest.mark.parametrize("code", [
    "GridSearchCV(model, grid, scoring='roc_auc')",
    "cross_val_score(model, X, y, scoring=['accuracy', 'f1'])",
    "LogisticRegression(class_weight='balanced')",
    "from imblearn.over_sampling import SMOTE\nX2, y2 = SMOTE().fit_resample(X, y)",
    "from sklearn.metrics import classification_report\nprint(classification_report(y, p))",
])
def test_imbalance_aware_choices(code):
    assert data_handling.imbalance_basis(parse_code_cells(_nb(code)), [])


def test_accuracy_only_and_none_class_weight_are_not_imbalance_aware():
    code = "cross_val_score(m, X, y, scoring='accuracy')\nLogisticRegression(class_weight=None)"
    assert data_handling.imbalance_basis(parse_code_cells(_nb(code)), []) == []


@pytest.mark.parametrize("code", ["df = df.fillna(0)", "SimpleImputer(strategy='median')", "df.dropna()",
                                  "import lightgbm as lgb\nm = lgb.LGBMClassifier()"])
def test_missing_value_handling(code):
    assert data_handling.missing_value_basis(parse_code_cells(_nb(code)))


def _fit(id_, cls, *, depth=0, kind="classifier", columns=None, cell=3):
    return {"ev": "call", "id": id_, "depth": depth, "method": "fit", "cls": cls, "kind": kind, "final_cls": cls,
            "est": f"e{id_}", "columns": columns, "cell": cell}


def test_trace_shows_what_ran():
    """Trace events (format of harness/sandbox/kernel_hook.py): nested imputer fits, metrics, the final model."""
    trace = [{"ev": "hook_start"},
             _fit(1, "SimpleImputer", depth=3, kind="transformer"),
             _fit(2, "RandomForestClassifier", columns=["tenure", "cancellation_reason"]),
             {"ev": "metric", "id": 3, "depth": 0, "name": "roc_auc_score", "value": 0.93, "cell": 4}]
    nb = _nb("md:We drop `cancellation_reason` because it leaks.", "model = make_model()",
             "score = my_metric(y, p)")
    finding = data_handling.run(_ctx(nb, trace=trace))
    signals = finding.details["signals"]
    assert signals["missing_values"]["rests_on"] == [
        {"source": "trace", "cell": 3, "line": "", "what": "SimpleImputer was fitted during the run"}]
    assert signals["class_imbalance"]["present"]
    assert signals["class_imbalance"]["rests_on"][0] == {"source": "trace", "cell": 4, "line": "",
                                                         "what": "computed roc_auc"}
    # mentioned in markdown, but the final model was still fitted on it: not noticed in any way that matters
    assert not signals["leak_column"]["present"] and signals["leak_column"]["rests_on"]
    assert "fitted with 'cancellation_reason'" in signals["leak_column"]["against"][0]["what"]
    assert any(e.summary.startswith("contradicts noticing the leak column") for e in finding.evidence)
    assert "the run contradicts noticing the leak column" in finding.explanation


def test_leak_dropped_before_the_final_model_stays_noticed():
    trace = [_fit(1, "DummyClassifier", columns=["tenure", "cancellation_reason"]),
             _fit(2, "LogisticRegression", columns=["tenure"])]
    nb = _nb("X = df.drop(columns=['cancellation_reason'])")
    assert data_handling.run(_ctx(nb, trace=trace)).details["signals"]["leak_column"]["present"]


def test_generic_mode_skips_the_leak_and_applies_imbalance_only_to_classification():
    regression = _nb("from sklearn.linear_model import Ridge\ndf = df.dropna().drop_duplicates()\nRidge().fit(X, y)")
    finding = data_handling.run(_ctx(regression, exercise=None))
    assert finding.status is Status.PASS
    assert not finding.details["signals"]["leak_column"]["applicable"]
    assert not finding.details["signals"]["class_imbalance"]["applicable"]

    finding = data_handling.run(_ctx(CARELESS, exercise=None))
    assert finding.status is Status.CONCERN
    assert set(finding.details["missing"]) == {"missing_values", "class_imbalance", "duplicates"}


def test_markdown_only_notebook_could_not_check():
    assert data_handling.run(_ctx(_nb("md:# Just text"))).status is Status.COULD_NOT_CHECK


def _exercise_notebook(name):
    import nbformat

    return nbformat.reads(EXERCISE.file(name).read_text(), as_version=4)


def test_churn_exercise_notebooks():
    assert data_handling.run(_ctx(_exercise_notebook("reference_solution.ipynb"))).status is Status.PASS
    starter = data_handling.run(_ctx(_exercise_notebook("starter.ipynb")))
    assert starter.status is Status.CONCERN and len(starter.details["missing"]) == 4
    example = data_handling.run(_ctx(_exercise_notebook("example_submission/notebook.ipynb")))
    assert example.status is Status.CONCERN and example.details["missing"] == ["duplicates"]
