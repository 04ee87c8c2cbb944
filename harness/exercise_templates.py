"""The files `harness exercise new` writes for a team's own data: instructions, starter, reference solution.

The reference solution is the same pipeline as datasets.own_data.reference_pipeline (written out as code,
because the notebook runs in the sandbox without the harness), validated the way the test set was split.
"""
from __future__ import annotations

from typing import Any

from exercises._notebooks import LOAD_DATA, notebook, render
from exercises._notebooks import starter as starter_notebook

INSTRUCTIONS = """\
# Take-home: {title}

Hi {{{{ candidate }}}}, thanks for taking the time. This exercise should take about **{{{{ time_box_hours }}}} hours**.
Please stop there, even if you are not done: tell us in "Next steps" what you would do with more time.
We value clear reasoning and honest evaluation far more than a leaderboard score.

## Business context

_To fill in by the hiring team: who uses the prediction, for what decision, and what a good one is worth._

`data/train.csv` holds the rows with their `{target}`; `data/test.csv` holds {test_rows} without it. Your
predictions for them are scored against what actually happened, with {metric}.

## Data dictionary

_Check the inferred types and fill in the meaning of each column._

{{% raw %}}
{dictionary}
{{% endraw %}}

The data come from production systems and have not been cleaned for you.

## What to deliver

Work in `notebook.ipynb` (a starter with sections is provided). We will re-run it from top to
bottom in a clean environment with the packages in `requirements.txt`, with `data/` next to it and
**no network access**, within a time limit of {{{{ (exercise.sandbox.total_seconds / 60) | round | int }}}} minutes. So:

1. Explore the data and note anything that matters for modelling.
2. Build a simple **baseline** first, then a better model.
3. **Evaluate** both on data the model did not see during training, and report the metric you trust.
4. Write `predictions.csv` from the notebook: columns `{columns}`, one row per row of `data/test.csv`{range}.
5. Fill in the **Next steps** section: what you would check, try or ask the business next, and
   any concerns about the data or your evaluation. A few honest paragraphs are worth more than polish.

Keep the notebook self-contained (no internet downloads, no absolute paths; read `data/train.csv`
and `data/test.csv` relative to the notebook). Set random seeds so a re-run gives the same answer.

## How to submit

From this folder, run `python make_submission.py`. It checks `notebook.ipynb` and `predictions.csv` and
writes `submission.zip` (never the `data/` folder). Please do not edit `bundle.json`. Send `submission.zip`
back to your recruiting contact. Good luck, and enjoy it!
"""


def _facts(spec: dict[str, Any]) -> dict[str, Any]:
    split = spec["data"]["split"]
    return {"id": spec["id_column"], "target": spec["target_column"], "prediction": spec["predictions"]["prediction_column"],
            "binary": spec["task_type"] == "binary_classification", "time": spec["traps"]["time_column"],
            "positive": split.get("positive_label")}


def instructions(spec: dict[str, Any], dictionary: str) -> str:
    facts = _facts(spec)
    metric = ("ROC AUC on the probability that the target is 1 (higher is better)" if facts["binary"]
              else "mean absolute error (lower is better)")
    test_rows = "later rows" if facts["time"] else "other rows"
    return INSTRUCTIONS.format(title=spec["title"], target=facts["target"], test_rows=test_rows, metric=metric,
                               dictionary=dictionary, columns=",".join(spec["predictions"]["columns"]),
                               range=", probabilities between 0 and 1" if facts["binary"] else "")


def starter(spec: dict[str, Any]) -> str:
    facts = _facts(spec)
    return render(starter_notebook(
        title=spec["title"], rows="row", columns=", ".join(f"`{c}`" for c in spec["predictions"]["columns"]),
        placeholder=(f"predictions = pd.DataFrame({{\n    {facts['id']!r}: test[{facts['id']!r}],\n"
                     f"    {facts['prediction']!r}: train[{facts['target']!r}].mean(),\n}})")))


