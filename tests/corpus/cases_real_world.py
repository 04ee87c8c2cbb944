"""Patterns seen in real candidates' notebooks (docs/real-world-results.md) that the checks once got wrong,
rewritten as our own code on the churn data: each has a twin that must be flagged and one that must not."""
from __future__ import annotations

from corpus import Case, notebook
from corpus.cases_evaluation import DUMMY_ON_TEST, LOAD, MODEL_ON_TEST, PIPE, PREDICT, SPLIT
from takehome_harness.graders.finding import Status

P, C, F, X = Status.PASS, Status.CONCERN, Status.FAIL, Status.COULD_NOT_CHECK

HAND_ACCURACY = """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500).fit(X_train, y_train)
pred = model.predict(X_test)
print("accuracy", (pred == y_test).mean())"""

CASES = [
    # pattern 4: scores and baselines computed by hand are evaluations and baselines
    Case("hand_metric_and_hand_baseline", notebook(LOAD, SPLIT, """\
majority = np.full(len(y_test), y_train.mode()[0])
print("majority-class accuracy", (majority == y_test).mean())""", HAND_ACCURACY),
         {"heldout": X, "baseline": P}, clean=True),
    Case("train_score_traced_test_score_by_hand", notebook(LOAD, SPLIT, DUMMY_ON_TEST, HAND_ACCURACY, """\
print("train accuracy", model.score(X_train, y_train))"""),
         {"heldout": P, "baseline": C}, clean=True),
    Case("hand_constant_baseline_on_the_models_rows", notebook(LOAD, """\
from sklearn.model_selection import train_test_split
frame = train[NUM + ["churned"]].fillna(0)
fit_part, val = train_test_split(frame, test_size=0.25, stratify=frame["churned"], random_state=0)
X_fit, y_fit = fit_part[NUM], fit_part["churned"]
X_val, y_val = val[NUM], val["churned"]
rate = y_fit.mean()
print("baseline AUC", roc_auc_score(y_val, np.full(len(y_val), rate)))""", """\
from sklearn.ensemble import RandomForestClassifier
model = RandomForestClassifier(n_estimators=40, max_depth=6, random_state=0).fit(X_fit, y_fit)
print("model AUC", roc_auc_score(y_val, model.predict_proba(X_val)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
    # pattern 3: a model fitted and never scored has no evaluation at all
    Case("never_evaluated", notebook(LOAD, PIPE, PREDICT),
         {"heldout": F, "baseline": F}),
    # pattern 5: an exploratory model scored on its own training rows is a note, not a finding
    Case("side_model_train_score_only", notebook(LOAD, SPLIT, """\
from sklearn.tree import DecisionTreeClassifier
probe = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)
print("how separable is the training data?", probe.score(X_train, y_train))""", DUMMY_ON_TEST, PIPE, MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
    # pattern 2: several model families scored on the test rows, the best one reported
    Case("model_families_compared_on_test", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
scores = {}
for name, m in {"logreg": LogisticRegression(max_iter=500), "tree": DecisionTreeClassifier(max_depth=5, random_state=0),
                "knn": KNeighborsClassifier(15), "forest": RandomForestClassifier(50, random_state=0)}.items():
    m.fit(X_train, y_train)
    scores[name] = roc_auc_score(y_test, m.predict_proba(X_test)[:, 1])
print(scores, "best:", max(scores, key=scores.get))"""),
         {"heldout": C, "baseline": P}),
    Case("knn_k_picked_on_test", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.neighbors import KNeighborsClassifier
accuracy = []
for k in range(1, 16, 2):
    knn = KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train)
    accuracy.append(knn.score(X_test, y_test))
best_k = 1 + 2 * int(np.argmax(accuracy))
print("best k", best_k, "test accuracy", max(accuracy))"""),
         {"heldout": C, "baseline": P}),
    Case("clean_models_compared_by_cross_validation", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier
candidates = {"logreg": LogisticRegression(max_iter=500), "tree": DecisionTreeClassifier(max_depth=5, random_state=0),
              "forest": RandomForestClassifier(50, random_state=0)}
cv = {name: cross_val_score(m, X_train, y_train, cv=3, scoring="roc_auc").mean() for name, m in candidates.items()}
model = candidates[max(cv, key=cv.get)]""", MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 1: rows oversampled before the split put copies of the same customers on both sides
UPSAMPLE = """\
from sklearn.utils import resample
frame = train[NUM + ["churned"]].fillna(0)
churners = frame[frame["churned"] == 1]
stayers = frame[frame["churned"] == 0]
"""
LOGREG_ON_TEST = """\
from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=500).fit(X_train, y_train)
print("AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""

CASES += [
    Case("upsampled_before_split", notebook(LOAD, UPSAMPLE + """\
