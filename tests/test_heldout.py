"""The held-out / leakage check on hand-made traces and on code alone."""
from __future__ import annotations

from pathlib import Path

import pytest
from nbformat import v4

from takehome_harness.graders import heldout
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.exercise import load_exercise
from forecasting import forecasting_exercise
from trace_events import fit, metric, predict, rows


def _ctx(trace, *cells, exercise=True):
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells] or [v4.new_code_cell("pass")])
    return GradingContext(submitted_notebook=nb, executed_notebook=None, run=None, trace=trace,
                          submission_dir=Path("."), predictions_path=None,
                          exercise=load_exercise("churn") if exercise else None)


def test_train_score_next_to_test_score_passes():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80)),
             predict(2, "e1", "LogisticRegression", rows(0, 80)), metric(3, 2, 0.95),
             predict(4, "e1", "LogisticRegression", rows(80, 100)), metric(5, 4, 0.71)]
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.PASS and finding.evidence[0].source == "trace"


def test_only_a_training_set_score_fails_with_evidence():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 100)),
             predict(2, "e1", "LogisticRegression", rows(0, 100)), metric(3, 2, 0.95, cell=1)]
    finding = heldout.run(_ctx(trace, "model.fit(X, y)", "roc_auc_score(y, model.predict_proba(X)[:, 1])"))
    assert finding.status is Status.FAIL and finding.question
    assert finding.evidence[0].data["overlap"] == 1.0 and finding.evidence[0].lines


def test_unsupervised_transformer_before_split_is_a_concern_supervised_a_fail():
    for cls, has_y, expected in [("StandardScaler", False, Status.CONCERN), ("SelectKBest", True, Status.FAIL)]:
        trace = [fit(1, "t1", cls, rows(0, 100), kind="transformer", has_y=has_y),
                 fit(2, "e1", "LogisticRegression", rows(0, 80, via=["t1"])),
                 predict(3, "e1", "LogisticRegression", rows(80, 100, via=["t1"])), metric(4, 3, 0.7)]
        assert heldout.run(_ctx(trace)).status is expected, cls


def test_transformer_fitted_on_the_unlabeled_test_rows_is_fine():
    trace = [fit(1, "t1", "StandardScaler", rows(500, 600), kind="transformer", has_y=False),
             fit(2, "e1", "LogisticRegression", rows(0, 80, via=["t1"])),
             predict(3, "e1", "LogisticRegression", rows(80, 100, via=["t1"])), metric(4, 3, 0.7)]
    assert heldout.run(_ctx(trace)).status is Status.PASS


def test_leak_column_in_the_final_model_fails():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80), columns=["age", "cancellation_reason"]),
             predict(2, "e1", "LogisticRegression", rows(80, 100)), metric(3, 2, 0.99)]
    assert heldout.run(_ctx(trace)).status is Status.FAIL
    assert heldout.run(_ctx(trace, exercise=False)).status is Status.PASS  # generic mode: no known leak


def test_static_fallback_is_never_a_fail():
    code = ["from sklearn.preprocessing import StandardScaler\nX = StandardScaler().fit_transform(X)",
            "X_tr, X_te, y_tr, y_te = train_test_split(X, y)"]
    finding = heldout.run(_ctx([], *code))
    assert finding.status is Status.CONCERN and finding.evidence[0].source == "static"
    clean = heldout.run(_ctx([], "X_tr, X_te, y_tr, y_te = train_test_split(X, y)", "roc_auc_score(y_te, p)"))
    assert clean.status is Status.COULD_NOT_CHECK and "could not be verified" in clean.explanation


