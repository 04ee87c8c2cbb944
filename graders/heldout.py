"""Held-out evaluation and leakage, judged from what actually ran (the kernel trace), not from keywords.

Findings, worst first:
  FAIL     the final model's only evaluation is on rows it was fitted on (no other model held out and no score
           computed by hand on held-out labels); a supervised transformer (SelectKBest, TargetEncoder, ...) fitted on
           rows later used for evaluation; the exercise's leak column used as a feature by the final model; rows
           oversampled (SMOTE, RandomOverSampler, resample, sample(replace=True)) or target statistics computed with
           pandas (groupby(...)[target].mean()) on all rows before the split that produced the reported score
           (code read with graders/_resampling.py and _target_statistics.py, confirmed by the run), or synthetic
           rows among the reported score's rows (imblearn's trace); a model fitted, the run complete, and no score
           of any kind computed (the trace and the code agree: no metric, no hand-written one, no held-out labels read).
  CONCERN  an unsupervised transformer (scaler, imputer, encoder) fitted on rows later used for evaluation;
           the reported score's rows were also used to pick the model or its settings (a search fitted on
           them, three or more configurations -- settings of one model or several models -- scored on them, two
           models scored on them and the better one picked in the code by comparing those two scores, or a
           decision threshold swept on them); many exact copies of fitting rows among the evaluated rows
           without resampling code; oversampling or target statistics before a split not confirmed by the run;
           a leak column used by an earlier model; static-only indications;
           plain-pandas statistics of the whole frame (fillna with its median, a z-score with its mean/std)
           filling or scaling it before the split that produced the evaluation rows (graders/_frame_statistics.py,
           read from the code in every case: the trace cannot see pandas).
  Forecasting exercises only (task_type "forecasting" with a time column), graders/_time_order.py: the
           reported score computed on rows earlier in time than clearly many of its training rows (the time
           column visible in the trace: training 95th percentile after the evaluated rows' 5th), or a shuffled /
           in-order K-fold over visible, spread times -> FAIL; a few later training rows, a random split or
           K-fold when the time column was not visible (or read from the code only), or such a problem with a
           score other than the reported one -> CONCERN; a split by date (training ends no later than the
           evaluated rows begin) or TimeSeriesSplit -> pass; otherwise the time-order sub-check says it could
           not check (never an accusation). A feature made from the target with later days' values (a centred
           rolling window, a negative shift, a backward fill; graders/_future_features.py, read from the code)
           -> CONCERN.
A train score next to a held-out score, a side model scored on its own training rows while the reported one is
held out (a note), baseline vs model on the same split, cross-validation inside a pipeline, resampling of the
training part only or inside an imblearn Pipeline, and transformers fitted on the unlabeled test.csv rows are all
fine. Rows with few distinct values (binary features) are matched by the split's labels, not by their values. Row overlaps are shares of
sampled row fingerprints, so the few duplicate rows of a data set cannot produce a finding.
Static reading (graders/_static.py) is the fallback when nothing was traced, or when the run stopped before any
model was scored (scores computed before that are not a model's); it is never a FAIL.
details["sub_checks"] says, part by part, whether it was checked from the run, from the code only, could not be
checked (the explanation then says so), or did not apply (time order: only forecasting exercises).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from takehome_harness.graders._frame_statistics import FrameFill, frame_fills_before_split
from takehome_harness.graders._future_features import future_features
from takehome_harness.graders._notebook_ast import ParsedCell
from takehome_harness.graders._resampling import resampled_before_split
from takehome_harness.graders._target_statistics import target_statistics_before_split
from takehome_harness.graders._static import (BASELINE_NAME, HAND_METRIC, SUPERVISED_NAME, Site, StaticFacts, cell_line,
                                              mentions_near)
from takehome_harness.graders._time_order import TimeVerdict, static_verdicts, verdict
from takehome_harness.graders._trace import HELD_OUT_BELOW, TRAINING_ABOVE, Evaluation, Fit, TraceAnalysis
from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status

CHECK_ID = "heldout"
TITLE = "Held-out evaluation and leakage"
ORDER = 30

LEAK_SHARE = 0.5           # share of the evaluated rows a transformer was fitted on before it counts
TUNING_SETTINGS = 3        # settings of one model class scored on the final rows before it counts as tuning
EVIDENCE_EVENTS = 3


@dataclass
class Issue:
    status: Status
    sentence: str
    question: str
    evidence: list[Evidence] = field(default_factory=list)


def _ev_evidence(ev: Evaluation, notebook: Any, summary: str) -> Evidence:
    return Evidence(source="trace", summary=summary, cell=ev.cell, lines=cell_line(notebook, ev.cell, ev.line),
                    data=ev.describe())


def _fit_evidence(fit: Fit, notebook: Any, summary: str, **data: Any) -> Evidence:
    return Evidence(source="trace", summary=summary, cell=fit.cell, lines=cell_line(notebook, fit.cell, fit.line),
                    data={"class": fit.cls, "rows": fit.rows.n if fit.rows else None, **data})


def training_set_issues(a: TraceAnalysis, notebook: Any, facts: StaticFacts) -> tuple[list[Issue], list[str]]:
    """Models whose every traced evaluation is on their own fitting rows; and notes on side models.

    Only the reported model's evaluation decides: a side model scored on its training rows while another model
    is properly held out is a note, not an issue. A held-out score the trace cannot see (computed by hand from
    the predictions, e.g. `(pred == y_test).mean()`) counts as a held-out evaluation."""
    issues, notes = [], []
    final = a.final_evaluation()
    by_model: dict[str, list[Evaluation]] = {}
    for ev in a.evaluations:
        if ev.est and not ev.is_baseline:
            by_model.setdefault(ev.est, []).append(ev)
    held_elsewhere = [e for e in a.evaluations if e.heldout and not e.is_baseline]
    by_hand = [m for m in facts.heldout_metrics if m.name == HAND_METRIC]
    for est, evs in by_model.items():
        on_training = [e for e in evs if e.heldout is False]
        if not on_training or any(e.heldout for e in evs):
            continue
        worst = on_training[-1]
        is_final = final is not None and final.est == est
        if not is_final and held_elsewhere:
            notes.append(f"{worst.model} was also scored on its own training rows ({worst.metric} "
                         f"{_fmt(worst.value)}, cell {worst.cell}); that is exploration, not the reported result.")
            continue
        if by_hand:
            notes.append(f"The traced score of {worst.model} is on its training rows, but the code also computes a "
                         f"score by hand on held-out labels (cell {by_hand[-1].cell}), which the trace "
                         "cannot see.")
            continue
        status = Status.FAIL if is_final and not held_elsewhere else Status.CONCERN
        other = (f" (another model, {held_elsewhere[-1].model}, was scored on held-out rows: which one is "
                 "reported?)" if held_elsewhere else "")
        issues.append(Issue(
            status=status,
            sentence=(f"The {'reported' if is_final else 'only'} score of {worst.model} ({worst.metric} "
                      f"{_fmt(worst.value)}) was computed on rows the model was trained on, so it says nothing "
                      f"about new customers{other}."),
            question=(f"How would {worst.model} score on customers it has not seen, and how would you set up "
                      "that evaluation?"),
            evidence=[_ev_evidence(e, notebook, f"{e.metric} of {e.model} on {e.rows.n if e.rows else '?'} rows, "
                                               f"{round(100 * (e.overlap or 0))}% of them used to fit it")
                      for e in on_training[-EVIDENCE_EVENTS:]]))
    return issues, notes


def no_evaluation_issue(ctx: GradingContext, a: TraceAnalysis, facts: StaticFacts) -> Issue | None:
    """A notebook that ran to the end, fitted a model and never scored it on anything: no evaluation at all.

    A FAIL only when the run and the code agree: the hook traced the fits and no score, and the code computes no
    metric (by library or by hand), calls no score and never reads held-out labels (y_test, y_val, ...)."""
    run = ctx.run
    completed = run is not None and getattr(run, "failed_cell", None) is None and \
        getattr(getattr(run, "verdict", None), "value", None) == "completed"
    models = [f for f in a.model_fits if not f.is_dummy]
    if not (completed and a.started and models) or a.evaluations or facts.metrics or facts.heldout_label_uses:
        return None
    fit = models[-1]
    return Issue(
        status=Status.FAIL,
        sentence=(f"{fit.final_cls} was fitted, but the notebook never scores any model, on held-out rows or "
                  "otherwise (the run traced no metric or score, and the code computes none and never reads "
                  "held-out labels), so nothing says how well it works."),
        question="How well does your model do on customers it has not seen, and how would you measure it?",
        evidence=[_fit_evidence(fit, notebook=ctx.notebook, summary=f"{fit.final_cls} fitted, never evaluated")])


def _share_by_count(transformer: Fit, ev: Evaluation) -> float | None:
    """1.0 when a supervised transformer (it needs labels, so it cannot have seen the unlabeled rows to predict)
    was fitted, before the model, on at least as many rows as the model's fitting rows and the evaluated rows
    together: it saw the evaluated rows. For rows with too few distinct values to match them one by one."""
    model = ev.fit
    if model is None or model.rows is None or transformer.rows is None or ev.rows is None:
        return None
    counts = (transformer.rows.n, model.rows.n, ev.rows.n)
    if not all(counts) or transformer.id > model.id:
        return None
    return 1.0 if counts[0] >= 0.99 * (counts[1] + counts[2]) else None


def transformer_issues(a: TraceAnalysis, notebook: Any) -> list[Issue]:
    """Transformers fitted on rows that were later used to evaluate a model whose inputs they produced."""
    issues, seen = [], set()
    for ev in sorted(a.evaluations, key=lambda e: e.is_baseline):  # name the real model when there is one
        if ev.rows is None or ev.heldout is False:
            continue
        through = set(ev.rows.via) | set(ev.fit.rows.via if ev.fit and ev.fit.rows else ())
        for token in sorted(through):
            fit = next((f for f in reversed(a.transformer_fits) if f.est == token and f.id < ev.id), None)
            share = ev.rows.identifying_share_in(fit.rows) if fit is not None else None
            if share is None and fit is not None and fit.is_supervised_transformer:
                share = _share_by_count(fit, ev)
            if fit is None or share is None or share < LEAK_SHARE or fit.id in seen:
                continue
            seen.add(fit.id)
            supervised = fit.is_supervised_transformer
            issues.append(Issue(
                status=Status.FAIL if supervised else Status.CONCERN,
                sentence=(f"{fit.cls} was fitted {'with the target ' if supervised else ''}on rows that were later "
                          f"used to evaluate {ev.model or 'the model'} ({round(100 * share)}% of them), so the "
                          + ("evaluation rows helped choose the features and the score is optimistic."
                             if supervised else
                             "held-out rows informed the preprocessing; the effect is usually small, but it is a "
                             "habit worth discussing.")),
                question=(f"Why was {fit.cls} fitted before the split, and how would you keep the evaluation rows "
                          "out of it (for example inside a Pipeline)?"),
                evidence=[_fit_evidence(fit, notebook, f"{fit.cls} fitted on {fit.rows.n if fit.rows else '?'} rows"
                                        f"{' with y' if fit.has_y else ''}", share_of_evaluated_rows=round(share, 3)),
                          _ev_evidence(ev, notebook, f"{ev.metric} of {ev.model} on rows that went through "
                                                     f"{fit.cls}")]))
    return issues


def selection_issues(a: TraceAnalysis, notebook: Any) -> list[Issue]:
    """The reported score's rows also chose the model or its settings: a search fitted on them, or several
    configurations (settings of one model, or several models) scored on them by hand, the best then reported."""
    final = a.final_evaluation()
    if final is None or final.heldout is False:
        return []
    issues = []
    for search in a.searches if final.rows is not None else []:
        share = final.rows.identifying_share_in(search.rows)
        if search.id < final.id and share is not None and share >= LEAK_SHARE and search.est != final.est:
            issues.append(Issue(
                status=Status.CONCERN,
                sentence=(f"{search.cls} picked settings using {round(100 * share)}% of the rows the final score is "
                          "reported on, so that score is optimistic."),
                question="Which rows chose the hyperparameters, and which rows did the reported score come from?",
                evidence=[_fit_evidence(search, notebook, f"{search.cls} fitted", best_params=search.best_params),
                          _ev_evidence(final, notebook, "the reported score")]))
    for stop in a.early_stops if final.rows is not None else []:
        share = max((s for s in (final.rows.identifying_share_in(r) for r in stop.evals) if s is not None),
                    default=None)
        if stop.id < final.id and share is not None and share >= LEAK_SHARE:
            issues.append(Issue(
                status=Status.CONCERN,
                sentence=(f"{stop.what} stopped its boosting rounds early on an evaluation set holding "
                          f"{round(100 * share)}% of the rows the reported score is computed on (cell {final.cell}), "
                          "so the number of rounds was chosen on those rows and the score is optimistic."),
                question="Which rows chose the number of boosting rounds, and which rows did the reported score "
                         "come from?",
                evidence=[Evidence(source="trace", summary=f"{stop.what} with early stopping", cell=stop.cell,
                                   lines=cell_line(notebook, stop.cell, stop.line)),
                          _ev_evidence(final, notebook, "the reported score")]))
    same_rows = [e for e in a.evaluations if not e.is_baseline and e.via != "cv" and final.same_rows_as(e)]
    configs: dict[tuple[str, str], Evaluation] = {}
    for ev in same_rows:
        configs.setdefault((ev.model or "?", ev.params), ev)
    if len(configs) < TUNING_SETTINGS:
        return issues + threshold_issues(final, same_rows, notebook)
    models = sorted({model for model, _ in configs})
    what = (f"{len(configs)} settings of {models[0]}" if len(models) == 1
            else f"{len(configs)} configurations of {len(models)} models ({', '.join(models[:5])})")
    rows = f"{final.rows.n} rows" if final.rows is not None and final.rows.n else "the same rows"
    issues.append(Issue(
        status=Status.CONCERN,
        sentence=(f"{what} were scored on the same held-out rows as the reported score ({rows}, cell {final.cell}), "
                  "so the reported score is the best of several tries on those rows and is optimistic."),
        question=("How did you pick the final model and its settings, and which data would give an unbiased score "
                  "for the one you picked (a validation split or cross-validation on the training part)?"),
        evidence=[_ev_evidence(e, notebook, f"{e.metric} {_fmt(e.value)}: {e.model} {e.params[:100]}")
                  for e in list(configs.values())[:EVIDENCE_EVENTS + 2]]))
    return issues


def threshold_issues(final: Evaluation, same_rows: list[Evaluation], notebook: Any) -> list[Issue]:
    """One model's predictions post-processed several ways (a decision threshold swept) and scored with the
    reported metric on the reported rows: the threshold was chosen on those rows."""
    tries = [e for e in same_rows if e.model == final.model and e.params == final.params and e.metric == final.metric
             and e.preds is not None]
    if len({e.preds for e in tries}) < TUNING_SETTINGS or final not in tries:
        return []
    return [Issue(
        status=Status.CONCERN,
        sentence=(f"{len({e.preds for e in tries})} different sets of predictions of {final.model} (a decision "
                  f"threshold or other post-processing tried several ways) were scored with {final.metric} on the "
                  f"same rows as the reported score (cell {final.cell}), so the reported score is the best of "
                  "several tries on those rows and is optimistic."),
        question="How did you choose the decision threshold, and on which rows would you choose it instead?",
        evidence=[_ev_evidence(e, notebook, f"{e.metric} {_fmt(e.value)}") for e in tries[:EVIDENCE_EVENTS]])]


def two_models_compared_issues(a: TraceAnalysis, facts: StaticFacts, notebook: Any) -> list[Issue]:
    """Two models scored on the reported rows and the better one picked in the code by comparing those two scores
    (`best = rf if auc_rf > auc_lr else lr`), the reported model among them: a choice made on the test rows, as a
    search over more configurations is. A model compared with its baseline is no choice between models."""
    final = a.final_evaluation()
    if final is None or final.heldout is False:
        return []
    for comparison, sides in facts.scores_compared():
        scored = [_evaluation_at(a, site) for site in sides]
        if any(e is None or e.is_baseline or e.via == "cv" or not final.same_rows_as(e)
               or mentions_near(facts, notebook, e.cell, e.line) for e in scored):
            continue
        if any(BASELINE_NAME.search(f"{name} =") for name in comparison.args):
            continue
        configs = {(e.model, e.params) for e in scored}
        if len(configs) < 2 or (final.model, final.params) not in configs:
            continue
        return [Issue(
            status=Status.CONCERN,
            sentence=(f"Cell {comparison.cell} picks between {scored[0].model} and {scored[1].model} by comparing "
                      f"their scores on the rows the reported score comes from ({comparison.args[0]} vs "
                      f"{comparison.args[1]}), so the model was chosen on those rows and its score is mildly "
                      "optimistic."),
            question=("How did you choose between the two models, and which rows would give an unbiased score for "
                      "the one you chose (a validation split or cross-validation on the training part)?"),
            evidence=[Evidence(source="static", summary="the comparison that picks the model",
                               cell=comparison.cell, lines=comparison.code, data=comparison.evidence_data()),
                      *[_ev_evidence(e, notebook, f"{e.metric} {_fmt(e.value)}: {e.model}") for e in scored]])]
    return []


def _evaluation_at(a: TraceAnalysis, site: Site) -> Evaluation | None:
    """The traced score computed by the metric call the code shows at `site`."""
    return next((e for e in a.evaluations if e.cell == site.cell and e.line is not None
                 and site.line <= e.line <= site.options.get("end", site.line)), None)


def leak_column_issues(a: TraceAnalysis, notebook: Any, leak_columns: list[str]) -> list[Issue]:
    if not leak_columns:
        return []
    final_est = a.final_model()
    issues = []
    for fit in a.model_fits:
        used = [c for c in leak_columns if any(c == f or c in f for f in fit.features)]
        if not used:
            continue
        certain = fit.features_out is not None or fit.kind not in ("pipeline", "search")
        is_final = fit.est == final_est
        status = Status.FAIL if (certain and is_final) else Status.CONCERN
        issues.append(Issue(
            status=status,
            sentence=(f"{fit.final_cls} was {'trained' if certain else 'given the data'} with {', '.join(used)}, "
                      "which is only known after a customer has left (a target leak)"
                      + ("." if is_final else "; it is not the final model, but check it is gone.")),
            question=f"What does {used[0]} tell you about a customer, and when is it known?",
            evidence=[_fit_evidence(fit, notebook, f"{fit.final_cls} fitted with column(s) {', '.join(used)}",
                                    features=(fit.features or [])[:40])]))
        if status is Status.FAIL:
            break
    return issues


def _split_fed_an_evaluation(a: TraceAnalysis, cell: int) -> bool | None:
    """True when the run shows a score computed on that split's rows, False when it traced the split and no
    score was, None when the run cannot tell (not traced, or rows not comparable)."""
    splits = [s for s in a.splits if s.cell == cell]
    shares = [e.rows.share_in(s.part_rows(part)) for e in a.evaluations if e.rows is not None
              for s in splits for part in (0, 1)]
    if any(share is not None and share >= LEAK_SHARE for share in shares):
        return True
    return None if not shares or any(share is None for share in shares) else False


def _scores_from_split(a: TraceAnalysis, cell: int) -> list[Evaluation]:
    """Scores computed on rows of a split made in `cell`: its labels or most of its rows, or a cross-validation
    run in that cell."""
    splits = [s for s in a.splits if s.cell == cell]
    fed = []
    for ev in a.evaluations:
        if ev.via == "cv" and ev.cell == cell:
            fed.append(ev)
        elif ev.split is not None and ev.split in splits:
            fed.append(ev)
        elif ev.rows is not None and any((share := ev.rows.share_in(s.part_rows(part))) is not None
                                         and share >= LEAK_SHARE for s in splits for part in (0, 1)):
            fed.append(ev)
    return fed


def resampling_issues(a: TraceAnalysis, notebook: Any, cells: list[ParsedCell], *, traced: bool) -> list[Issue]:
    """Rows oversampled (SMOTE, RandomOverSampler, resample, sample(replace=True)) before the split that made
    the evaluation rows: FAIL when the run shows the reported score came from that split, else CONCERN.
    Without such code, evaluated rows that are exact copies of fitting rows well beyond a few duplicates are a
    CONCERN (the data may repeat rows by nature)."""
    if notebook is None:
        return []
    final = a.final_evaluation()
    issues = []
    for found in resampled_before_split(cells):
        scored = _scores_from_split(a, found.split.cell)
        reported = final is not None and any(e is final for e in scored)
        copies = (f" {round(100 * final.overlap)}% of the rows it was scored on are exact copies of rows it was "
                  "trained on." if reported and final.overlap else "")
        basis = ("the run shows the reported score was computed on that split's rows" if reported else
                 "the run shows other scores came from that split" if scored else
                 "read from the code, not confirmed by a run" if not traced else
                 "the reported score did not come from that split")
        issues.append(Issue(
            status=Status.FAIL if reported else Status.CONCERN,
            sentence=(f"Cell {found.resample.cell} resamples the rows with {found.sampler} before they are split "
                      f"(cell {found.split.cell}), so copies or synthetic neighbours of the same customers are on "
                      f"both sides of the split and the evaluation rows are not real customers alone ({basis})."
                      + copies + " The score is optimistic."),
            question=(f"Why was {found.sampler} applied before the split? Applied to the training part only (or "
                      "inside an imblearn Pipeline), what does the model score on untouched held-out rows?"),
            evidence=[Evidence(source="static", summary=f"{found.sampler} on all rows", cell=found.resample.cell,
                               lines=found.resample.code, data={"line": found.resample.line}),
                      Evidence(source="static", summary="the split of the resampled rows", cell=found.split.cell,
                               lines=found.split.code, data={"line": found.split.line}),
                      *([_ev_evidence(final, notebook, "the reported score")] if reported else [])]))
    if issues or final is None:
        return issues
    made_up = final.rows.synthetic if final.rows is not None else None
    if made_up and final.rows.n:
        return [Issue(
            status=Status.FAIL,
            sentence=(f"{made_up} of the {final.rows.n} rows the reported score of {final.model} was computed on were "
                      "made up by an oversampler (SMOTE or the like), so the sampler ran before the split: the "
                      "evaluation rows are partly synthetic neighbours of training rows and the score is optimistic."),
            question="Where in the notebook does the oversampling happen, and what does the model score on real "
                     "held-out customers only?",
            evidence=[_ev_evidence(final, notebook, f"{final.metric} on {final.rows.n} rows, {made_up} synthetic")])]
    # rows with few distinct values (two features, counts, ratings) match across any split by value alone, so
    # there copies cannot be told from other records with the same values
    natural = final.fit is not None and final.fit.rows is not None and final.fit.rows.repetitive
    if final.overlap is None or natural or not HELD_OUT_BELOW <= final.overlap <= TRAINING_ABOVE:
        return issues
    return [Issue(
        status=Status.CONCERN,
        sentence=(f"{round(100 * final.overlap)}% of the rows the reported score of {final.model} was computed on "
                  "are exact copies of rows it was trained on, far more than a few duplicate records; rows may "
                  "have been duplicated (oversampled) before the split."),
        question="Were rows duplicated before you split the data, and how does the model score on rows it never saw?",
        evidence=[_ev_evidence(final, notebook, f"{final.metric} on rows of which {round(100 * final.overlap)}% "
                                                "were also fitted on")])]


def target_statistics_issues(a: TraceAnalysis, notebook: Any, cells: list[ParsedCell], exercise: Any, *,
                             traced: bool) -> list[Issue]:
    """A per-group statistic of the target computed on all rows (pandas target encoding) before the split: FAIL
    when the run shows the reported score came from that split and its model was fitted with the column (when
    the columns are known), CONCERN otherwise; nothing when the fitted columns are known and exclude it."""
    if notebook is None:
        return []
    final = a.final_evaluation()
    issues = []
    target = exercise.target_column if exercise is not None else None
    for found in target_statistics_before_split(cells, target=target):
        features = final.fit.features if final is not None and final.fit is not None else []
        used = None if not (found.column and features) else found.column in features
        if used is False:
            continue
        reported = final is not None and any(e is final for e in _scores_from_split(a, found.split.cell))
        column = f" ({found.column})" if found.column else ""
        basis = ("the run shows the reported score came from that split" if reported else
                 "read from the code, not confirmed by a run" if not traced else
                 "the run does not show the reported score coming from that split")
        issues.append(Issue(
            status=Status.FAIL if reported and used is not False else Status.CONCERN,
            sentence=(f"Cell {found.statistic.cell} computes {found.what} on all rows and its result shapes the "
                      f"features{column} before the split (cell {found.split.cell}), so the evaluation rows' labels "
                      f"helped build the model's inputs ({basis}). This is target leakage and the score is "
                      "optimistic."),
            question=("How would you compute that encoding from the training rows only (or out of fold), and what "
                      "does the model score then?"),
            evidence=[Evidence(source="static", summary="target statistic on all rows", cell=found.statistic.cell,
                               lines=found.statistic.code, data={"line": found.statistic.line,
                                                                  "column": found.column}),
                      Evidence(source="static", summary="the split that follows", cell=found.split.cell,
                               lines=found.split.code, data={"line": found.split.line})]))
    return issues


def frame_statistics_issues(a: TraceAnalysis, cells: list[ParsedCell]) -> list[Issue]:
    """Plain-pandas statistics of the whole frame filling or scaling it before the split (code only: CONCERN)."""
    issues = []
    for found in frame_fills_before_split(cells):
        scored = _split_fed_an_evaluation(a, found.split.cell)
        if scored is False:
            continue
        basis = ("read from the code; the run shows the split's rows were scored" if scored
                 else "read from the code, not confirmed by a run")
        issues.append(Issue(
            status=Status.CONCERN,
            sentence=(f"Cell {found.fill.cell} {'fills' if found.how == 'fill' else 'scales'} the data with the "
                      f"{found.statistic} of the whole frame {found.frame} before it is split (cell "
                      f"{found.split.cell}), so the rows later used for evaluation helped compute "
                      f"{'them' if ',' in found.statistic else 'it'} ({basis}). "
                      "The effect on the score is usually small, but it is a habit worth discussing."),
            question=(f"The {found.statistic} used to {'fill missing values' if found.how == 'fill' else 'scale'} "
                      f"in cell {found.fill.cell} was computed before the split, on rows that include your "
                      "evaluation rows: how would you compute it from the training rows only (for example an "
                      "imputer or scaler inside a Pipeline), and would you expect the score to change?"),
            evidence=_frame_fill_evidence(found)))
    return issues


def _frame_fill_evidence(found: FrameFill) -> list[Evidence]:
    return [Evidence(source="static", summary=f"{found.statistic} of {found.frame} used to {found.how} it before "
                                              "the split", cell=found.fill.cell, lines=found.fill.code,
                     data={"line": found.fill.line, "statistic": found.statistic, "frame": found.frame}),
            Evidence(source="static", summary="the split that produced the evaluation rows", cell=found.split.cell,
                     lines=found.split.code, data={"line": found.split.line})]


def loop_selection_issues(facts: StaticFacts, *, hand_only: bool) -> list[Issue]:
    """A loop that fits models and scores each on held-out labels, read from the code (CONCERN): with a run, only
    loops whose scores are computed by hand, which the trace cannot see."""
    issues = []
    for loop, scores in facts.loops_scoring_heldout(hand_only=hand_only)[:1]:
        issues.append(Issue(
            status=Status.CONCERN,
            sentence=(f"The loop in cell {loop.cell} fits a model on each pass and scores it against held-out labels "
                      f"({scores[0].args[0]}); choosing the best pass there chooses on the test rows, so the score "
                      "reported for it is optimistic (read from the code, not confirmed by a run)."),
            question="How did you choose among the settings in that loop, and which rows would give an unbiased "
                     "score for the one you chose?",
            evidence=[Evidence(source="static", summary="a loop that fits and scores on held-out labels",
                               cell=loop.cell, lines=loop.code, data=loop.evidence_data()),
                      Evidence(source="static", summary=f"{scores[0].name} on {scores[0].args[0]}", cell=scores[0].cell,
                               lines=scores[0].code, data=scores[0].evidence_data())]))
    return issues


def early_stop_issues(facts: StaticFacts, a: TraceAnalysis) -> list[Issue]:
    """Boosting rounds stopped early on held-out rows that a later score is computed on, read from the code where
    the run traced no early stop in that cell (it stopped before, or the library is not traced): CONCERN."""
    traced_cells = {stop.cell for stop in a.early_stops}
    for stop, score in facts.early_stops_scored_on_the_same_rows():
        if stop.cell in traced_cells:
            continue
        return [Issue(
            status=Status.CONCERN,
            sentence=(f"Cell {stop.cell} stops the boosting rounds early on an evaluation set of "
                      f"{', '.join(stop.args)}, and the score in cell {score.cell} is computed on those rows "
                      f"({score.args[0]}), so the number of rounds was chosen on them and the score is optimistic "
                      "(read from the code, not confirmed by a run)."),
            question="Which rows chose the number of boosting rounds, and which rows did the reported score come "
                     "from?",
            evidence=[Evidence(source="static", summary="early stopping on held-out rows", cell=stop.cell,
                               lines=stop.code, data=stop.evidence_data()),
                      Evidence(source="static", summary=f"{score.name} on {score.args[0]}", cell=score.cell,
                               lines=score.code, data=score.evidence_data())])]
    return []


def static_issues(facts: StaticFacts, leak_columns: list[str]) -> list[Issue]:
    """Indications from the code alone: at most CONCERN."""
    issues = loop_selection_issues(facts, hand_only=False)
    early = [s for s in facts.transformer_fits if facts.before_first_split(s)]
    if early:
        s = early[0]
        issues.append(Issue(
            status=Status.CONCERN,
            sentence=(f"The code fits {s.name} before it splits the data (read from the code, not confirmed by "
                      "a run), which would let held-out rows inform "
                      + ("feature selection." if SUPERVISED_NAME.match(s.name) else "the preprocessing.")),
            question=f"Which rows was {s.name} fitted on?",
            evidence=[Evidence(source="static", summary=f"{s.name} fitted before the first split", cell=s.cell,
                               lines=s.code, data=s.evidence_data())]))
    if facts.train_only_metrics and not facts.heldout_metrics and facts.metrics:
        s = facts.train_only_metrics[-1]
        issues.append(Issue(
            status=Status.CONCERN,
            sentence="The code only scores predictions against training labels (read from the code, not confirmed "
                     "by a run).",
            question="Which rows is your reported score computed on?",
            evidence=[Evidence(source="static", summary="metric on training labels", cell=s.cell, lines=s.code,
                               data=s.evidence_data())]))
    for column in leak_columns:
        sites = facts.string_literals.get(column, [])
        dropped = any("drop" in s.code or "exclude" in s.code.lower() or "leak" in s.code.lower() for s in sites)
        if sites and not dropped:
            issues.append(Issue(
                status=Status.CONCERN,
                sentence=f"The code names {column}, a target leak, and nowhere visibly drops it (read from the code).",
                question=f"Is {column} among the model's features?",
                evidence=[Evidence(source="static", summary=f"{column} mentioned", cell=s.cell, lines=s.code,
                                   data=s.evidence_data()) for s in sites[:EVIDENCE_EVENTS]]))
    return issues


TRACED = "checked from the run (trace)"
READ = "checked from the code only (read, not run)"
UNCHECKED = "could not check"


def sub_checks(exercise: Any, *, traced: bool, leak_traced: bool, time_order: str) -> dict[str, str]:
    """What this finding rests on, part by part, so that a pass is never read as more than was checked."""
    if exercise is None:
        leak = "not applicable: no exercise, so no known leak column"
    else:
        leak = TRACED if leak_traced else READ
    return {
        "training_set_evaluation": TRACED if traced else READ,
        "transformers_fitted_before_split": TRACED if traced else READ,
        "pandas_statistics_before_split": READ,
        "selection_on_reported_rows": TRACED if traced else "not checked: needs a run that computed scores",
        "leak_column": leak,
        "time_order": time_order,
    }


def _time_column(exercise: Any) -> str | None:
    if exercise is None or exercise.task_type != "forecasting":
        return None
    return exercise.time_column


def _not_applicable_time_order(exercise: Any) -> str:
    if exercise is None:
        return "not applicable: no exercise, so not known to be a forecasting task"
    if exercise.task_type != "forecasting":
        return f"not applicable: not a forecasting exercise ({exercise.task_type})"
    return "not applicable: the exercise names no time column"


def _time_issue(v: TimeVerdict, status: Status, column: str, notebook: Any) -> Issue:
    source = "static" if v.basis == "static" else "trace"
    return Issue(status=status, sentence=v.sentence,
                 question=(f"How did you split the rows in time ({column}), and would your score hold for a period "
                           "after all the data you trained on?"),
                 evidence=[Evidence(source=source, summary=f"time order ({v.basis})", cell=v.cell,
                                    lines=cell_line(notebook, v.cell, v.line), data=v.data(column))])


def time_order_issues(a: TraceAnalysis, facts: StaticFacts, notebook: Any, exercise: Any, *,
                      traced: bool) -> tuple[list[Issue], str]:
    """Training rows later than evaluation rows, for forecasting exercises; and the sub-check's summary.

    FAIL only for the reported (final) score; other scores' problems are at most a CONCERN."""
    column = _time_column(exercise)
    if column is None:
        return [], _not_applicable_time_order(exercise)
    if not traced:
        found = static_verdicts(facts)
        if found:
            return [_time_issue(found[0], Status.CONCERN, column, notebook)], f"{READ}: {found[0].sentence}"
        return [], f"{UNCHECKED}: no score was traced and the code shows no random split"
    final = a.final_evaluation()
    verdicts = [verdict(a, ev, column) for ev in a.evaluations if not ev.is_baseline and ev.heldout is not False]
    capped = [(v, v.status if v.evaluation is final or v.status is not Status.FAIL else Status.CONCERN)
              for v in verdicts]
    bad = [(v, status) for v, status in capped if status in (Status.FAIL, Status.CONCERN)]
    issues = []
    if bad:
        worst, status = max(bad, key=lambda pair: (pair[1].severity, pair[0].evaluation is final))
        issues.append(_time_issue(worst, status, column, notebook))
    reported = next((v for v in verdicts if v.evaluation is final), None)
    if reported is None:
        return issues, f"{UNCHECKED}: no held-out score of a model was traced"
    if reported.status is Status.COULD_NOT_CHECK:
        return issues, f"{UNCHECKED}: {reported.sentence}"
    return issues, f"{TRACED}: {reported.sentence}"


