"""Hidden-test score: is the predictions file valid, how good is it, and does it match what the candidate claimed?"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status
from takehome_harness.harness.metrics import METRICS, canonical_metric, compute_metrics, higher_is_better
from takehome_harness.harness.scoring import (
    CheckedPredictions,
    PredictionsContract,
    align_with_labels,
    check_predictions,
    row_keys,
)

CHECK_ID = "score"
TITLE = "Hidden-test score"
ORDER = 40

# A claimed held-out score this much better than the hidden-test score is an optimistic gap:
# absolute for bounded "higher is better" metrics (0.05 AUC is a large difference on the same data),
# relative for error metrics, whose scale depends on the target.
ABSOLUTE_GAP = 0.05
RELATIVE_GAP = 0.20


def _finding(status: Status, explanation: str, **kwargs: Any) -> Finding:
    return Finding(check=CHECK_ID, title=TITLE, status=status, explanation=explanation, **kwargs)


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


@dataclass
class HiddenScore:
    """The clean run's predictions against the hidden labels; `note` says on how many rows, or why not scored."""

    metrics: dict[str, float] | None      # every metric of the exercise (NaN where it is undefined)
    note: str
    y_true: Any = None                    # aligned with y_score, for the report's ROC / PR plots
    y_score: Any = None


def checked_predictions(*, exercise: Any, path: Path | None, labels: Any) -> CheckedPredictions | None:
    """The predictions file against the exercise's contract (and the hidden ids, when known); None if no file."""
    if exercise is None or path is None or not path.is_file():
        return None
    contract = PredictionsContract.from_exercise(exercise)
    expected_ids = None if labels is None else row_keys(labels, contract.id_columns).tolist()
    return check_predictions(path=path, contract=contract, expected_ids=expected_ids)


def hidden_score(*, exercise: Any, labels: Any, checked: CheckedPredictions | None) -> HiddenScore:
    """Score the file the clean run wrote (`checked`: checked_predictions); every reason for not scoring is said
    in plain words."""
    if exercise is None:
        return HiddenScore(None, "No exercise is known for this notebook, so there is no hidden test to score.")
    if labels is None:
        return HiddenScore(None, "Hidden labels are only used for a verified bundle; this submission is not one.")
    contract = PredictionsContract.from_exercise(exercise)
    if checked is None:
        return HiddenScore(None, f"The clean run did not write {contract.file}.")
    if checked.frame is None:
        return HiddenScore(None, f"{contract.file} could not be scored: " + "; ".join(checked.errors))
    y_true, y_score = align_with_labels(checked=checked, labels=labels, id_columns=exercise.id_columns,
                                        target_column=exercise.target_column)
    return HiddenScore(compute_metrics(y_true=y_true, y_score=y_score, metrics=exercise.metrics),
                       f"Scored on all {len(y_true)} hidden test rows.", y_true=y_true, y_score=y_score)


def claimed_scores(ctx: GradingContext) -> list[Any]:
    """Every finite score the notebook computed itself, in order (takehome_harness.graders._trace.ClaimedScore)."""
    from takehome_harness.graders._trace import scores_of

    return [s for s in scores_of(ctx.analysis) if isinstance(s.value, (int, float)) and math.isfinite(s.value)]


def claimed_score(ctx: GradingContext) -> Any | None:
    """The candidate's headline number: their last held-out, non-baseline score in the exercise's primary metric
    (in any metric without an exercise); None if there is none."""
    primary = ctx.exercise.primary_metric if ctx.exercise is not None else None
    matching = [s for s in ctx.claimed_scores if s.heldout and not s.is_baseline
                and (primary is None or canonical_metric(str(s.metric)) == primary)]
    return matching[-1] if matching else None


def optimistic_gap(*, metric: str, claimed: float, hidden: float) -> tuple[float, bool]:
    """(gap, too_large): how much better the claim is than the hidden score, in the metric's own terms."""
    if higher_is_better(metric):
        gap = claimed - hidden
        return gap, gap > ABSOLUTE_GAP
    gap = (hidden - claimed) / max(abs(claimed), 1e-12)
    return gap, gap > RELATIVE_GAP


def _validation_evidence(checked: CheckedPredictions, file_name: str) -> list[Evidence]:
    return [Evidence(source="predictions", summary=f"{file_name}: {err}") for err in checked.errors] + \
           [Evidence(source="predictions", summary=f"{file_name}: {warn}") for warn in checked.warnings]


