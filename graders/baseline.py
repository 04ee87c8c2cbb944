"""Baseline: did the notebook compare its model with something trivial, on the same held-out rows?

A baseline is a Dummy* estimator, constant predictions (hand-written too), or a deliberately simple model
the notebook calls a baseline (a comment, a variable name or the markdown just above says so) that is not
the final model. From the trace:
  PASS     a baseline was scored on the same rows as the final model's held-out score (both numbers shown);
  CONCERN  a baseline exists but was scored on other rows, or not scored;
  FAIL     no baseline at all.
Without a trace (the notebook did not run, or used no scikit-learn) the same questions are asked of the code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from takehome_harness.graders._static import StaticFacts, cell_line, mentions_near
from takehome_harness.graders._trace import Evaluation, TraceAnalysis, reported_evaluation
from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status

CHECK_ID = "baseline"
TITLE = "Baseline"
ORDER = 20

QUESTION_NONE = "What would a trivial model (everyone gets the churn rate) score here, and how much better is yours?"


def _score(ev: Evaluation) -> dict[str, Any]:
    return {"metric": ev.metric, "value": ev.value, "model": ev.model, "cell": ev.cell, "heldout": ev.heldout,
            "rows": ev.rows.n if ev.rows else None}


def _evidence(ev: Evaluation, notebook: Any, summary: str) -> Evidence:
    return Evidence(source="trace", summary=summary, cell=ev.cell, lines=cell_line(notebook, ev.cell, ev.line),
                    data=ev.describe())


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


HAND_MADE = "hand-made predictions the notebook calls a baseline"


def _with_named_baselines(a: TraceAnalysis, facts: StaticFacts, notebook: Any) -> list[Evaluation]:
    """The run's scores, with those the notebook itself calls a baseline marked as such (copies: the shared
    analysis is never changed). A simple model the notebook calls a baseline counts (never the final model); so
    do predictions no fitted model made (a seasonal-naive forecast, a shift, a moving average) scored where the
    code next to the metric call, or the markdown above its cell, calls them a baseline."""
    final = a.final_evaluation()
    marked = []
    for ev in a.evaluations:
        if ev.is_baseline:
            marked.append(ev)
        elif ev.via == "split" and ev.est is not None and mentions_near(facts, notebook, ev.cell, ev.line):
            # hand-made predictions scored where the code speaks of a baseline: the trace only guessed the model
            # from the rows, so the score is the baseline's, not the model's
            marked.append(replace(ev, is_baseline=True, est=None, model=HAND_MADE))
        elif final is not None and ev.est is not None and ev.est == final.est:
            marked.append(ev)
        elif ev.fit is not None and mentions_near(facts, notebook, ev.fit.cell, ev.fit.line):
            marked.append(replace(ev, is_baseline=True))
        elif ev.fit is None and ev.est is None and ev.via in ("unlinked", "split") \
                and mentions_near(facts, notebook, ev.cell, ev.line):
            marked.append(replace(ev, is_baseline=True, model=HAND_MADE))
        else:
            marked.append(ev)
    return marked


def _from_trace(a: TraceAnalysis, facts: StaticFacts, notebook: Any) -> Finding | None:
    evaluations = _with_named_baselines(a, facts, notebook)
    final = next((e for e in reversed(evaluations) if not e.is_baseline and e.value is not None and e.heldout),
                 None) or reported_evaluation(evaluations)
    baselines = [e for e in evaluations if e.is_baseline]
    dummy_fits = [f for f in a.fits if f.is_dummy]
    if final is None:
        return None
    if not baselines and not dummy_fits:
        return None  # let the static reading decide between "none at all" and a baseline the trace cannot see
    matching = [b for b in baselines if b.metric == final.metric and b.same_rows_as(final)] or \
               [b for b in baselines if b.same_rows_as(final)]
    model_info = _score(final)
    if matching and final.heldout is not False:
        base = matching[-1]
        return Finding(
            check=CHECK_ID, title=TITLE, status=Status.PASS,
            explanation=(f"The baseline ({base.model}) scored {_fmt(base.value)} and the model ({final.model}) "
                         f"{_fmt(final.value)} in {final.metric} on the same held-out rows."),
            evidence=[_evidence(base, notebook, f"baseline {base.model}: {base.metric} {_fmt(base.value)}"),
                      _evidence(final, notebook, f"model {final.model}: {final.metric} {_fmt(final.value)}")],
            details={"basis": "trace", "baseline": _score(base), "model": model_info})
    if baselines:
        base = matching[-1] if matching else baselines[-1]
        where = ("on the same rows as the model, but those are rows the model was trained on" if matching else
                 "on rows the model was trained on" if final.heldout is False else
                 "on different rows from the model's reported score")
        return Finding(
            check=CHECK_ID, title=TITLE, status=Status.CONCERN,
            explanation=(f"A baseline ({base.model}, {base.metric} {_fmt(base.value)}) was scored, but {where}, "
                         "so the two numbers cannot be compared."),
            evidence=[_evidence(base, notebook, f"baseline {base.model}: {base.metric} {_fmt(base.value)}"
                                                f" on {base.rows.n if base.rows else '?'} rows"),
                      _evidence(final, notebook, f"model {final.model}: {final.metric} {_fmt(final.value)}"
                                                 f" on {final.rows.n if final.rows else '?'} rows")],
            question="How much better than the baseline is your model on the same held-out customers?",
            details={"basis": "trace", "baseline": _score(base), "model": model_info})
    fit = dummy_fits[-1]
    return Finding(
        check=CHECK_ID, title=TITLE, status=Status.CONCERN,
        explanation=f"A baseline ({fit.final_cls}) was fitted but never scored, so the model has nothing to beat.",
        evidence=[Evidence(source="trace", summary=f"{fit.final_cls} fitted", cell=fit.cell,
                           lines=cell_line(notebook, fit.cell, fit.line))],
        question="What did the baseline score, next to your model, on the same held-out rows?",
        details={"basis": "trace", "baseline": None, "model": model_info})


def _from_static(facts: StaticFacts, basis_note: str) -> Finding:
    sites = facts.baseline_in_code or facts.baseline_markdown
    if not sites:
        return Finding(check=CHECK_ID, title=TITLE, status=Status.FAIL,
                       explanation="The notebook has no baseline: no dummy model, constant prediction or simple model "
                                   "it compares against." + basis_note,
                       question=QUESTION_NONE, details={"basis": "static", "baseline": None, "model": None})
    site = sites[0]
    evidence = [Evidence(source="static", summary=f"baseline in the code: {site.code[:120]}", cell=site.cell,
                         lines=site.code, data=site.evidence_data())]
    held = facts.heldout_metrics
    # two scoring calls against the same held-out labels: the baseline's and the model's
    compared = any(n >= 2 for n in Counter(m.args[0] for m in held).values())
    if compared:
        evidence.append(Evidence(source="static", summary=f"scores on {held[0].args[0]}", cell=held[0].cell,
                                 lines=held[0].code, data=held[0].evidence_data()))
        return Finding(check=CHECK_ID, title=TITLE, status=Status.PASS,
                       explanation=("The code builds a baseline and scores it and the model against the same "
                                    "held-out labels (read from the code, not confirmed by a run)." + basis_note),
                       evidence=evidence, details={"basis": "static", "baseline": None, "model": None})
    return Finding(check=CHECK_ID, title=TITLE, status=Status.CONCERN,
                   explanation=("The code has a baseline but no visible comparison with the model on the same "
                                "held-out labels (read from the code)." + basis_note),
                   evidence=evidence, question="What did the baseline score next to your model?",
                   details={"basis": "static", "baseline": None, "model": None})


def run(ctx: GradingContext) -> Finding:
    notebook, a, facts = ctx.notebook, ctx.analysis, ctx.static
    finding = _from_trace(a, facts, notebook) if a.evaluations else None
    if finding is not None:
        return finding
    complete = ctx.run is not None and getattr(ctx.run, "failed_cell", None) is None
    if a.evaluations and complete and not facts.baseline_in_code:
        return Finding(check=CHECK_ID, title=TITLE, status=Status.FAIL,
                       explanation="The notebook ran and scored its models, but no baseline (dummy model, constant "
                                   "prediction or simple model it calls a baseline) was fitted or scored.",
                       question=QUESTION_NONE, details={"basis": "trace", "baseline": None,
                                                        "model": _score(a.final_evaluation()) if a.final_evaluation() else None})
    note = (" (The run traced the model's scores but not the baseline's, which the code computes by hand: this "
            "rests on the code.)" if a.evaluations else
            " (No scored evaluation was traced, so this rests on the code.)")
    return _from_static(facts, note)
