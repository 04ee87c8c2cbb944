"""Predictions contract, metrics and the hidden-test score check."""
from __future__ import annotations

import math
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from takehome_harness.graders import score
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.sandbox.result import RunResult, Verdict
from takehome_harness.harness.metrics import METRICS, canonical_metric, compute_metrics
from takehome_harness.harness.scoring import (
    PredictionsContract,
    check_predictions,
    row_keys,
    score_predictions,
)

EXERCISE = load_exercise("churn")
CONTRACT = PredictionsContract.from_exercise(EXERCISE)


@pytest.fixture
def labels() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ids = [f"C{i:05d}" for i in range(200)]
    return pd.DataFrame({"customer_id": ids, "churned": (rng.random(200) < 0.3).astype(int)})


def _good_scores(labels: pd.DataFrame, noise: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(labels["churned"].to_numpy() * 0.5 + rng.random(len(labels)) * noise, 0, 1)


def _write(tmp_path: Path, ids, values, header: str = "customer_id,churn_probability") -> Path:
    path = tmp_path / "predictions.csv"
    lines = [header] + [f"{i},{v}" for i, v in zip(ids, values)]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- takehome_harness.harness.scoring ---------------------------------------------------------------------------------

def test_contract_from_exercise():
    assert CONTRACT.id_columns == ("customer_id",)
    assert CONTRACT.prediction_column == "churn_probability"
    assert (CONTRACT.min, CONTRACT.max) == (0, 1)


def test_valid_file_keeps_id_text(tmp_path, labels):
    path = _write(tmp_path, labels["customer_id"], _good_scores(labels, 0.5))
    checked = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"])
    assert checked.valid, checked.errors
    assert checked.rows == 200
    assert checked.frame["id"].iloc[0] == "C00000"


def test_byte_order_mark_and_index_column_are_tolerated(tmp_path, labels):
    path = tmp_path / "predictions.csv"
    rows = [f"{n},{i},0.5" for n, i in enumerate(labels["customer_id"])]
    path.write_text("\n".join([",customer_id,churn_probability", *rows]) + "\n", encoding="utf-8-sig")
    checked = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"])
    assert checked.valid, checked.errors
    assert checked.warnings == ["extra column(s) ignored: 'Unnamed: 0'"]


def test_missing_and_extra_and_duplicate_ids_are_named(tmp_path, labels):
    ids = list(labels["customer_id"][3:]) + ["C00010", "X1", "X2"]
    path = _write(tmp_path, ids, [0.5] * len(ids))
    errors = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"]).errors
    text = " | ".join(errors)
    assert "3 of 200 test id(s) have no prediction: C00000, C00001, C00002" in text
    assert "2 id(s) are not in the test set: X1, X2" in text
    assert "C00010 (2 times)" in text


def test_many_missing_ids_are_counted_not_all_listed(tmp_path, labels):
    path = _write(tmp_path, labels["customer_id"][:50], [0.5] * 50)
    (error,) = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"]).errors
    assert error.startswith("150 of 200 test id(s) have no prediction")
    assert "and 145 more" in error


def test_bad_values_report_csv_lines(tmp_path, labels):
    values = [0.5] * 200
    values[0], values[4], values[7] = "abc", 1.7, ""
    values[9] = "nan"
    path = _write(tmp_path, labels["customer_id"], values)
    errors = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"]).errors
    text = " | ".join(errors)
    assert "3 prediction(s) in 'churn_probability' are not finite numbers" in text
    assert "line 2: 'abc'" in text and "line 9: ''" in text and "line 11: 'nan'" in text
    assert "1 prediction(s) outside [0, 1]: line 6: 1.7" in text


def test_missing_column_names_what_the_file_has(tmp_path, labels):
    path = _write(tmp_path, labels["customer_id"], [0.5] * 200, header="customer_id,prob")
    (error,) = check_predictions(path=path, contract=CONTRACT, expected_ids=None).errors
    assert "'churn_probability'" in error and "'prob'" in error


@pytest.mark.parametrize("content, expected", [
    ("", "is empty"),
    ("customer_id,churn_probability\n", "no rows"),
    ('customer_id,churn_probability\n"C1,0.5\n', "not a readable CSV"),
])
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "predictions.csv"
    path.write_text(content)
    (error,) = check_predictions(path=path, contract=CONTRACT, expected_ids=None).errors
    assert expected in error


def test_size_cap(tmp_path, labels):
    path = _write(tmp_path, labels["customer_id"], [0.5] * 200)
    (error,) = check_predictions(path=path, contract=CONTRACT, expected_ids=None, max_bytes=100).errors
    assert "over the" in error


def test_scores_match_sklearn_regardless_of_row_order(tmp_path, labels):
    values = _good_scores(labels, 0.8)
    order = np.random.default_rng(3).permutation(len(labels))
    path = _write(tmp_path, labels["customer_id"].iloc[order], values[order])
    checked = check_predictions(path=path, contract=CONTRACT, expected_ids=labels["customer_id"])
    scores = score_predictions(checked=checked, labels=labels, id_columns=["customer_id"], target_column="churned",
                               metrics=EXERCISE.metrics)
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(labels["churned"], values))
    assert set(scores) == {"roc_auc", "average_precision", "brier"}