def _versus_baseline(ctx: GradingContext, primary: str, hidden: float) -> tuple[bool, Evidence | None]:
    """(at_or_below_baseline, evidence) against the trivial baseline the pipeline scored on this variant."""
    scores = ctx.reference_scores or {}
    rows = {name: scores[name].get(primary) for name in ("baseline", "reference", "ceiling")
            if isinstance(scores.get(name), dict) and scores[name].get(primary) is not None}
    if not rows:
        return False, None
    summary = f"{METRICS[primary].label}: candidate {_fmt(hidden)}; " + \
              "; ".join(f"{name} {_fmt(value)}" for name, value in rows.items())
    evidence = Evidence(source="predictions", summary=summary, data={"candidate": hidden, **rows})
    baseline = rows.get("baseline")
    if baseline is None or math.isnan(hidden):
        return False, evidence
    worse = hidden <= baseline if higher_is_better(primary) else hidden >= baseline
    return worse, evidence


def run(ctx: GradingContext) -> Finding:
    if ctx.exercise is None:
        return _finding(Status.NOT_APPLICABLE,
                        "This notebook is not from one of our exercises, so there is no hidden test set to score.")
    contract = PredictionsContract.from_exercise(ctx.exercise)
    path = ctx.predictions_path
    if path is None or not path.is_file():
        if ctx.run is None:
            return _finding(Status.COULD_NOT_CHECK,
                            "The notebook was not run, so no predictions file could be produced to score.")
        return _finding(
            Status.FAIL, f"The clean run did not write {contract.file}, so there is nothing to score.",
            evidence=[Evidence(source="run", summary=f"no {contract.file} after the run ({ctx.run.message})")],
            question=f"How did you produce {contract.file}, and does your notebook write it when run top to bottom?")

    checked = ctx.predictions
    details: dict[str, Any] = {"file": contract.file, "rows": checked.rows, "errors": checked.errors,
                               "warnings": checked.warnings, "primary": ctx.exercise.primary_metric}
    evidence = _validation_evidence(checked, contract.file)
    if not checked.valid:
        return _finding(
            Status.FAIL, f"{contract.file} does not meet the format in the instructions "
                         f"({len(checked.errors)} problem(s)), so it cannot be scored.",
            evidence=evidence, details=details,
            question=f"Which rows of the test file did your pipeline drop or mangle when writing {contract.file}?")
    if ctx.hidden_labels is None:
        return _finding(
            Status.COULD_NOT_CHECK,
            f"{contract.file} has the right format, but the hidden labels for this candidate's data variant "
            "are not available (no bundle.json or no grading secret), so it was not scored.",
            evidence=evidence, details=details)

    primary = ctx.exercise.primary_metric
    scores = ctx.hidden_score.metrics
    hidden = scores[primary]
    details["metrics"] = scores
    details["reference_scores"] = ctx.reference_scores
    evidence.insert(0, Evidence(source="predictions",
                                summary="hidden-test scores: " + ", ".join(
                                    f"{METRICS[m].label} {_fmt(v)}" for m, v in scores.items()),
                                data=scores))
    concerns: list[str] = []
    questions: list[str] = []

    worse, baseline_evidence = _versus_baseline(ctx, primary, hidden)
    if baseline_evidence:
        evidence.append(baseline_evidence)
    if worse:
        concerns.append(f"the hidden-test {METRICS[primary].label} ({_fmt(hidden)}) is no better than "
                        "a trivial baseline")
        questions.append("Your model scores no better than a trivial baseline on the hidden test set: "
                         "what did you compare it against while building it?")

    claim = ctx.claimed_score
    if claim is not None:
        gap, too_large = optimistic_gap(metric=primary, claimed=float(claim.value), hidden=hidden)
        details["claimed"] = {"value": float(claim.value), "cell": claim.cell, "model": claim.model, "gap": gap}
        evidence.append(Evidence(
            source="trace", cell=claim.cell,
            summary=f"the notebook computed held-out {METRICS[primary].label} {_fmt(float(claim.value))}"
                    f" for {claim.model or 'its model'}; hidden test gives {_fmt(hidden)}",
            data={"claimed": float(claim.value), "hidden": hidden, "gap": gap}))
        if too_large:
            concerns.append(f"the notebook's own held-out {METRICS[primary].label} ({_fmt(float(claim.value))}) "
                            f"is much better than the hidden-test score ({_fmt(hidden)})")
            questions.append(f"You reported {METRICS[primary].label} {_fmt(float(claim.value))} on held-out data "
                             f"but the hidden test gives {_fmt(hidden)}: what could make your validation "
                             "optimistic (leakage, tuning on the validation set, a split that does not match "
                             "how the test set differs)?")

    if concerns:
        return _finding(Status.CONCERN, "Scored on the hidden test set, but " + "; and ".join(concerns) + ".",
                        evidence=evidence, details=details, question=" ".join(questions))
    return _finding(Status.PASS,
                    f"{contract.file} is valid and scores {METRICS[primary].label} {_fmt(hidden)} "
                    "on the hidden test set.",
                    evidence=evidence, details=details,
                    question="How would you expect this score to hold up on data collected after your training period?")