balanced = pd.concat([stayers, resample(churners, replace=True, n_samples=len(stayers), random_state=0)])
X, y = balanced[NUM], balanced["churned"]""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("clean_upsampled_training_part_only", notebook(LOAD, SPLIT, UPSAMPLE.replace(
        'frame = train[NUM + ["churned"]].fillna(0)', 'frame = X_train.assign(churned=y_train)') + """\
balanced = pd.concat([stayers, resample(churners, replace=True, n_samples=len(stayers), random_state=0)])
X_train, y_train = balanced[NUM], balanced["churned"]""", DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
    Case("smote_before_split", notebook(LOAD, """\
from imblearn.over_sampling import SMOTE
X, y = SMOTE(random_state=0).fit_resample(X, y)""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}, requires=("imblearn",)),
    Case("clean_smote_after_split", notebook(LOAD, SPLIT, """\
from imblearn.over_sampling import SMOTE
X_train, y_train = SMOTE(random_state=0).fit_resample(X_train, y_train)""", DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, requires=("imblearn",), clean=True),
    Case("clean_smote_in_imblearn_pipeline", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
model = make_imb_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression(max_iter=500))""",
                                                  MODEL_ON_TEST),
         {"heldout": P, "baseline": P}, requires=("imblearn",), clean=True),
]

# pattern 6: few distinct rows (binary features, or a selector keeping three of them) must not make held-out rows
# look like training rows, and the finding names the real cause
BINARY = """\
Xb = (X > X.median()).astype(int)  # yes/no features: many customers share the same row"""

CASES += [
    Case("clean_repetitive_rows_split_properly", notebook(LOAD, BINARY + """
X = Xb[["tenure_months", "monthly_charges", "support_tickets_90d"]]""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST, """\
print("accuracy", model.score(X_test, y_test))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("repetitive_rows_scored_on_training_rows", notebook(LOAD, BINARY, """\
from sklearn.linear_model import LogisticRegression
from sklearn.dummy import DummyClassifier
print("baseline", roc_auc_score(y, DummyClassifier().fit(Xb, y).predict_proba(Xb)[:, 1]))
model = LogisticRegression(max_iter=500).fit(Xb, y)
print("AUC", roc_auc_score(y, model.predict_proba(Xb)[:, 1]))"""),
         {"heldout": F, "baseline": C}),
    Case("selection_of_three_binary_columns_before_split", notebook(LOAD, BINARY + """
from sklearn.feature_selection import SelectKBest, chi2
X = SelectKBest(chi2, k=3).fit_transform(Xb, y)""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}),
]

# pattern 9: target statistics computed with pandas on all rows, then split
CASES += [
    Case("target_mean_by_group_before_split", notebook(LOAD, """\
frame = train[NUM + ["plan", "region", "churned"]].copy()
frame[NUM] = frame[NUM].fillna(0)
frame["region_churn_rate"] = frame.groupby("region")["churned"].transform("mean")
X, y = frame[NUM + ["region_churn_rate"]], frame["churned"]""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("clean_target_mean_from_training_rows", notebook(LOAD, """\
frame = train[NUM + ["plan", "region", "churned"]].copy()
frame[NUM] = frame[NUM].fillna(0)
X, y = frame.drop(columns="churned"), frame["churned"]""", SPLIT, """\
rates = X_train.assign(churned=y_train).groupby("region")["churned"].mean()
X_train = X_train.assign(region_churn_rate=X_train["region"].map(rates))[NUM + ["region_churn_rate"]]
X_test = X_test.assign(region_churn_rate=X_test["region"].map(rates).fillna(y_train.mean()))[NUM + ["region_churn_rate"]]""",
                                                   DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 9: a decision threshold swept on the evaluation rows, the best one reported
CASES += [
    Case("threshold_picked_on_test", notebook(LOAD, SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST, """\
from sklearn.metrics import f1_score
proba = model.predict_proba(X_test)[:, 1]
f1 = {t: f1_score(y_test, (proba > t).astype(int)) for t in np.arange(0.1, 0.6, 0.05)}
best = max(f1, key=f1.get)
print("threshold", best, "F1", f1_score(y_test, (proba > best).astype(int)))"""),
         {"heldout": C, "baseline": P}),
    Case("clean_threshold_from_validation_rows", notebook(LOAD, SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST, """\
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict
oof = cross_val_predict(LogisticRegression(max_iter=500), X_train, y_train, cv=3, method="predict_proba")[:, 1]
best = max(np.arange(0.1, 0.6, 0.05), key=lambda t: f1_score(y_train, (oof > t).astype(int)))
print("threshold", best, "test F1", f1_score(y_test, (model.predict_proba(X_test)[:, 1] > best).astype(int)))"""),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 9: a rule-of-thumb baseline scored by hand on the test rows is the baseline's score, not the model's
CASES += [
    Case("rule_baseline_scored_after_the_model", notebook(LOAD, SPLIT, LOGREG_ON_TEST, """\
from sklearn.metrics import accuracy_score
print("model accuracy", accuracy_score(y_test, model.predict(X_test)))
# baseline: flag every customer with more than two support tickets
rule = (X_test["support_tickets_90d"] > 2).astype(int)
print("baseline accuracy", accuracy_score(y_test, rule))"""),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 9: boosting rounds picked by early stopping on the rows that are then reported (native lightgbm API
# and the sklearn API), next to early stopping on a validation part carved from the training rows
LGB_NATIVE = """\
import lightgbm as lgb
params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 15, "verbose": -1, "seed": 0}"""

CASES += [
    Case("early_stopping_on_test_native_lightgbm", notebook(LOAD, SPLIT, DUMMY_ON_TEST, LGB_NATIVE + """
booster = lgb.train(params, lgb.Dataset(X_train, y_train), num_boost_round=300,
                    valid_sets=[lgb.Dataset(X_test, y_test)], callbacks=[lgb.early_stopping(20, verbose=False)])
print("AUC", roc_auc_score(y_test, booster.predict(X_test)))"""),
         {"heldout": C, "baseline": P}, requires=("lightgbm",)),
    Case("clean_early_stopping_on_validation_native_lightgbm", notebook(LOAD, SPLIT, DUMMY_ON_TEST, LGB_NATIVE + """
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.2, stratify=y_train, random_state=0)
booster = lgb.train(params, lgb.Dataset(X_fit, y_fit), num_boost_round=300,
                    valid_sets=[lgb.Dataset(X_val, y_val)], callbacks=[lgb.early_stopping(20, verbose=False)])
print("AUC", roc_auc_score(y_test, booster.predict(X_test)))"""),
         {"heldout": P, "baseline": P}, requires=("lightgbm",), clean=True),
    Case("early_stopping_on_test_sklearn_api", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
import lightgbm as lgb
model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, verbose=-1, random_state=0)
model.fit(X_train, y_train, eval_set=[(X_test, y_test)], callbacks=[lgb.early_stopping(20, verbose=False)])
print("AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": C, "baseline": P}, requires=("lightgbm",)),
]

# pattern 9: features chosen by hand from class-wise statistics of all rows (a supervised selection in pandas)
CASES += [
    Case("columns_chosen_by_class_means_before_split", notebook(LOAD, """\
frame = train[NUM + ["churned"]].fillna(0)
frame[NUM] = (frame[NUM] - frame[NUM].mean()) / frame[NUM].std()
by_class = frame.groupby("churned").mean().T
by_class["gap"] = (by_class[0] - by_class[1]).abs()
chosen = list(by_class.sort_values("gap", ascending=False).index[:4])
X, y = frame[chosen], frame["churned"]""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("clean_columns_chosen_by_class_means_of_training_rows", notebook(LOAD, SPLIT, """\
by_class = X_train.assign(churned=y_train).groupby("churned").mean().T
chosen = list((by_class[0] - by_class[1]).abs().sort_values(ascending=False).index[:4])
X_train, X_test = X_train[chosen], X_test[chosen]""", DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 2 with scores computed by hand, which the trace cannot see: the loop itself is the evidence
CASES += [
    Case("k_picked_on_test_by_hand", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.neighbors import KNeighborsClassifier
error = []
for k in range(1, 16, 2):
    knn = KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train)
    error.append(np.mean(knn.predict(X_test) != y_test))
print("best k", 1 + 2 * int(np.argmin(error)))"""),
         {"heldout": C, "baseline": P}),
    Case("clean_k_picked_on_validation_by_hand_then_tested", notebook(LOAD, """\
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0)
accuracy = {}
for k in range(1, 16, 2):
    knn = KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train)
    accuracy[k] = np.mean(knn.predict(X_val) == y_val.to_numpy())
best_k = max(accuracy, key=accuracy.get)""", DUMMY_ON_TEST, """\
model = KNeighborsClassifier(n_neighbors=best_k).fit(X_train, y_train)
print("test AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_hand_written_cross_validation_loop", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
folds = []
for tr, te in StratifiedKFold(4, shuffle=True, random_state=0).split(X_train, y_train):
    m = LogisticRegression(max_iter=500).fit(X_train.iloc[tr], y_train.iloc[tr])
    folds.append(np.mean(m.predict(X_train.iloc[te]) == y_train.iloc[te]))
print("cv accuracy", np.mean(folds))""", LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
]

# pattern 9: a supervised selector fitted on all rows whose scores are then read by hand to pick columns
CASES += [
    Case("selector_scores_read_by_hand_before_split", notebook(LOAD, """\
from sklearn.feature_selection import SelectKBest, f_classif
selector = SelectKBest(f_classif, k=4)
fitted = selector.fit(X, y)
scores = pd.DataFrame({"feature": X.columns, "score": fitted.scores_})
best = list(scores.nlargest(4, "score")["feature"])
X = X[best]""", SPLIT, DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": F, "baseline": P}),
    Case("clean_selector_scores_from_training_rows", notebook(LOAD, SPLIT, """\
from sklearn.feature_selection import SelectKBest, f_classif
fitted = SelectKBest(f_classif, k=4).fit(X_train, y_train)
best = list(X_train.columns[fitted.get_support()])
X_train, X_test = X_train[best], X_test[best]""", DUMMY_ON_TEST, LOGREG_ON_TEST),
         {"heldout": P, "baseline": P}, clean=True),
]

# Old notebooks on new pins: text columns found with `dtype == "object"` (pandas 3 calls them `str`), `corr()` of a
# table with text columns (pandas 1 left them out), a Yes/No target made numeric with `replace` (pandas 3 leaves it
# `object`: corr() drops it, scikit-learn rejects it) and a removed seaborn style name. Generic mode runs them with the
# legacy profile (harness/sandbox/legacy_compat.py), so they are judged on their evaluation; exercise mode keeps the
# candidates' exact pins, so the same notebook stops there.
# The data are made in the notebook, so the generic case needs no data folder under either runner.
OBJECT_COLUMNS_ENCODED = """\
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
plt.style.use("seaborn")
values, y = make_classification(n_samples=600, n_features=6, random_state=0)
frame = pd.DataFrame(values, columns=[f"f{i}" for i in range(6)])
frame["plan"] = np.where(values[:, 0] > 0, "premium", "basic")
frame["region"] = np.array(["north", "south", "east"])[np.arange(600) % 3]
frame["churned"] = np.where(y == 1, "Yes", "No")
frame.replace(to_replace="Yes", value=1, inplace=True)
frame.replace(to_replace="No", value=0, inplace=True)
print(frame.corr()["churned"].round(2))
y = frame.pop("churned")
categorical = [c for c in frame.columns if frame[c].dtype == "object"]
X = pd.get_dummies(frame, columns=categorical, drop_first=True)"""
CASES += [
    Case("clean_old_pandas_idioms_generic_mode", notebook(OBJECT_COLUMNS_ENCODED, SPLIT, DUMMY_ON_TEST, PIPE,
                                                          MODEL_ON_TEST),
         {"execution": P, "heldout": P, "baseline": P}, exercise=None, clean=True),
    Case("old_pandas_idioms_exercise_mode", notebook(OBJECT_COLUMNS_ENCODED, SPLIT, DUMMY_ON_TEST, PIPE, MODEL_ON_TEST),
         {"execution": F, "heldout": X}, clean=True),
]

# Two models scored on the test rows and the better one picked in the code by comparing those two scores: a choice
# made on the test rows (three or more configurations are caught without reading the code). A model compared with
# its baseline, or two models compared on validation rows and the pick reported on the test rows, is no such choice.
TWO_MODELS = """\
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
lr = LogisticRegression(max_iter=500).fit(X_fit, y_fit)
rf = RandomForestClassifier(50, max_depth=6, random_state=0).fit(X_fit, y_fit)"""
CASES += [
    Case("better_of_two_models_picked_on_test", notebook(LOAD, SPLIT, DUMMY_ON_TEST, "X_fit, y_fit = X_train, y_train",
                                                         TWO_MODELS, """\
auc_lr = roc_auc_score(y_test, lr.predict_proba(X_test)[:, 1])
auc_rf = roc_auc_score(y_test, rf.predict_proba(X_test)[:, 1])
best = rf if auc_rf > auc_lr else lr
print("best model AUC", roc_auc_score(y_test, best.predict_proba(X_test)[:, 1]))"""),
         {"heldout": C, "baseline": P}),
    Case("clean_model_compared_with_its_baseline", notebook(LOAD, SPLIT, """\
from sklearn.tree import DecisionTreeClassifier
from sklearn.ensemble import RandomForestClassifier
stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X_train, y_train)
auc_baseline = roc_auc_score(y_test, stump.predict_proba(X_test)[:, 1])
forest = RandomForestClassifier(50, max_depth=6, random_state=0).fit(X_train, y_train)
auc_model = roc_auc_score(y_test, forest.predict_proba(X_test)[:, 1])
if auc_model > auc_baseline:
    print("the forest beats the baseline:", auc_model, "vs", auc_baseline)"""),
         {"heldout": P, "baseline": P}, clean=True),
    Case("clean_two_models_compared_on_validation_rows", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.25, stratify=y_train, random_state=0)""",
                                                                  TWO_MODELS, """\
auc_lr = roc_auc_score(y_val, lr.predict_proba(X_val)[:, 1])
auc_rf = roc_auc_score(y_val, rf.predict_proba(X_val)[:, 1])
best = rf if auc_rf > auc_lr else lr
print("test AUC of the model picked on validation", roc_auc_score(y_test, best.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, clean=True),
]

# A score computed before the run stopped short of scoring any model (a formula checked with r2_score, next to a side
# model that fills a column) is not a model's evaluation: the check cannot see one, so it says so instead of raising a
# concern; the same notebook that runs on and scores its model on the training rows only is flagged.
FORMULA_CHECKED = """\
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
known = train.dropna(subset=["total_charges"])
print("total = tenure x monthly?", r2_score(known["total_charges"], known["tenure_months"] * known["monthly_charges"]))
filler = LinearRegression().fit(known[["tenure_months", "monthly_charges"]], known["total_charges"])"""
CASES += [
    Case("run_stops_before_any_model_after_a_formula_check", notebook(LOAD, FORMULA_CHECKED, "train.corr()", SPLIT, PIPE,
                                                                      MODEL_ON_TEST),
         {"heldout": X}, clean=True),
    Case("formula_check_then_model_scored_on_training_rows", notebook(LOAD, FORMULA_CHECKED, PIPE, """\
model.fit(X, y)
print("AUC", roc_auc_score(y, model.predict_proba(X)[:, 1]))"""),
         {"heldout": F}),
]

# pattern 11: boosting rounds stopped early on the test rows, in the fit call of xgboost < 2.1, which today's
# xgboost rejects: the run stops in that cell, so only the code shows it
CASES += [
    Case("old_xgboost_early_stopping_on_test_stops_the_run", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from xgboost import XGBClassifier
model = XGBClassifier(n_estimators=200, max_depth=3)
model.fit(X_train, y_train, early_stopping_rounds=10, eval_set=[(X_test, y_test)], verbose=False)""", """\
print("AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": C, "execution": F}, requires=("xgboost",)),
    Case("clean_xgboost_early_stopping_on_validation_rows", notebook(LOAD, SPLIT, DUMMY_ON_TEST, """\
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=0)
model = XGBClassifier(n_estimators=200, max_depth=3, early_stopping_rounds=10)
model.fit(X_fit, y_fit, eval_set=[(X_val, y_val)], verbose=False)""", """\
print("AUC", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"""),
         {"heldout": P, "baseline": P}, requires=("xgboost",), clean=True),
]