def test_every_metric_computes_and_knows_its_direction():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    p = np.array([0.1, 0.9, 0.6, 0.4, 0.8, 0.3, 0.0, 1.0])
    scores = compute_metrics(y_true=y, y_score=p, metrics=list(METRICS))
    assert scores["accuracy"] == 1.0 and scores["f1"] == 1.0 and scores["roc_auc"] == 1.0
    assert math.isfinite(scores["log_loss"]) and scores["brier"] < 0.1
    assert METRICS["rmse"].higher_is_better is False and METRICS["r2"].higher_is_better is True
    assert math.isnan(compute_metrics(y_true=[1, 1], y_score=[0.2, 0.3], metrics=["roc_auc"])["roc_auc"])
    with pytest.raises(HarnessError, match="unknown metric"):
        compute_metrics(y_true=y, y_score=p, metrics=["nope"])


@pytest.mark.parametrize("name, expected", [("roc_auc_score", "roc_auc"), ("AUC", "roc_auc"),
                                            ("brier_score_loss", "brier"), ("mean_absolute_error", "mae"),
                                            ("silhouette", None)])
def test_canonical_metric(name, expected):
    assert canonical_metric(name) == expected


# --- takehome_harness.graders.score -----------------------------------------------------------------------------------

@dataclass
class _Claim:
    metric: str
    value: float
    cell: int
    heldout: bool
    model: str | None
    is_baseline: bool


@pytest.fixture
def claims(monkeypatch):
    """Stand-in for takehome_harness.graders._trace: the trace list holds the claims themselves
    (its "analysis" is the list)."""
    fake = types.ModuleType("takehome_harness.graders._trace")
    fake.analyse = lambda events, notebook=None: list(events)
    fake.scores_of = lambda analysis: [e for e in analysis if isinstance(e, _Claim)]
    monkeypatch.setitem(sys.modules, "takehome_harness.graders._trace", fake)


def _ctx(tmp_path, *, predictions, labels, trace=(), reference=None, exercise=EXERCISE, ran=True):
    run = RunResult(verdict=Verdict.COMPLETED, backend="local", isolated=False, wall_seconds=1.0,
                    message="ran to the end") if ran else None
    return GradingContext(submitted_notebook=nbformat.v4.new_notebook(), executed_notebook=None, run=run,
                          trace=list(trace), submission_dir=tmp_path, predictions_path=predictions,
                          exercise=exercise, hidden_labels=labels, reference_scores=reference)


def _reference(labels):
    prior = np.full(len(labels), labels["churned"].mean())
    ref = _good_scores(labels, 1.0, seed=9)
    y = labels["churned"]
    return {"baseline": compute_metrics(y_true=y, y_score=prior, metrics=EXERCISE.metrics),
            "reference": compute_metrics(y_true=y, y_score=ref, metrics=EXERCISE.metrics)}


