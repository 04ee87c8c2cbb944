"""Execution / reproducibility and data-handling cases, run on the churn data by the real local runner."""
from __future__ import annotations

from nbformat.v4 import new_output

from corpus import Case, notebook
from takehome_harness.graders.finding import Status

P, C, F = Status.PASS, Status.CONCERN, Status.FAIL

LOAD = """\
import pandas as pd
train = pd.read_csv("data/train.csv")
NUM = ["age", "tenure_months", "monthly_charges", "support_tickets_90d", "satisfaction_score"]"""

CAREFUL = [
    LOAD,
    "print('duplicates:', train.duplicated().sum())\ntrain = train.drop_duplicates()",
    "#md `cancellation_reason` is only known after a customer leaves: it leaks the label, so it is dropped.",
    """\
from sklearn.model_selection import train_test_split
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
X = train[NUM]
y = train["churned"]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
model = HistGradientBoostingClassifier(random_state=0).fit(X_tr, y_tr)
print("AUC", round(roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]), 3))""",
]

CARELESS = [
    LOAD,
    """\
from sklearn.model_selection import train_test_split
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
X = pd.get_dummies(train[NUM + ["cancellation_reason"]]).fillna(0)
y = train["churned"]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3)
model = RandomForestClassifier(n_estimators=30).fit(X_tr, y_tr)
print("accuracy", accuracy_score(y_va, model.predict(X_va)))""",
]


def _submitted_with_state():
    """As if run by hand: cells executed out of order and an output from a variable that no longer exists."""
    nb = notebook("total = 41", "print(total)", "total = total + 1")
    counts = [3, 2, 1]
    for cell, count in zip(nb.cells, counts):
        cell.execution_count = count
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="42\n")]
    return nb


CASES = [
    Case("exec_careful_seeded", notebook(*CAREFUL), {"execution": P, "data_handling": P}),
    Case("exec_careless_unseeded", notebook(*CARELESS), {"execution": C, "data_handling": C}),
    Case("exec_error_stops_the_run", notebook(LOAD, "train['no_such_column'].mean()", "print('never')"),
         {"execution": F}),
    Case("exec_hidden_state", _submitted_with_state(), {"execution": C}, exercise=None),
]