SPLIT = "X_tr, X_te, y_tr, y_te = train_test_split(X, y)"
WHOLE_FRAME_FILLS = {
    "median fill": ["X = X.fillna(X.median())", SPLIT],
    "in place": ["X.fillna(X.median(), inplace=True)", SPLIT],
    "z-score of a column": ["df['x'] = (df['x'] - df['x'].mean()) / df['x'].std()", "X = df[F]", SPLIT],
    "loop over columns": ["for c in NUM:\n    df[c] = df[c].fillna(df[c].median())", "X = df[NUM]", SPLIT],
    "statistic kept in a name": ["med = X.median()\nX = X.fillna(med)", SPLIT],
    "mode": ["df['c'] = df['c'].fillna(df['c'].mode()[0])", "X = df.drop(columns='t')", SPLIT],
    "min-max": ["X = (X - X.min()) / (X.max() - X.min())", SPLIT],
    "then cross-validation": ["X = X.fillna(X.mean())", "print(cross_val_score(m, X, y, cv=5))"],
    "then a splitter": ["X = X.fillna(X.mean())", "for tr, te in kf.split(X, y):\n    pass"],
}
NOT_WHOLE_FRAME_FILLS = {
    "statistics of the training part": [SPLIT, "X_tr = X_tr.fillna(X_tr.median())\nX_te = X_te.fillna(X_tr.median())"],
    "training medians kept in a name": [SPLIT, "med = X_tr.median()\nX_tr, X_te = X_tr.fillna(med), X_te.fillna(med)"],
    "constant fill": ["X = X.fillna(0)", SPLIT],
    "test.csv filled with training statistics": ["test = test.fillna(train.median())", SPLIT],
    "test.csv filled with its own statistics": ["X_test = X_test.fillna(X_test.median())", SPLIT],
    "one-hot encoding": ["X = pd.get_dummies(X)", SPLIT],
    "no split": ["X = X.fillna(X.median())", "model.fit(X, y)"],
    "filled frame replaced": ["X = X.fillna(X.median())", "X = raw[F].fillna(0)", SPLIT],
    "statistic only printed": ["print(X.mean())\nX = X.fillna(0)", SPLIT],
    "ratio of two columns": ["df['r'] = df['a'] / df['b']", "X = df", SPLIT],
    "filled after the split": [SPLIT, "X = X.fillna(X.median())"],
    "only its columns reach the split": ["cols = X.fillna(X.median()).columns", "train_test_split(raw[cols], y)"],
}


@pytest.mark.parametrize("cells", WHOLE_FRAME_FILLS.values(), ids=WHOLE_FRAME_FILLS.keys())
def test_whole_frame_statistics_before_the_split_is_a_static_concern(cells):
    finding = heldout.run(_ctx([], *cells))
    assert finding.status is Status.CONCERN, finding.explanation
    assert "usually small" in finding.explanation and "before the split" in finding.question
    sources = {e.source for e in finding.evidence}
    assert sources == {"static"} and [e.summary for e in finding.evidence][-1].startswith("the split")


@pytest.mark.parametrize("cells", NOT_WHOLE_FRAME_FILLS.values(), ids=NOT_WHOLE_FRAME_FILLS.keys())
def test_no_whole_frame_statistics_concern(cells):
    finding = heldout.run(_ctx([], *cells))
    assert "whole frame" not in finding.explanation
    assert not [i for i in finding.details["issues"] if "whole frame" in i["sentence"]]


def test_whole_frame_statistics_concern_joins_a_passing_trace_but_never_fails():
    clean = [fit(1, "e1", "LogisticRegression", rows(0, 80)),
             predict(2, "e1", "LogisticRegression", rows(80, 100)), metric(3, 2, 0.71)]
    finding = heldout.run(_ctx(clean, "X = X.fillna(X.median())", SPLIT))
    assert finding.status is Status.CONCERN and "median of the whole frame X" in finding.explanation
    training_only = [fit(1, "e1", "LogisticRegression", rows(0, 100)),
                     predict(2, "e1", "LogisticRegression", rows(0, 100)), metric(3, 2, 0.95)]
    worst = heldout.run(_ctx(training_only, "X = X.fillna(X.median())", SPLIT))
    assert worst.status is Status.FAIL and "trained on" in worst.explanation  # the FAIL is the trace's, not ours