def test_good_predictions_pass_with_scores_next_to_reference(tmp_path, labels, claims):
    path = _write(tmp_path, labels["customer_id"], _good_scores(labels, 0.8))
    finding = score.run(_ctx(tmp_path, predictions=path, labels=labels, reference=_reference(labels)))
    assert finding.status is Status.PASS, finding.explanation
    assert finding.details["primary"] == "roc_auc"
    assert 0.5 < finding.details["metrics"]["roc_auc"] <= 1.0
    assert any("baseline" in e.summary and "reference" in e.summary for e in finding.evidence)


def test_no_predictions_file_fails(tmp_path, labels, claims):
    finding = score.run(_ctx(tmp_path, predictions=tmp_path / "predictions.csv", labels=labels))
    assert finding.status is Status.FAIL
    assert "predictions.csv" in finding.explanation and finding.question


def test_not_run_could_not_check(tmp_path, labels, claims):
    finding = score.run(_ctx(tmp_path, predictions=None, labels=labels, ran=False))
    assert finding.status is Status.COULD_NOT_CHECK


def test_invalid_file_fails_with_precise_errors(tmp_path, labels, claims):
    path = _write(tmp_path, labels["customer_id"][:-2], [0.5] * 198)
    finding = score.run(_ctx(tmp_path, predictions=path, labels=labels))
    assert finding.status is Status.FAIL
    assert any("2 of 200 test id(s) have no prediction: C00198, C00199" in e.summary for e in finding.evidence)


def test_no_hidden_labels_could_not_check_but_still_validates(tmp_path, labels, claims):
    path = _write(tmp_path, labels["customer_id"], [0.5] * 200)
    assert score.run(_ctx(tmp_path, predictions=path, labels=None)).status is Status.COULD_NOT_CHECK
    bad = _write(tmp_path, labels["customer_id"], [2.0] * 200)
    assert score.run(_ctx(tmp_path, predictions=bad, labels=None)).status is Status.FAIL


def test_generic_mode_not_applicable(tmp_path, claims):
    finding = score.run(_ctx(tmp_path, predictions=None, labels=None, exercise=None))
    assert finding.status is Status.NOT_APPLICABLE


def test_no_better_than_baseline_is_a_concern(tmp_path, labels, claims):
    path = _write(tmp_path, labels["customer_id"], np.random.default_rng(5).random(200))
    reference = _reference(labels)
    reference["baseline"]["roc_auc"] = 0.6  # a baseline the random predictions cannot beat
    finding = score.run(_ctx(tmp_path, predictions=path, labels=labels, reference=reference))
    assert finding.status is Status.CONCERN
    assert "baseline" in finding.explanation


def test_optimistic_claim_is_a_concern_and_honest_claim_passes(tmp_path, labels, claims):
    values = _good_scores(labels, 1.0)
    hidden = roc_auc_score(labels["churned"], values)
    path = _write(tmp_path, labels["customer_id"], values)
    trace = [_Claim("roc_auc_score", min(hidden + 0.15, 1.0), 7, True, "RandomForestClassifier", False),
             _Claim("roc_auc_score", 0.5, 3, True, "DummyClassifier", True)]
    finding = score.run(_ctx(tmp_path, predictions=path, labels=labels, trace=trace))
    assert finding.status is Status.CONCERN
    assert finding.details["claimed"]["cell"] == 7
    assert finding.details["claimed"]["gap"] == pytest.approx(min(hidden + 0.15, 1.0) - hidden)
    assert "hidden test gives" in finding.question

    honest = [_Claim("roc_auc", hidden + 0.01, 7, True, "RandomForestClassifier", False),
              _Claim("roc_auc", 0.99, 5, False, "RandomForestClassifier", False)]  # training score: ignored
    assert score.run(_ctx(tmp_path, predictions=path, labels=labels, trace=honest)).status is Status.PASS


@pytest.mark.parametrize("metric, claimed, hidden, flagged", [
    ("roc_auc", 0.90, 0.80, True), ("roc_auc", 0.82, 0.80, False), ("roc_auc", 0.70, 0.80, False),
    ("rmse", 10.0, 13.0, True), ("rmse", 10.0, 11.0, False), ("r2", 0.9, 0.7, True),
])
def test_optimistic_gap_rule(metric, claimed, hidden, flagged):
    assert score.optimistic_gap(metric=metric, claimed=claimed, hidden=hidden)[1] is flagged