def future_feature_issues(cells: list[ParsedCell], exercise: Any) -> list[Issue]:
    """Forecasting exercises: features made from the target with later days' values (code only: CONCERN)."""
    if _time_column(exercise) is None:
        return []
    target = exercise.target_column
    return [Issue(
        status=Status.CONCERN,
        sentence=(f"Cell {f.cell} computes a feature from {target} with {f.how}, which uses later days' values: "
                  "in validation it tells the model about the days it is scored on, and in the forecast window "
                  "those values do not exist yet (read from the code)."),
        question=(f"In cell {f.cell}, which days' {target} does that feature use for a given day, and what would "
                  "it be when you forecast the next 28 days?"),
        evidence=[Evidence(source="static", summary=f"{target} with {f.how}", cell=f.cell, lines=f.code,
                           data={"line": f.line, "how": f.how})])
        for f in future_features(cells, target)]


def _unchecked_note(time_order: str) -> str:
    """A sentence for the explanation when a part that matters for this exercise was not checked."""
    if time_order.startswith(UNCHECKED):
        reason = time_order[len(UNCHECKED):].lstrip(": ").rstrip(".")
        return f" Time order could not be checked ({reason}); review it by hand."
    return ""


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _why_not_traced(ctx: GradingContext, a: TraceAnalysis) -> str:
    run = ctx.run
    if run is None or not a.started:
        return "the notebook was not run with the tracer"
    if getattr(run, "failed_cell", None) is not None:
        if a.evaluations:
            return (f"the run stopped at cell {run.failed_cell} before any model was scored (the scores it computed "
                    "before that are not a model's)")
        return f"the run stopped at cell {run.failed_cell} before any evaluation"
    return "the run computed no scikit-learn metric, score or cross-validation"