def test_whole_frame_statistics_ignored_when_the_traced_split_fed_no_score():
    split = {"ev": "split", "id": 1, "depth": 0, "cell": 1, "line": 1,
             "outputs": [{"part": 0, "rows": rows(0, 80)}, {"part": 1, "rows": rows(80, 100)}]}
    elsewhere = [split, fit(2, "e1", "LogisticRegression", rows(200, 280)),
                 predict(3, "e1", "LogisticRegression", rows(280, 300)), metric(4, 3, 0.7)]
    assert heldout.run(_ctx(elsewhere, "X = X.fillna(X.median())", SPLIT)).status is Status.PASS
    from_it = [split, fit(2, "e1", "LogisticRegression", rows(0, 80)),
               predict(3, "e1", "LogisticRegression", rows(80, 100)), metric(4, 3, 0.7)]
    assert heldout.run(_ctx(from_it, "X = X.fillna(X.median())", SPLIT)).status is Status.CONCERN


def test_example_submission_median_fill_before_split_is_a_concern():
    import nbformat

    path = Path(__file__).parents[1] / "exercises" / "churn" / "example_submission" / "notebook.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    finding = heldout.run(GradingContext(submitted_notebook=nb, executed_notebook=None, run=None, trace=[],
                                         submission_dir=path.parent, predictions_path=None,
                                         exercise=load_exercise("churn")))
    assert finding.status is Status.CONCERN
    assert finding.evidence[0].lines == "X = X.fillna(X.median())" and finding.evidence[0].source == "static"
    assert "not confirmed by a run" in finding.explanation  # nothing ran here


def test_sub_checks_say_what_ran_and_what_did_not_apply():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80)),
             predict(2, "e1", "LogisticRegression", rows(80, 100)), metric(3, 2, 0.71)]
    churn = heldout.run(_ctx(trace))
    assert churn.status is Status.PASS
    subs = churn.details["sub_checks"]
    assert subs["time_order"] == "not applicable: not a forecasting exercise (binary_classification)"
    assert subs["training_set_evaluation"].startswith("checked from the run")
    assert subs["pandas_statistics_before_split"].startswith("checked from the code")
    generic = heldout.run(_ctx(trace, exercise=False)).details["sub_checks"]
    assert generic["leak_column"].startswith("not applicable") and generic["time_order"].startswith("not applicable")
    static = heldout.run(_ctx([], SPLIT)).details["sub_checks"]
    assert static["selection_on_reported_rows"].startswith("not checked")
    ctx = _ctx(trace)
    ctx.exercise = forecasting_exercise()
    forecasting = heldout.run(ctx)  # no time column anywhere in the trace: never an accusation
    assert forecasting.status is Status.PASS
    assert forecasting.details["sub_checks"]["time_order"].startswith("could not check")
    assert "Time order could not be checked (" in forecasting.explanation
    ctx.exercise = forecasting_exercise(time_column=None)
    assert heldout.run(ctx).details["sub_checks"]["time_order"] == "not applicable: the exercise names no time column"


def test_synthetic_rows_among_the_reported_scores_rows_fail():
    scored = {**rows(80, 100), "synthetic": 6}
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", scored),
             metric(3, 2, 0.9)]
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.FAIL
    assert "6 of the 20 rows" in finding.explanation and "oversampler" in finding.explanation


def test_many_exact_copies_of_fitting_rows_without_resampling_code_are_a_concern():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", rows(60, 100)),
             metric(3, 2, 0.9)]
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.CONCERN and "50% of the rows" in finding.explanation


def test_a_few_duplicate_records_across_the_split_still_pass():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", rows(78, 118)),
             metric(3, 2, 0.9)]
    assert heldout.run(_ctx(trace)).status is Status.PASS


