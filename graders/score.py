"""Hidden-test score: is the predictions file valid, how good is it, and does it match what the candidate claimed?"""
from __future__ import annotations

import math
from typing import Any

from graders.finding import Evidence, Finding, GradingContext, Status
from harness.scoring import (
    METRICS,
    CheckedPredictions,
    PredictionsContract,
    canonical_metric,
    check_predictions,
    higher_is_better,
    row_keys,
    score_predictions,
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


def claimed_score(analysis: Any, metric: str) -> Any | None:
    """The candidate's own last held-out, non-baseline score in `metric`, from the analysed trace (None if none)."""
    from graders._trace import scores_of

    matching = [s for s in scores_of(analysis)
                if s.heldout and not s.is_baseline and canonical_metric(str(s.metric)) == metric
                and isinstance(s.value, (int, float)) and math.isfinite(s.value)]
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

    labels = ctx.hidden_labels
    expected_ids = None if labels is None else row_keys(labels, contract.id_columns).tolist()
    checked = check_predictions(path=path, contract=contract, expected_ids=expected_ids)
    details: dict[str, Any] = {"file": contract.file, "rows": checked.rows, "errors": checked.errors,
                               "warnings": checked.warnings, "primary": ctx.exercise.primary_metric}
    evidence = _validation_evidence(checked, contract.file)
    if not checked.valid:
        return _finding(
            Status.FAIL, f"{contract.file} does not meet the format in the instructions "
                         f"({len(checked.errors)} problem(s)), so it cannot be scored.",
            evidence=evidence, details=details,
            question=f"Which rows of the test file did your pipeline drop or mangle when writing {contract.file}?")
    if labels is None:
        return _finding(
            Status.COULD_NOT_CHECK,
            f"{contract.file} has the right format, but the hidden labels for this candidate's data variant "
            "are not available (no bundle.json or no grading secret), so it was not scored.",
            evidence=evidence, details=details)

    primary = ctx.exercise.primary_metric
    scores = score_predictions(checked=checked, labels=labels, id_columns=contract.id_columns,
                               target_column=ctx.exercise.target_column, metrics=ctx.exercise.metrics)
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

    claim = claimed_score(ctx.analysis, primary)
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
