"""Source of the churn exercise's notebooks; the committed .ipynb files are built from it.

    python -m takehome_harness.exercises.churn.notebooks      # rewrite starter.ipynb, reference_solution.ipynb,
                                                              # example_submission/notebook.ipynb

A test checks the committed files match this module, so edit here, not in Jupyter.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from takehome_harness.exercises._notebooks import LOAD_DATA, STARTER_NEXT_STEPS, notebook, render, write_all
from takehome_harness.exercises._notebooks import starter as starter_notebook

HERE = Path(__file__).resolve().parent


def starter() -> nbformat.NotebookNode:
    return starter_notebook(title="Which subscribers will churn next quarter?", rows="customer",
                            columns="`customer_id`, `churn_probability` (between 0 and 1)",
                            placeholder=("predictions = pd.DataFrame({\n"
                                         "    \"customer_id\": test[\"customer_id\"],\n"
                                         "    \"churn_probability\": train[\"churned\"].mean(),\n"
                                         "})"))


def reference_solution() -> nbformat.NotebookNode:
    return notebook([
        ("md", "# Churn next quarter: reference solution\n\n"
               "An honest, compact solution: look for traps first, compare a trivial baseline and two models "
               "on the same held-out split, then train on everything and predict."),
        ("code", LOAD_DATA + "\n\nRANDOM_STATE = 0"),
        ("md", "## Exploration"),
        ("code", "print(f\"churn rate: {train['churned'].mean():.3f}\")\n"
                 "print(f\"exact duplicate rows: {train.duplicated().sum()}\")\n"
                 "train.isna().mean().round(3).sort_values(ascending=False).head(6)"),
        ("md", "`cancellation_reason` is almost always filled for churners and never for the test customers: "
               "it is written *after* a customer leaves, so it is a target leak and must not be a feature."),
        ("code", "print(pd.crosstab(train['cancellation_reason'].notna(), train['churned'], normalize='columns'))\n"
                 "print('filled in test:', test['cancellation_reason'].notna().mean())"),
        ("md", "The test snapshot is six months later: customers signed up more recently, on more "
               "month-to-month contracts, and the Standard/Premium prices rose. Worth knowing when reading "
               "validation scores."),
        ("code", "for frame, name in [(train, 'train'), (test, 'test')]:\n"
                 "    print(name, pd.to_datetime(frame['signup_date']).median().date(),\n"
                 "          round((frame['contract'] == 'month-to-month').mean(), 3),\n"
                 "          frame.groupby('plan')['monthly_charges'].median().round(2).to_dict())"),
        ("md", "## Evaluation set-up\n\n"
               "Drop the duplicates, the id, the leak and the raw sign-up date (tenure carries the same "
               "information without extrapolating to dates never seen in training). "
               "Hold out 25 % of customers, stratified on the target."),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 "DROP = ['customer_id', 'churned', 'cancellation_reason', 'signup_date']\n"
                 "clean = train.drop_duplicates()\n"
                 "X, y = clean.drop(columns=DROP), clean['churned']\n"
                 "X_fit, X_holdout, y_fit, y_holdout = train_test_split(\n"
                 "    X, y, test_size=0.25, stratify=y, random_state=RANDOM_STATE)\n"
                 "categorical = X.select_dtypes(exclude='number').columns.tolist()\n"
                 "numeric = X.select_dtypes(include='number').columns.tolist()\n"
                 "print(len(X_fit), len(X_holdout), categorical)"),
        ("code", "from sklearn.compose import ColumnTransformer\n"
                 "from sklearn.impute import SimpleImputer\n"
                 "from sklearn.pipeline import make_pipeline\n"
                 "from sklearn.preprocessing import OneHotEncoder, StandardScaler\n\n\n"
                 "def preprocessing():\n"
                 "    # fitted inside each pipeline, so the held-out rows never inform imputation or encoding\n"
                 "    return ColumnTransformer([\n"
                 "        ('num', make_pipeline(SimpleImputer(strategy='median', add_indicator=True),\n"
                 "                              StandardScaler()), numeric),\n"
                 "        ('cat', make_pipeline(SimpleImputer(strategy='most_frequent'),\n"
                 "                              OneHotEncoder(handle_unknown='ignore')), categorical),\n"
                 "    ])"),
        ("md", "## Baseline"),
        ("code", "from sklearn.dummy import DummyClassifier\n"
                 "from sklearn.metrics import average_precision_score, roc_auc_score\n\n"
                 "baseline = make_pipeline(preprocessing(), DummyClassifier(strategy='prior'))\n"
                 "baseline.fit(X_fit, y_fit)\n"
                 "baseline_auc = roc_auc_score(y_holdout, baseline.predict_proba(X_holdout)[:, 1])\n"
                 "print(f'baseline held-out ROC AUC: {baseline_auc:.3f}')"),
        ("md", "## Model\n\nA linear model and gradient boosting, same split, same metric."),
        ("code", "from sklearn.ensemble import HistGradientBoostingClassifier\n"
                 "from sklearn.linear_model import LogisticRegression\n\n"
                 "models = {\n"
                 "    'logistic regression': make_pipeline(preprocessing(), LogisticRegression(max_iter=1000)),\n"
                 "    'gradient boosting': make_pipeline(preprocessing(), HistGradientBoostingClassifier(\n"
                 "        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,\n"
                 "        random_state=RANDOM_STATE)),\n"
                 "}\n"
                 "for name, model in models.items():\n"
                 "    model.fit(X_fit, y_fit)\n"
                 "    proba = model.predict_proba(X_holdout)[:, 1]\n"
                 "    print(f'{name}: held-out ROC AUC {roc_auc_score(y_holdout, proba):.3f}, '\n"
                 "          f'average precision {average_precision_score(y_holdout, proba):.3f}')"),
        ("md", "## Predictions\n\nRefit the chosen model (gradient boosting) on all cleaned training rows."),
        ("code", "final = models['gradient boosting'].fit(X, y)\n"
                 "predictions = pd.DataFrame({\n"
                 "    'customer_id': test['customer_id'],\n"
                 "    'churn_probability': final.predict_proba(test.drop(columns=DROP, errors='ignore'))[:, 1],\n"
                 "})\n"
                 "predictions.to_csv('predictions.csv', index=False)\n"
                 "predictions.describe()"),
        ("md", "## Next steps\n\n"
               "- **Expect a lower score on the test period.** The held-out split is a random slice of the "
               "January snapshot, but the test customers are newer, more often month-to-month and pay more "
               "after the price rise. I would ask for an older snapshot to validate *forward in time* and "
               "check calibration by contract type.\n"
               "- **Confirm the leak with the data owners.** `cancellation_reason` is filled after the fact; "
               "I would also ask whether `last_login_days_ago` or the survey can be updated after a "
               "cancellation request.\n"
               "- **Missing values are informative.** Usage is missing mostly for Basic customers and age for "
               "PayPal sign-ups; I kept missing-value indicators, and would check if the pattern holds in "
               "production.\n"
               "- **Outliers.** A handful of monthly charges are ten times the plan price (billing errors?); "
               "trees are robust to them, but they should be fixed upstream.\n"
               "- **Business use.** The retention team calls a fixed number of customers: I would report "
               "precision in the top k and the expected saved revenue rather than AUC alone, and tune the "
               "model on that."),
    ])


def example_submission() -> nbformat.NotebookNode:
    """A plausible candidate: decent and honest, with a mild concern (imputation fitted before the split)."""
    return notebook([
        ("md", "# Churn prediction"),
        ("code", LOAD_DATA),
        ("md", "## Exploration"),
        ("code", "print(train['churned'].value_counts(normalize=True))\n"
                 "train.describe()"),
        ("code", "train.isna().sum()"),
        ("md", "Some missing values. `cancellation_reason` looks like it is only filled when someone has "
               "already left, so I drop it. I also drop the id and the date."),
        ("md", "## Baseline"),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 "features = train.drop(columns=['customer_id', 'signup_date', 'cancellation_reason', 'churned'])\n"
                 "X = pd.get_dummies(features)\n"
                 "X = X.fillna(X.median())\n"
                 "y = train['churned']\n"
                 "X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=42)"),
        ("code", "from sklearn.dummy import DummyClassifier\n"
                 "from sklearn.metrics import roc_auc_score\n\n"
                 "dummy = DummyClassifier(strategy='most_frequent').fit(X_train, y_train)\n"
                 "print('baseline AUC', roc_auc_score(y_val, dummy.predict_proba(X_val)[:, 1]))"),
        ("md", "## Model"),
        ("code", "from sklearn.ensemble import RandomForestClassifier\n\n"
                 "rf = RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=42, n_jobs=1)\n"
                 "rf.fit(X_train, y_train)\n"
                 "print('random forest AUC', roc_auc_score(y_val, rf.predict_proba(X_val)[:, 1]))"),
        ("code", "importances = pd.Series(rf.feature_importances_, index=X.columns).sort_values(ascending=False)\n"
                 "importances.head(10)"),
        ("md", "## Predictions"),
        ("code", "X_test = pd.get_dummies(test.drop(columns=['customer_id', 'signup_date', 'cancellation_reason']))\n"
                 "X_test = X_test.reindex(columns=X.columns, fill_value=0).fillna(X.median())\n"
                 "rf.fit(X, y)\n"
                 "pd.DataFrame({'customer_id': test['customer_id'],\n"
                 "              'churn_probability': rf.predict_proba(X_test)[:, 1]}).to_csv('predictions.csv',\n"
                 "                                                                           index=False)"),
        ("md", "## Next steps\n\n"
               "- Try gradient boosting and tune hyperparameters with cross-validation.\n"
               "- The classes are imbalanced (about 15 % churn); look at precision/recall, not only AUC.\n"
               "- Look at the customers with very high monthly charges, they may be data errors."),
    ])


NOTEBOOKS = {
    "starter.ipynb": starter,
    "reference_solution.ipynb": reference_solution,
    "example_submission/notebook.ipynb": example_submission,
}


def main() -> None:
    write_all(HERE, NOTEBOOKS)


if __name__ == "__main__":
    main()