def test_score_against_the_labels_the_model_was_fitted_with_is_a_training_score():
    """Few distinct rows: overlaps say nothing, the label vector does."""
    few = {"n": 80, "mod": 1, "uniq": 4, "h": [1, 2, 3, 4]}
    trace = [fit(1, "e1", "LogisticRegression", few, y={"n": 80, "hash": "labels-a"}),
             predict(2, "e1", "LogisticRegression", few), metric(3, 2, 0.9, labels="labels-a")]
    assert heldout.run(_ctx(trace)).status is Status.FAIL
    other = [*trace[:2], metric(3, 2, 0.9, labels="labels-b")]
    assert heldout.run(_ctx(other)).status is not Status.FAIL



def _few_values(n: int, distinct: int, *, via: list[str] | None = None) -> dict:
    """n rows holding only `distinct` different rows (counts, ratings, one-hot columns): the same fingerprints
    turn up on both sides of any split."""
    return {**rows(0, distinct, via=via), "n": n, "uniq": distinct}


def _split_then(*events: dict, total: int = 1000) -> list[dict]:
    """A split of `total` rows with few distinct values (id 1, 80/20), then the events, the last one a metric
    scored against the split's test labels."""
    split = {"ev": "split", "id": 1, "depth": 0, "cell": 1, "line": 1,
             "outputs": [{"part": 0, "rows": _few_values(total * 4 // 5, 40)},
                         {"part": 1, "rows": _few_values(total // 5, 40)}]}
    scored = {**events[-1], "y_true": {"n": total // 5, "link": {"split": 1, "part": 1}}}
    return [split, *events[:-1], scored]


@pytest.mark.parametrize("cls, has_y", [("StandardScaler", False), ("SelectKBest", True)])
def test_transformer_fitted_after_the_split_on_few_distinct_rows_is_not_a_leak(cls, has_y):
    trace = _split_then(fit(2, "t1", cls, _few_values(800, 40), kind="transformer", has_y=has_y),
                        fit(3, "e1", "LogisticRegression", _few_values(800, 40, via=["t1"])),
                        predict(4, "e1", "LogisticRegression", _few_values(200, 40, via=["t1"])), metric(5, 4, 0.7))
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.PASS, finding.explanation


def test_supervised_transformer_before_the_split_on_few_distinct_rows_still_fails_by_its_row_count():
    trace = _split_then(fit(2, "t1", "SelectKBest", _few_values(1000, 40), kind="transformer", has_y=True),
                        fit(3, "e1", "LogisticRegression", _few_values(800, 40, via=["t1"])),
                        predict(4, "e1", "LogisticRegression", _few_values(200, 40, via=["t1"])), metric(5, 4, 0.7))
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.FAIL and "SelectKBest was fitted with the target" in finding.explanation


def test_search_and_early_stopping_on_other_rows_with_few_distinct_values_are_not_selection_on_test():
    trace = _split_then(fit(2, "s1", "GridSearchCV", _few_values(600, 40), kind="search"),
                        fit(3, "e1", "XGBClassifier", _few_values(600, 40), early_stopping=True,
                            eval_rows=[_few_values(200, 40)]),
                        predict(4, "e1", "XGBClassifier", _few_values(200, 40)), metric(5, 4, 0.7))
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.PASS, finding.explanation


def test_copies_of_fitting_rows_are_no_concern_when_the_rows_have_few_distinct_values():
    """Two features (age, tenure): 70 % of the test rows equal some training row by value, with no copy made."""
    trace = _split_then(fit(2, "e1", "LogisticRegression", {**rows(0, 400), "n": 800}),
                        predict(3, "e1", "LogisticRegression", {**rows(120, 520), "n": 200}), metric(4, 3, 0.7))
    finding = heldout.run(_ctx(trace))
    assert finding.status is Status.PASS, finding.explanation


LOOP_ON = "for k in K:\n    m = KNN(k).fit(X_tr, y_tr)\n    acc[k] = (m.predict(X_{rows}) == {labels}).mean()"


@pytest.mark.parametrize("labels, later, flagged", [
    ("y_te", "", True),                                        # chosen on the only held-out rows
    ("y_val.values", "roc_auc_score(y_val, p)", True),        # and reported on them
    ("y_val.values", "roc_auc_score(y_te, p)", False),        # chosen on validation rows, reported on others
    ("np.asarray(y_val)", "print((p == y_te).mean())", False),
])
def test_a_loop_choosing_on_held_out_labels_is_a_concern_unless_the_reported_score_uses_other_labels(
        labels, later, flagged):
    rows = "val" if "val" in labels else "te"
    finding = heldout.run(_ctx([], SPLIT, LOOP_ON.format(rows=rows, labels=labels), *([later] if later else [])))
    assert ("The loop in cell 1" in finding.explanation) is flagged, finding.explanation


@pytest.mark.parametrize("cells, flagged", [
    (["m = XGBRegressor()", "m.fit(X_tr, y_tr, early_stopping_rounds=5, eval_set=[(X_te, y_te)])",
      "print(mean_absolute_error(y_te, m.predict(X_te)))"], True),
    (["m = XGBRegressor(early_stopping_rounds=5)", "m.fit(X_tr, y_tr, eval_set=[(X_tr, y_tr), (X_te, y_te)])",
      "print(mean_absolute_error(y_te, m.predict(X_te)))"], True),
    (["m = LGBMClassifier()\nm.fit(X_tr, y_tr, eval_set=[(X_te, y_te)], callbacks=[lgb.early_stopping(10)])",
      "print((m.predict(X_te) == y_te).mean())"], True),
    (["m = XGBRegressor(early_stopping_rounds=5)", "m.fit(X_tr, y_tr, eval_set=[(X_val, y_val)])",
      "print(mean_absolute_error(y_te, m.predict(X_te)))"], False),   # stopped on validation rows
    (["m = XGBRegressor()", "m.fit(X_tr, y_tr, eval_set=[(X_te, y_te)], verbose=False)",
      "print(mean_absolute_error(y_te, m.predict(X_te)))"], False),   # the curve watched, no stopping
])
def test_early_stopping_on_the_rows_of_the_reported_score_is_read_from_the_code(cells, flagged):
    finding = heldout.run(_ctx([], SPLIT, *cells))
    assert ("stops the boosting rounds early" in finding.explanation) is flagged, finding.explanation
    if flagged:
        assert finding.status is Status.CONCERN and finding.evidence[0].source == "static"


def test_an_early_stop_the_run_traced_is_left_to_the_trace():
    """The trace shows which rows stopped the rounds: here validation rows, whatever the names say."""
    trace = [fit(1, "e1", "XGBRegressor", rows(0, 80), cell=2, early_stopping=True, eval_rows=[rows(80, 100)]),
             predict(2, "e1", "XGBRegressor", rows(100, 120), cell=3), metric(3, 2, 4.2, name="mean_absolute_error",
                                                                                cell=3)]
    cells = ["m = XGBRegressor(early_stopping_rounds=5)", "m.fit(X_tr, y_tr, eval_set=[(X_te, y_te)])",
             "print(mean_absolute_error(y_te, m.predict(X_te)))"]
    finding = heldout.run(_ctx(trace, SPLIT, *cells))
    assert "boosting rounds" not in finding.explanation, finding.explanation


def test_early_stopping_on_validation_rows_scored_there_too_is_fine_when_the_reported_score_is_elsewhere():
    """Rounds stopped on each fold's validation rows and a threshold read there (an Optuna objective), then the
    chosen model scored once on the test rows: tuning on validation rows, as it should be."""
    cells = ["for tr, va in cv.split(X_tr, y_tr):\n    X_val, y_val = X_tr.iloc[va], y_tr.iloc[va]\n"
             "    m = LGBMClassifier().fit(X_tr.iloc[tr], y_tr.iloc[tr], eval_set=[(X_val, y_val)],"
             " callbacks=[lgb.early_stopping(50)])\n    p, r, t = precision_recall_curve(y_val, m.predict_proba(X_val))",
             "print(roc_auc_score(y_te, best.predict_proba(X_te)[:, 1]))"]
    finding = heldout.run(_ctx([], SPLIT, *cells))
    assert "boosting rounds" not in finding.explanation, finding.explanation
