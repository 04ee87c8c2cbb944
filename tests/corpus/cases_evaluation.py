"""Evaluation / leakage / baseline cases: the notebooks a held-out or baseline check must get right."""
from __future__ import annotations

from takehome_harness.graders.finding import Status
from corpus import Case, notebook

P, C, F, X = Status.PASS, Status.CONCERN, Status.FAIL, Status.COULD_NOT_CHECK

LOAD = """\
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
NUM = ["age", "tenure_months", "monthly_charges", "total_charges", "num_add_ons", "support_tickets_90d",
       "avg_weekly_usage_hours", "last_login_days_ago", "satisfaction_score"]
X = train[NUM].fillna(0)
y = train["churned"]"""

SPLIT = """\
from sklearn.model_selection import train_test_split
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)"""

DUMMY_ON_TEST = """\
from sklearn.dummy import DummyClassifier
dummy = DummyClassifier(strategy="prior").fit(X_train, y_train)
print("baseline AUC", roc_auc_score(y_test, dummy.predict_proba(X_test)[:, 1]))"""

PIPE = """\
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))"""

MODEL_ON_TEST = """\
model.fit(X_train, y_train)
print("model AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""

PREDICT = """\
model.fit(X, y)
pd.DataFrame({"customer_id": test["customer_id"],
              "churn_probability": model.predict_proba(test[NUM].fillna(0))[:, 1]}).to_csv("predictions.csv", index=False)"""

CASES = [
    Case("clean_reference", notebook(LOAD, SPLIT, "#md ## Baseline", DUMMY_ON_TEST, PIPE, MODEL_ON_TEST, PREDICT),
         {"heldout": P, "baseline": P}, clean=True),
    Case("no_baseline", notebook(LOAD, SPLIT, PIPE, MODEL_ON_TEST, PREDICT), {"heldout": P, "baseline": F},
         clean=True),
    Case("baseline_on_other_rows", notebook(LOAD, SPLIT, """\
from sklearn.dummy import DummyClassifier
dummy = DummyClassifier(strategy="stratified", random_state=0).fit(X_train, y_train)
print("baseline AUC (train)", roc_auc_score(y_train, dummy.predict_proba(X_train)[:, 1]))""",
                                            PIPE, MODEL_ON_TEST, PREDICT),
         {"heldout": P, "baseline": C}, clean=True),
    Case("training_set_evaluation", notebook(LOAD, PIPE, """\
from sklearn.dummy import DummyClassifier
dummy = DummyClassifier().fit(X, y)
print("baseline", roc_auc_score(y, dummy.predict_proba(X)[:, 1]))
model.fit(X, y)
print("AUC", roc_auc_score(y, model.predict_proba(X)[:, 1]))""", """\
pd.DataFrame({"customer_id": test["customer_id"],
              "churn_probability": model.predict_proba(test[NUM].fillna(0))[:, 1]}).to_csv("predictions.csv", index=False)"""),
         {"heldout": F, "baseline": C}),
    Case("scaler_before_split", notebook(LOAD, """\
