"""The baseline check on hand-made traces and on code alone."""
from __future__ import annotations

from pathlib import Path

from nbformat import v4

from takehome_harness.graders import baseline
from takehome_harness.graders.finding import GradingContext, Status
from trace_events import fit, metric, predict, rows


def _ctx(trace, *cells, markdown_before=None):
    made = [v4.new_code_cell(c) for c in cells] or [v4.new_code_cell("pass")]
    if markdown_before is not None:
        made.insert(markdown_before, v4.new_markdown_cell("## Baseline"))
    return GradingContext(submitted_notebook=v4.new_notebook(cells=made), executed_notebook=None, run=None,
                          trace=trace, submission_dir=Path("."), predictions_path=None)


MODEL = [fit(10, "e2", "GradientBoostingClassifier", rows(0, 80), cell=2),
         predict(11, "e2", "GradientBoostingClassifier", rows(80, 100), cell=2), metric(12, 11, 0.8, cell=2)]


def test_dummy_on_the_same_rows_passes_with_both_numbers():
    trace = [fit(1, "e1", "DummyClassifier", rows(0, 80)), predict(2, "e1", "DummyClassifier", rows(80, 100),
                                                                   constant=True), metric(3, 2, 0.5), *MODEL]
    finding = baseline.run(_ctx(trace))
    assert finding.status is Status.PASS
    assert finding.details["baseline"]["value"] == 0.5 and finding.details["model"]["value"] == 0.8


def test_baseline_scored_on_other_rows_is_a_concern():
    trace = [fit(1, "e1", "DummyClassifier", rows(0, 80)), predict(2, "e1", "DummyClassifier", rows(0, 80),
                                                                   constant=True), metric(3, 2, 0.5), *MODEL]
    assert baseline.run(_ctx(trace)).status is Status.CONCERN


def test_a_simple_model_the_notebook_calls_baseline_counts():
    trace = [fit(1, "e1", "LogisticRegression", rows(0, 80), cell=1),
             predict(2, "e1", "LogisticRegression", rows(80, 100), cell=1), metric(3, 2, 0.7, cell=1), *MODEL]
    cells = ["pass", "baseline_model = LogisticRegression().fit(X_tr, y_tr)  # simple baseline", "gb.fit(X_tr, y_tr)"]
    assert baseline.run(_ctx(trace, *cells)).status is Status.PASS
    unnamed = ["pass", "lr = LogisticRegression().fit(X_tr, y_tr)", "gb.fit(X_tr, y_tr)"]
    assert baseline.run(_ctx(trace, *unnamed)).status is Status.FAIL


def test_static_reading_when_nothing_ran():
    none = baseline.run(_ctx([], "model.fit(X_tr, y_tr)", "roc_auc_score(y_te, model.predict(X_te))"))
    assert none.status is Status.FAIL
    compared = baseline.run(_ctx([], "d = DummyClassifier().fit(X_tr, y_tr)",
                                 "roc_auc_score(y_te, d.predict(X_te))", "roc_auc_score(y_te, m.predict(X_te))"))
    assert compared.status is Status.PASS and compared.evidence[0].source == "static"


def test_static_comparison_on_subscripted_held_out_labels_passes():
    # manual numpy code (the corpus' manual_numpy): labels indexed by a held-out index array, no sklearn metric
    cells = ["base = np.full(len(te), Y[tr].mean())\nprint(auc(Y[te], base))",
             "print(auc(Y[te], A[te] @ w + b))"]
    finding = baseline.run(_ctx([], *cells))
    assert finding.status is Status.PASS and finding.details["basis"] == "static"
    only_training = baseline.run(_ctx([], "base = np.full(len(tr), 0.2)\nprint(auc(Y[tr], base))",
                                      "print(auc(Y[tr], A[tr] @ w))"))
    assert only_training.status is Status.CONCERN


def test_commented_out_code_that_mentions_dummy_is_not_a_baseline():
    finding = baseline.run(_ctx([], "#plt.plot(df4.dummy, df4.y_test_smote)\n# baseline_auc = roc(y, p)\nprint(1)"))
    assert finding.status is Status.FAIL


def test_a_comment_in_words_still_names_a_baseline():
    finding = baseline.run(_ctx([], "# baseline: everyone gets the churn rate\nrate = 0.2"))
    assert finding.status is not Status.FAIL
