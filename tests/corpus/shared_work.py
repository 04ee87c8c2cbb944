"""A batch for the shared-work comparison: eight churn notebooks written independently (each its own approach
and style, as different candidates write them), and near-copies made from one of them by renaming variables
and reordering cells. Not a `cases_*` module: these are not check cases."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from corpus import notebook

EXERCISE = Path(__file__).parents[2] / "exercises" / "churn"
LOAD = 'import pandas as pd\ntrain = pd.read_csv("data/train.csv")\ntest = pd.read_csv("data/test.csv")'

WRITTEN = {
    "gradient_boosting_pipeline": notebook(
        "#md # Churn: gradient boosting",
        LOAD + "\nimport numpy as np\nSEED = 0",
        "target = 'churned'\nleaky = ['cancellation_reason']\nidcol = 'customer_id'\n"
        "cols = [c for c in train.columns if c not in leaky + [target, idcol, 'signup_date']]\n"
        "cats = train[cols].select_dtypes(exclude='number').columns.tolist()\nnums = [c for c in cols if c not in cats]",
        "from sklearn.compose import make_column_transformer\nfrom sklearn.preprocessing import OrdinalEncoder\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier\nfrom sklearn.pipeline import make_pipeline\n"
        "enc = make_column_transformer((OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1), cats),"
        " remainder='passthrough')\n"
        "gbm = make_pipeline(enc, HistGradientBoostingClassifier(max_depth=4, random_state=SEED))",
        "from sklearn.model_selection import cross_val_score, StratifiedKFold\n"
        "cv = StratifiedKFold(5, shuffle=True, random_state=SEED)\n"
        "aucs = cross_val_score(gbm, train[cols], train[target], cv=cv, scoring='roc_auc')\n"
        "print('cv auc %.3f +- %.3f' % (aucs.mean(), aucs.std()))",
        "gbm.fit(train[cols], train[target])\n"
        "out = test[[idcol]].assign(churn_probability=gbm.predict_proba(test[cols])[:, 1])\n"
        "out.to_csv('predictions.csv', index=False)",
        "#md ## Next steps\nCalibrate by contract type; validate forward in time on an older snapshot."),
    "hand_rolled_logistic": notebook(
        "#md # Logistic regression written with numpy",
        "import numpy as np, pandas as pd\ndf = pd.read_csv('data/train.csv')\nnew = pd.read_csv('data/test.csv')",
        "use = ['tenure_months', 'monthly_charges', 'support_tickets_90d', 'last_login_days_ago']\n"
        "def design(frame, mu=None, sd=None):\n    m = frame[use].astype(float).fillna(0).values\n"
        "    mu = m.mean(0) if mu is None else mu\n    sd = m.std(0) + 1e-9 if sd is None else sd\n"
        "    return np.c_[np.ones(len(m)), (m - mu) / sd], mu, sd",
        "rng = np.random.default_rng(1)\nmask = rng.random(len(df)) < 0.8\n"
        "A, mu, sd = design(df[mask])\nb = df.churned.values[mask]\nw = np.zeros(A.shape[1])\n"
        "for step in range(300):\n    p = 1 / (1 + np.exp(-A @ w))\n    w -= 0.1 * A.T @ (p - b) / len(b)",
        "V, _, _ = design(df[~mask], mu, sd)\nscore = 1 / (1 + np.exp(-V @ w))\n"
        "from sklearn.metrics import roc_auc_score\nprint(roc_auc_score(df.churned.values[~mask], score))\n"
        "print('always the rate:', roc_auc_score(df.churned.values[~mask], np.full((~mask).sum(), b.mean())))",
        "T, _, _ = design(new, mu, sd)\n"
        "pd.DataFrame({'customer_id': new.customer_id, 'churn_probability': 1 / (1 + np.exp(-T @ w))})"
        ".to_csv('predictions.csv', index=False)"),
    "knn_on_scaled_numbers": notebook(
        "#md ## Nearest neighbours",
        LOAD,
        "numeric = train.select_dtypes('number').drop(columns=['churned'])\nprint(numeric.corrwith(train.churned))",
        "from sklearn.neighbors import KNeighborsClassifier\nfrom sklearn.preprocessing import MinMaxScaler\n"
        "from sklearn.impute import SimpleImputer\nfrom sklearn.pipeline import Pipeline\n"
        "knn = Pipeline([('fill', SimpleImputer(strategy='median')), ('scale', MinMaxScaler()),"
        " ('knn', KNeighborsClassifier(n_neighbors=41, weights='distance'))])",
        "from sklearn.model_selection import GridSearchCV\n"
        "search = GridSearchCV(knn, {'knn__n_neighbors': [21, 81]}, scoring='roc_auc', cv=3)\n"
        "search.fit(numeric, train.churned)\nprint(search.best_params_, round(search.best_score_, 3))",
        "probs = search.predict_proba(test[numeric.columns])[:, 1]\n"
        "test.assign(churn_probability=probs)[['customer_id', 'churn_probability']].to_csv('predictions.csv',"
        " index=False)"),
    "random_forest_with_features": notebook(
        "#md # Random forest and a few engineered features",
        LOAD,
        "def add_features(d):\n    d = d.copy()\n    d['charge_per_month'] = d.total_charges / d.tenure_months.clip(lower=1)\n"
        "    d['is_monthly'] = (d.contract == 'month-to-month').astype(int)\n"
        "    d['quiet'] = d.last_login_days_ago > 30\n    return d\ntrain, test = add_features(train), add_features(test)",
        "feats = ['charge_per_month', 'is_monthly', 'quiet', 'num_add_ons', 'satisfaction_score', 'age']\n"
        "from sklearn.model_selection import train_test_split\n"
        "tr, va = train_test_split(train, test_size=0.3, random_state=7, stratify=train.churned)",
        "from sklearn.ensemble import RandomForestClassifier\nfrom sklearn.metrics import roc_auc_score, log_loss\n"
        "forest = RandomForestClassifier(300, min_samples_leaf=10, random_state=7)\n"
        "forest.fit(tr[feats].fillna(-1), tr.churned)\nva_p = forest.predict_proba(va[feats].fillna(-1))[:, 1]\n"
        "print('auc', roc_auc_score(va.churned, va_p), 'logloss', log_loss(va.churned, va_p))\n"
        "print('base logloss', log_loss(va.churned, [tr.churned.mean()] * len(va)))",
        "forest.fit(train[feats].fillna(-1), train.churned)\n"
        "sub = pd.DataFrame({'customer_id': test.customer_id,"
        " 'churn_probability': forest.predict_proba(test[feats].fillna(-1))[:, 1]})\n"
        "sub.to_csv('predictions.csv', index=False)"),
    "naive_bayes_quick": notebook(
        LOAD,
        "from sklearn.naive_bayes import GaussianNB\nfrom sklearn.dummy import DummyClassifier\n"
        "from sklearn.model_selection import cross_validate",
        "X = train[['tenure_months', 'support_tickets_90d', 'avg_weekly_usage_hours']].fillna(train.median("
        "numeric_only=True))\ny = train['churned']",
        "for est in (DummyClassifier(), GaussianNB()):\n"
        "    r = cross_validate(est, X, y, cv=5, scoring=['roc_auc', 'average_precision'])\n"
        "    print(type(est).__name__, r['test_roc_auc'].mean(), r['test_average_precision'].mean())",
        "nb_model = GaussianNB().fit(X, y)\n"
        "Xt = test[X.columns].fillna(train.median(numeric_only=True))\n"
        "pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': nb_model.predict_proba(Xt)[:, 1]})"
        ".to_csv('predictions.csv', index=False)",
        "#md ## Next steps\nTry a model that uses the plan and contract columns; look at survey non-response."),
    "tree_rules_explained": notebook(
        "#md # An interpretable tree",
        LOAD,
        "import matplotlib.pyplot as plt\ntrain.groupby('contract').churned.mean().plot.bar()\nplt.show()",
        "cat_cols = ['region', 'plan', 'contract', 'payment_method', 'autopay']\n"
        "onehot = pd.get_dummies(pd.concat([train, test])[cat_cols], dtype=int)\n"
        "numbers = ['tenure_months', 'monthly_charges', 'num_add_ons', 'support_tickets_90d']\n"
        "full = pd.concat([onehot, pd.concat([train, test])[numbers].reset_index(drop=True)"
        ".set_axis(onehot.index)], axis=1)\ntrain_rows, test_rows = full.iloc[:len(train)], full.iloc[len(train):]",
        "from sklearn.tree import DecisionTreeClassifier, export_text\nfrom sklearn.model_selection import KFold\n"
        "from sklearn.metrics import roc_auc_score\nfolds = []\n"
        "for a, b in KFold(4, shuffle=True, random_state=3).split(train_rows):\n"
        "    t = DecisionTreeClassifier(max_depth=5, min_samples_leaf=30).fit(train_rows.iloc[a], train.churned.iloc[a])\n"
        "    folds.append(roc_auc_score(train.churned.iloc[b], t.predict_proba(train_rows.iloc[b])[:, 1]))\n"
        "print(folds)",
        "tree = DecisionTreeClassifier(max_depth=5, min_samples_leaf=30).fit(train_rows, train.churned)\n"
        "print(export_text(tree, feature_names=list(train_rows.columns)))\n"
        "pd.DataFrame({'customer_id': test.customer_id.values, 'churn_probability': tree.predict_proba(test_rows)[:, 1]})"
        ".to_csv('predictions.csv', index=False)"),
}


def starter() -> nbformat.NotebookNode:
    return nbformat.read(str(EXERCISE / "starter.ipynb"), as_version=4)


def starter_filled_in() -> nbformat.NotebookNode:
    """The starter kept as given (its loading and predictions cells untouched), a few lines written in its gaps."""
    filled = starter()
    gaps = {"# your baseline": "rate = train['churned'].mean()\nprint('churn rate', rate)",
            "# your evaluation": "# no held-out split: time ran out",
            "# your model": "print(train.groupby('plan')['churned'].mean())"}
    for cell in filled.cells:
        if cell.cell_type == "code" and cell.source in gaps:
            cell.source = gaps[cell.source]
    return filled


def independent_notebooks() -> dict[str, nbformat.NotebookNode]:
    """Eight notebooks by different hands: the example submission, the six above and a barely filled starter."""
    return {"example": nbformat.read(str(EXERCISE / "example_submission" / "notebook.ipynb"), as_version=4),
            **{name: copy.deepcopy(nb) for name, nb in WRITTEN.items()}, "starter_filled_in": starter_filled_in()}


def reference() -> nbformat.NotebookNode:
    return nbformat.read(str(EXERCISE / "reference_solution.ipynb"), as_version=4)


def near_copy(original: nbformat.NotebookNode, *, renames: dict[str, str], order: list[int]) -> nbformat.NotebookNode:
    """The same work disguised: every name in `renames` replaced (whole words) and cells put in `order`."""
    copied = copy.deepcopy(original)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")
    for cell in copied.cells:
        if cell.cell_type == "code":
            cell.source = pattern.sub(lambda m: renames[m.group(1)], cell.source)
    copied.cells = [copied.cells[i] for i in order]
    return copied


def disguised_reference() -> nbformat.NotebookNode:
    """The reference solution with its variables renamed, its exploration cells shuffled and its preprocessing
    cell moved ahead of the split."""
    original = reference()
    renames = {"models": "candidates", "model": "estimator", "X_fit": "X_tr", "y_fit": "y_tr", "X_holdout": "X_va",
               "y_holdout": "y_va", "DROP": "NOT_FEATURES", "clean": "deduped",
               "baseline": "reference_point", "final": "chosen", "proba": "p", "categorical": "cat_cols",
               "numeric": "num_cols", "frame": "df"}
    order = [0, 1, 2, 6, 7, 4, 5, 3, 8, 10, 9, 11, 12, 13, 14, 15, 16, 17]  # still runs top to bottom
    return near_copy(original, renames=renames, order=order)