@pytest.mark.slow
@pytest.mark.parametrize("notebook, expected", [("reference_solution.ipynb", Status.PASS),
                                                ("starter.ipynb", Status.CONCERN)])
def test_churn_notebooks_run_and_scored_end_to_end(tmp_path, notebook, expected):
    """The exercise's own notebooks, run by the local sandbox on a fresh variant, scored on its hidden labels."""
    from takehome_harness.harness.materialize import hidden_labels, reference_scores, write_data
    from takehome_harness.harness.sandbox.run import run_notebook

    seed = 4242
    write_data(exercise=EXERCISE, seed=seed, dest_dir=tmp_path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "notebook.ipynb").write_text(EXERCISE.file(notebook).read_text())
    result = run_notebook(notebook=workdir / "notebook.ipynb", workdir=workdir, data_dir=tmp_path / "data",
                          limits=EXERCISE.limits(total_seconds=300), backend="local")
    assert result.verdict is Verdict.COMPLETED, result.message
    ctx = GradingContext(submitted_notebook=nbformat.read(str(workdir / "notebook.ipynb"), as_version=4),
                         executed_notebook=None, run=result, trace=[], submission_dir=workdir,
                         predictions_path=result.predictions, exercise=EXERCISE,
                         hidden_labels=hidden_labels(exercise=EXERCISE, seed=seed),
                         reference_scores=reference_scores(exercise=EXERCISE, seed=seed))
    finding = score.run(ctx)
    assert finding.status is expected, finding.explanation
    baseline = ctx.reference_scores["baseline"]["roc_auc"]
    if expected is Status.PASS:
        assert finding.details["metrics"]["roc_auc"] > baseline + 0.1
    else:
        assert finding.details["metrics"]["roc_auc"] == pytest.approx(baseline)


# --- a composite key (the demand exercise: store, product and date identify a row) ----------------

def test_composite_key_predictions_are_checked_and_scored_by_all_key_columns(tmp_path):
    exercise = load_exercise("demand")
    contract = PredictionsContract.from_exercise(exercise)
    assert contract.id_columns == ("store_id", "product_id", "date") and contract.prediction_column == "units"
    labels = pd.DataFrame({"store_id": ["S01", "S01", "S02"], "product_id": ["P01", "P02", "P01"],
                           "date": ["2025-01-01"] * 3, "units": [4, 0, 6]})
    path = tmp_path / "predictions.csv"
    # same store and date for every row, so only the full key tells them apart; rows in another order
    path.write_text("store_id,product_id,date,units\nS02,P01,2025-01-01,5\nS01,P01,2025-01-01,4\n"
                    "S01,P02,2025-01-01,1\n")
    checked = check_predictions(path=path, contract=contract, expected_ids=row_keys(labels, contract.id_columns))
    assert checked.valid, checked.errors
    scores = score_predictions(checked=checked, labels=labels, id_columns=contract.id_columns,
                               target_column="units", metrics=["wape", "mae"])
    assert scores == {"wape": pytest.approx(2 / 10), "mae": pytest.approx(2 / 3)}
    path.write_text("store_id,product_id,date,units\nS01,P01,2025-01-01,4\nS01,P01,2025-01-01,4\n"
                    "S01,,2025-01-01,1\n")
    errors = " | ".join(check_predictions(path=path, contract=contract,
                                          expected_ids=row_keys(labels, contract.id_columns)).errors)
    assert "1 row(s) have no id (lines 4)" in errors
    assert "S01 / P01 / 2025-01-01 (2 times)" in errors
    assert "2 of 3 test id(s) have no prediction: S01 / P02 / 2025-01-01, S02 / P01 / 2025-01-01" in errors


def test_wape_is_total_error_over_total_volume_and_undefined_without_volume():
    assert compute_metrics(y_true=[0, 10, 30], y_score=[2, 8, 30], metrics=["wape"]) == {"wape": pytest.approx(0.1)}
    assert math.isnan(compute_metrics(y_true=[0, 0], y_score=[1, 0], metrics=["wape"])["wape"])
