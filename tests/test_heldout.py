"""The held-out / leakage check on hand-made traces and on code alone."""
from __future__ import annotations

from pathlib import Path

from nbformat import v4

from graders import heldout
from graders.finding import GradingContext, Status
from harness.exercise import load_exercise
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