def run(ctx: GradingContext) -> Finding:
    notebook = ctx.notebook
    a, facts, cells = ctx.analysis, ctx.static, ctx.cells
    leak_columns = ctx.exercise.leak_columns if ctx.exercise is not None else []
    # Scores computed before a run stopped short of scoring any model (r2_score between two columns, checking a
    # formula) say nothing about the model's evaluation: the code is all there is to read.
    stopped_before_any_model = (not any(e.model for e in a.evaluations)
                                and getattr(ctx.run, "failed_cell", None) is not None)
    traced = bool(a.evaluations) and not stopped_before_any_model
    details: dict[str, Any] = {"basis": "trace" if traced else "static",
                               "evaluations": [e.describe() for e in a.evaluations[:50]],
                               "hook_errors": len(a.errors), "trace_truncated": a.truncated}
    issues = leak_column_issues(a, notebook, leak_columns)
    notes: list[str] = []
    if traced:
        training, notes = training_set_issues(a, notebook, facts)
        selection = selection_issues(a, notebook) or two_models_compared_issues(a, facts, notebook)
        issues += training + transformer_issues(a, notebook) + selection
        issues += [] if selection else loop_selection_issues(facts, hand_only=True)
    else:
        issues += static_issues(facts, [] if a.model_fits else leak_columns)
        issues += [i for i in [no_evaluation_issue(ctx, a, facts)] if i is not None]
    issues += early_stop_issues(facts, a)
    issues += frame_statistics_issues(a, cells) + resampling_issues(a, notebook, cells, traced=traced)
    issues += future_feature_issues(cells, ctx.exercise)
    issues += target_statistics_issues(a, notebook, cells, ctx.exercise, traced=traced)
    time_issues, time_order = time_order_issues(a, facts, notebook, ctx.exercise, traced=traced)
    issues += time_issues
    details["sub_checks"] = sub_checks(ctx.exercise, traced=traced, leak_traced=bool(a.model_fits),
                                       time_order=time_order)
    details["issues"] = [{"status": i.status.value, "sentence": i.sentence} for i in issues]
    details["notes"] = notes
    unchecked = _unchecked_note(time_order) + "".join(" " + n for n in notes)
    if issues:
        issues.sort(key=lambda i: -i.status.severity)
        worst = issues[0]
        evidence = [ev for issue in issues for ev in issue.evidence]
        return Finding(check=CHECK_ID, title=TITLE, status=worst.status, explanation=worst.sentence + unchecked,
                       evidence=evidence, question=worst.question, details=details)
    if not traced:
        reason = _why_not_traced(ctx, a)
        found = facts.heldout_metrics or facts.splits
        where = (f" The code does appear to split the data and score held-out rows "
                 f"(cell {found[0].cell}), but that was read, not run." if found else "")
        return Finding(check=CHECK_ID, title=TITLE, status=Status.COULD_NOT_CHECK,
                       explanation=f"Held-out evaluation could not be verified because {reason}.{where}{unchecked}",
                       evidence=[Evidence(source="static", summary=f"{s.name} in the code", cell=s.cell, lines=s.code,
                                          data=s.evidence_data()) for s in found[:EVIDENCE_EVENTS]],
                       question="Walk me through how you estimated performance on unseen customers.",
                       details=details)
    held = [e for e in a.evaluations if e.heldout and not e.is_baseline] or [e for e in a.evaluations if e.heldout]
    if not held and facts.hand_metrics and facts.heldout_metrics:
        site = facts.heldout_metrics[-1]
        return Finding(check=CHECK_ID, title=TITLE, status=Status.COULD_NOT_CHECK,
                       explanation=("The traced scores are not on held-out rows, but the code computes a score by hand "
                                    f"against held-out labels ({site.args[0]}, cell {site.cell}), which the run cannot "
                                    "confirm." + unchecked),
                       evidence=[Evidence(source="static", summary="score computed by hand", cell=site.cell,
                                          lines=site.code, data=site.evidence_data())],
                       question="Walk me through how you estimated performance on unseen customers.", details=details)
    if not held:
        return Finding(check=CHECK_ID, title=TITLE, status=Status.CONCERN,
                       explanation="The notebook computed scores, but none could be confirmed to be on held-out rows."
                                   + unchecked,
                       evidence=[_ev_evidence(e, notebook, f"{e.metric} {_fmt(e.value)}")
                                 for e in a.evaluations[-EVIDENCE_EVENTS:]],
                       question="Which rows were your reported scores computed on?", details=details)
    shown = held[-EVIDENCE_EVENTS:]
    return Finding(check=CHECK_ID, title=TITLE, status=Status.PASS,
                   explanation=(f"Models were scored on rows they were not fitted on ({len(held)} held-out "
                                "evaluation(s)) and no preprocessing or selection used those rows." + unchecked),
                   evidence=[_ev_evidence(e, notebook, f"{e.metric} {_fmt(e.value)} for {e.model} on held-out rows"
                                                       f" (overlap with fitting rows {_fmt(e.overlap)})")
                             for e in shown],
                   details=details)