from sklearn.preprocessing import StandardScaler
X = StandardScaler().fit_transform(X)""", SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500)""", MODEL_ON_TEST),
         {"heldout": C, "baseline": P}),
    Case("selection_before_split", notebook(LOAD, """\
from sklearn.feature_selection import SelectKBest, f_classif
X = SelectKBest(f_classif, k=4).fit_transform(X, y)""", SPLIT, DUMMY_ON_TEST, PIPE, MODEL_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("tuned_on_test_split", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
best = (0, None)
for C in [0.001, 0.01, 0.1, 1.0]:
    m = LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)
    auc = roc_auc_score(y_test, m.predict_proba(X_test)[:, 1])
    best = max(best, (auc, C))
print("best test AUC", best)""", """\
model = LogisticRegression(C=best[1], max_iter=500).fit(X_train, y_train)
print("final AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": C, "baseline": P}),
    Case("leak_column_used", notebook(LOAD, """\
X = X.assign(cancellation_reason=train["cancellation_reason"].notna().astype(int))""", SPLIT, DUMMY_ON_TEST,
                                      PIPE, MODEL_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("crash_halfway", notebook(LOAD, SPLIT, "print(train['no_such_column'].mean())", DUMMY_ON_TEST, PIPE,
                                   MODEL_ON_TEST),
         {"heldout": X, "baseline": P}),
    Case("pipeline_cross_validation", notebook(LOAD, PIPE, """\
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
cv = StratifiedKFold(5, shuffle=True, random_state=0)
print("baseline", cross_val_score(DummyClassifier(), X, y, cv=cv, scoring="roc_auc").mean())
print("model", cross_val_score(model, X, y, cv=cv, scoring="roc_auc").mean())""", PREDICT),
         {"heldout": P, "baseline": P}, clean=True),
    Case("manual_numpy", notebook(LOAD, """\
rng = np.random.default_rng(0)
idx = rng.permutation(len(X))
tr, te = idx[: int(0.75 * len(X))], idx[int(0.75 * len(X)):]
A = X.to_numpy(float); A = (A - A[tr].mean(0)) / (A[tr].std(0) + 1e-9)
Y = y.to_numpy(float)

def auc(labels, scores):
    order = np.argsort(scores); ranks = np.empty(len(scores)); ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())""", """\
# baseline: everyone gets the training churn rate
base = np.full(len(te), Y[tr].mean())
print("baseline AUC", auc(Y[te], base + rng.normal(0, 1e-9, len(te))))""", """\
w = np.zeros(A.shape[1]); b = 0.0
for _ in range(300):
    p = 1 / (1 + np.exp(-(A[tr] @ w + b)))
    w -= 0.1 * A[tr].T @ (p - Y[tr]) / len(tr); b -= 0.1 * (p - Y[tr]).mean()
print("model AUC", auc(Y[te], A[te] @ w + b))"""),
         {"heldout": X, "baseline": P}, clean=True),
    Case("clean_numpy_arrays", notebook(LOAD, """\
from sklearn.model_selection import train_test_split
Xa, ya = X.to_numpy(), y.to_numpy()
X_train, X_test, y_train, y_test = train_test_split(Xa, ya, test_size=0.3, random_state=1)""", DUMMY_ON_TEST, """\
from sklearn.ensemble import RandomForestClassifier
model = RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0, n_jobs=1)""", MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_train_and_test_score", notebook(LOAD, SPLIT, DUMMY_ON_TEST, PIPE, """\
model.fit(X_train, y_train)
print("train AUC", roc_auc_score(y_train, model.predict_proba(X_train)[:, 1]))
print("test AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_cv_then_test", notebook(LOAD, SPLIT, DUMMY_ON_TEST, PIPE, """\
from sklearn.model_selection import cross_val_score
print("cv AUC", cross_val_score(model, X_train, y_train, cv=3, scoring="roc_auc").mean())""", MODEL_ON_TEST,
                                        PREDICT),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_scaler_fit_on_test_csv", notebook(LOAD, SPLIT, DUMMY_ON_TEST, PIPE, MODEL_ON_TEST, """\
from sklearn.preprocessing import StandardScaler
# how different is the test period? scale it on its own and compare
drift = StandardScaler().fit(test[NUM].fillna(0))
print(drift.mean_.round(2))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_lightgbm", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from lightgbm import LGBMClassifier
model = LGBMClassifier(n_estimators=50, verbose=-1)""", MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, requires=("lightgbm",), clean=True),
    Case("pandas_median_before_split", notebook(LOAD, """\
X = train[NUM]
X = X.fillna(X.median())  # medians of every row, evaluation rows included""", SPLIT, DUMMY_ON_TEST, PIPE,
                                                MODEL_ON_TEST),
         {"heldout": C, "baseline": P}),
    Case("pandas_standardised_before_split", notebook(LOAD, """\
df = train.copy()
for col in NUM:
    df[col] = df[col].fillna(0)
    df[col] = (df[col] - df[col].mean()) / df[col].std()
X = df[NUM]""", SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500)""", MODEL_ON_TEST),
         {"heldout": C, "baseline": P}),
    Case("clean_pandas_median_after_split", notebook(LOAD, SPLIT, """\
X_train, X_test = train[NUM].loc[X_train.index], train[NUM].loc[X_test.index]
medians = X_train.median()
X_train, X_test = X_train.fillna(medians), X_test.fillna(medians)
unlabeled = test[NUM].fillna(medians)  # the rows to predict get the training medians too""", DUMMY_ON_TEST, PIPE,
                                             MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_dummies_before_split", notebook(LOAD, """\
X = pd.get_dummies(train[NUM + ["plan", "region"]], columns=["plan", "region"]).fillna(0)
test_X = test[NUM].fillna(test[NUM].median())  # only the rows to predict""", SPLIT, DUMMY_ON_TEST, PIPE,
                                        MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
    Case("public_breast_cancer", notebook("""\
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)""", """\
baseline = DummyClassifier().fit(X_train, y_train)
print(accuracy_score(y_test, baseline.predict(X_test)))
clf = LogisticRegression(max_iter=5000).fit(X_train, y_train)
print(accuracy_score(y_test, clf.predict(X_test)))"""),
         {"heldout": P, "baseline": P}, exercise=None, clean=True),
]
