"""Features with few distinct values (counts, ratings, one-hot columns): most test rows then equal some training
row by value, although no training row was ever evaluated. An overlap of fingerprints must not be read as a
transformer or a search having seen the evaluated rows, nor as rows copied before the split; the row counts can
still show a supervised fit before the split."""
from __future__ import annotations

from corpus import Case, notebook
from corpus.cases_evaluation import DUMMY_ON_TEST, SPLIT
from takehome_harness.graders.finding import Status

P, F = Status.PASS, Status.FAIL


def load(features: str) -> str:
    return f"""\
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

train = pd.read_csv("data/train.csv")
X = train[{features}].fillna(0)
y = train["churned"]
print(len(X), "rows,", len(X.drop_duplicates()), "distinct")"""


LOAD_FEW_VALUES = load('["num_add_ons", "support_tickets_90d", "satisfaction_score"]')  # small counts, a 1-5 rating

SELECT = """\
from sklearn.feature_selection import SelectKBest, f_classif
select = SelectKBest(f_classif, k=3)"""

MODEL_ON_SELECTED = """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500).fit(select.transform(X_train), y_train)
print("model AUC", roc_auc_score(y_test, model.predict_proba(select.transform(X_test))[:, 1]))"""

CASES = [
    Case("clean_selection_after_split_few_distinct_rows", notebook(LOAD_FEW_VALUES, SPLIT, DUMMY_ON_TEST, SELECT, """\
select.fit(X_train, y_train)""", MODEL_ON_SELECTED),
         {"heldout": P, "baseline": P}, clean=True),
    Case("selection_before_split_few_distinct_rows", notebook(LOAD_FEW_VALUES, SELECT, """\
select.fit(X, y)""", SPLIT, DUMMY_ON_TEST, MODEL_ON_SELECTED),
         {"heldout": F, "baseline": P}),
    Case("clean_scaler_after_split_few_distinct_rows", notebook(LOAD_FEW_VALUES, SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
scaler = StandardScaler().fit(X_train)
model = LogisticRegression(max_iter=500).fit(scaler.transform(X_train), y_train)
print("model AUC", roc_auc_score(y_test, model.predict_proba(scaler.transform(X_test))[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_search_after_split_few_distinct_rows", notebook(LOAD_FEW_VALUES, SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.01, 0.1, 1.0]}, cv=3, scoring="roc_auc")
search.fit(X_train, y_train)
best = search.best_estimator_
print("model AUC", roc_auc_score(y_test, best.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_two_features_few_distinct_rows", notebook(load('["age", "tenure_months"]'), SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500).fit(X_train, y_train)
print("model AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
]