def reference_solution(spec: dict[str, Any]) -> str:
    facts = _facts(spec)
    binary, time = facts["binary"], facts["time"]
    split = ("X_fit, X_holdout, y_fit, y_holdout = train_test_split(X, y, test_size=0.2, shuffle=False)"
             if time else
             "X_fit, X_holdout, y_fit, y_holdout = train_test_split(\n"
             f"    X, y, test_size=0.2, random_state=0{', stratify=y' if binary else ''})")
    model = "HistGradientBoostingClassifier" if binary else "HistGradientBoostingRegressor"
    dummy = "DummyClassifier(strategy='prior')" if binary else "DummyRegressor(strategy='median')"
    metric = "roc_auc_score" if binary else "mean_absolute_error"
    predict = "predict_proba({X})[:, 1]" if binary else "predict({X})"
    drop = [facts["id"], facts["target"], *([time] if time else [])]
    return render(notebook([
        ("md", f"# {spec['title']}: reference solution\n\n"
               "Generated by `harness exercise new`: a plain, honest baseline-and-model solution that shows the "
               "exercise can be solved and graded. Replace it with your own if you like."),
        ("code", LOAD_DATA),
        ("md", "## Exploration"),
        ("code", "print(train.dtypes)\ntrain.isna().mean().round(3).sort_values(ascending=False).head(10)"),
        ("md", "## Evaluation set-up\n\n" + ("The test rows are a later period, so the last 20 % of the training "
                                            "rows (in time order) are held out." if time else
                                            "A random 20 % of the training rows is held out.")),
        ("code", "from sklearn.model_selection import train_test_split\n\n"
                 f"DROP = {drop!r}\n"
                 f"X, y = train.drop(columns=DROP), train[{facts['target']!r}]\n"
                 + split + "\n"
                 "numeric = X.select_dtypes(include='number').columns.tolist()\n"
                 "text = [c for c in X.columns if c not in numeric]"),
        ("code", "from sklearn.compose import ColumnTransformer\n"
                 "from sklearn.impute import SimpleImputer\n"
                 "from sklearn.pipeline import make_pipeline\n"
                 "from sklearn.preprocessing import OneHotEncoder\n\n\n"
                 "def preprocessing():\n"
                 "    # fitted inside each pipeline, so held-out rows never inform imputation or encoding\n"
                 "    return ColumnTransformer([\n"
                 "        ('num', SimpleImputer(strategy='median', add_indicator=True), numeric),\n"
                 "        ('cat', make_pipeline(SimpleImputer(strategy='constant', fill_value='missing'),\n"
                 "                              OneHotEncoder(handle_unknown='ignore', max_categories=20,\n"
                 "                                            sparse_output=False)), text),\n"
                 "    ])"),
        ("md", "## Baseline"),
        ("code", f"from sklearn.dummy import {dummy.split('(')[0]}\n"
                 f"from sklearn.metrics import {metric}\n\n"
                 f"baseline = make_pipeline(preprocessing(), {dummy}).fit(X_fit, y_fit)\n"
                 f"print('baseline held-out {metric}:', {metric}(y_holdout, baseline.{predict.format(X='X_holdout')}))"),
        ("md", "## Model"),
        ("code", f"from sklearn.ensemble import {model}\n\n"
                 f"model = make_pipeline(preprocessing(), {model}(max_iter=200, learning_rate=0.05, random_state=0))\n"
                 "model.fit(X_fit, y_fit)\n"
                 f"print('model held-out {metric}:', {metric}(y_holdout, model.{predict.format(X='X_holdout')}))"),
        ("md", "## Predictions\n\nRefit on every training row and predict the test rows."),
        ("code", "model.fit(X, y)\n"
                 f"predictions = pd.DataFrame({{{facts['id']!r}: test[{facts['id']!r}],\n"
                 f"                            {facts['prediction']!r}: model.{predict.format(X='test[X.columns]')}}})\n"
                 + ("" if binary else f"predictions[{facts['prediction']!r}] = predictions[{facts['prediction']!r}]"
                                      ".clip(lower=train[" + repr(facts['target']) + "].min())\n")
                 + "predictions.to_csv('predictions.csv', index=False)"),
        ("md", "## Next steps\n\n"
               "- **Validation.** One hold-out split is a single draw; repeated or time-ordered validation would "
               "show how stable the score is, and whether the test period differs from training.\n"
               "- **Features.** The columns went in as they are; talking to the people who fill them would show "
               "which ones are known at prediction time and which are written afterwards (a leak).\n"
               "- **Errors that matter.** I would ask the business which mistakes cost most and report the "
               "metric for that decision, not only the overall score.\n"
               "- **Data quality.** Missing values were imputed with indicators; I would check why they are "
               "missing and whether that will hold in production."),
    ]))
