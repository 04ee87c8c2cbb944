"""After a batch: work shared between submissions, as a finding in both reports and a list in the index.

Three kinds of evidence, for the same exercise: notebooks whose own code (the starter's removed) largely matches
(takehome_harness.harness.similarity), byte-identical predictions files that are not a constant, and predictions that
fit another candidate's data variant better than their own. Never a verdict: a concern with
its evidence, for the reviewer.

The reports were written per submission before this step, so each one involved is read back, given the finding
and rendered again; both files are made in memory and validated before either is replaced, and a report that
cannot be redone keeps its old files (the failure is listed in the index, the rest of the batch goes on).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

import nbformat

from takehome_harness.graders.finding import Evidence, Finding, Status
from takehome_harness.harness.atomic_files import write_text_atomic
from takehome_harness.harness.report.model import ReportPlots
from takehome_harness.harness.similarity import CodePair, NotebookCode, code_cells, similar_pairs

CHECK_ID = "shared_work"
TITLE = "Shared work across the batch"
STARTER = "starter.ipynb"
# Predictions "fit another variant better" when they cover its test rows and beat their own fit by this much.
BETTER_BY = {True: 0.05, False: 0.2}   # higher-is-better metrics: absolute; error metrics: relative
MIN_COVERAGE = 0.9


@dataclass
class Submission:
    label: str
    name: str                           # candidate's name, or the label when blind
    report_dir: Path
    document: dict[str, Any]
    plots: ReportPlots | None = None    # the plots its grade drew, if this process has them

    @property
    def exercise_id(self) -> str | None:
        return (self.document.get("exercise") or {}).get("id")

    @property
    def bundle_id(self) -> str | None:
        variant = self.document.get("variant") or {}
        return variant.get("bundle_id") if variant.get("verified") else None

    @property
    def predictions(self) -> Path | None:
        path = self.report_dir / "predictions.csv"
        return path if path.is_file() else None

    @cached_property
    def predictions_frame(self) -> Any | None:
        """predictions.csv checked against the exercise's contract (not against any variant's ids), read once
        for the whole comparison; None when there is no file, no exercise or the file breaks the contract."""
        if self.predictions is None or self.exercise_id is None:
            return None
        from takehome_harness.harness.exercise import load_exercise
        from takehome_harness.harness.scoring import PredictionsContract, check_predictions

        contract = PredictionsContract.from_exercise(load_exercise(self.exercise_id))
        return check_predictions(path=self.predictions, contract=contract, expected_ids=None).frame

    @cached_property
    def prediction_ids(self) -> frozenset:
        """The ids predictions_frame covers (a batch compares every verified pair both ways)."""
        return frozenset(self.predictions_frame["id"].tolist())

    @property
    def scored_on_own_variant(self) -> bool:
        """Grading scored these predictions on the submission's own hidden labels, which it does only when they
        have exactly its variant's test ids, each once."""
        return bool(self.bundle_id) and (self.document.get("scores") or {}).get("hidden") is not None

    def notebook(self) -> Any | None:
        path = self.report_dir / "executed.ipynb"
        return nbformat.read(str(path), as_version=4) if path.is_file() else None


@dataclass
class SharedPair:
    left: Submission
    right: Submission
    code: CodePair | None = None
    identical_predictions: bool = False
    variant_fits: list[tuple[str, str]] = field(default_factory=list)   # (label whose predictions, sentence)

    def summary(self) -> str:
        parts = []
        if self.code:
            parts.append(f"code {self.code.similarity:.0%} alike")
        if self.identical_predictions:
            parts.append("identical predictions")
        if self.variant_fits:
            parts.append("predictions fit the other's data")
        return ", ".join(parts)


@dataclass
class SharedWork:
    pairs: list[SharedPair]
    problems: list[str]                 # reports that could not be updated, or the step itself failing


def find_shared_work(submissions: list[Submission]) -> list[SharedPair]:
    """Every pair of submissions of the same exercise with any of the three kinds of evidence."""
    pairs: dict[tuple[str, str], SharedPair] = {}

    def pair(a: Submission, b: Submission) -> SharedPair:
        return pairs.setdefault((a.label, b.label), SharedPair(left=a, right=b))

    groups: dict[str | None, list[Submission]] = {}
    for sub in submissions:
        groups.setdefault(sub.exercise_id, []).append(sub)
    for exercise_id, group in groups.items():
        by_label = {s.label: s for s in group}
        codes = [NotebookCode(s.label, code_cells(nb)) for s in group if (nb := s.notebook()) is not None]
        for found in similar_pairs(codes, starter=starter_notebook(exercise_id)):
            pair(by_label[found.left], by_label[found.right]).code = found
        if exercise_id is None:
            continue
        for a, b in identical_predictions(group, exercise_id):
            pair(a, b).identical_predictions = True
        for a, b, whose, sentence in variant_fits(group, exercise_id):
            pair(a, b).variant_fits.append((whose, sentence))
    order = {s.label: i for i, s in enumerate(submissions)}
    return sorted(pairs.values(), key=lambda p: (order[p.left.label], order[p.right.label]))


@cache
def starter_notebook(exercise_id: str | None) -> Any | None:
    if exercise_id is None:
        return None
    from takehome_harness.harness.exercise import load_exercise

    source = load_exercise(exercise_id).file(STARTER)
    return nbformat.reads(source.read_text(), as_version=4) if source.is_file() else None


def identical_predictions(group: list[Submission], exercise_id: str) -> list[tuple[Submission, Submission]]:
    """Pairs whose predictions files are byte for byte the same, unless every prediction is one constant (the
    starter's placeholder writes one)."""
    digests = {}
    for sub in group:
        frame = sub.predictions_frame
        if frame is not None and frame["prediction"].nunique() > 1:
            digests[sub.label] = hashlib.sha256(sub.predictions.read_bytes()).hexdigest()
    return [(a, b) for a, b in combinations(group, 2)
            if a.label in digests and digests.get(b.label) == digests[a.label]]


@cache
def _variant_labels(exercise_id: str, bundle_id: str) -> Any:
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.materialize import hidden_labels
    from takehome_harness.harness.variants import grading_secret, variant_seed

    exercise = load_exercise(exercise_id)
    seed = variant_seed(exercise_id=exercise_id, bundle_id=bundle_id, secret=grading_secret())
    return hidden_labels(exercise=exercise, seed=seed)


def _fit(frame: Any, labels: Any, exercise: Any) -> tuple[float, float | None]:
    """(share of the variant's test rows these predictions cover, primary metric on them)."""
    import pandas as pd

    from takehome_harness.harness.metrics import compute_metrics
    from takehome_harness.harness.scoring import row_keys

    truth = pd.DataFrame({"key": row_keys(labels, exercise.id_columns).to_numpy(),
                          "target": labels[exercise.target_column].to_numpy()})
    joined = truth.merge(frame.rename(columns={"id": "key"}), on="key", how="inner")
    coverage = len(joined) / len(truth) if len(truth) else 0.0
    if coverage < MIN_COVERAGE:
        return coverage, None
    metric = exercise.primary_metric
    value = compute_metrics(y_true=joined["target"], y_score=joined["prediction"], metrics=[metric])
    return coverage, value[metric]


def _own_fit(sub: Submission, exercise: Any) -> tuple[float, float | None]:
    """_fit of a submission's predictions on its own variant: from its report when grading scored them (then they
    cover every test row; a metric left out of the report was undefined there), else computed."""
    if sub.scored_on_own_variant:
        return 1.0, sub.document["scores"]["hidden"].get(exercise.primary_metric, math.nan)
    return _fit(sub.predictions_frame, _variant_labels(exercise.id, sub.bundle_id), exercise)


def _may_cover(whose: Submission, other: Submission) -> bool:
    """False only when whose predictions certainly cover less than MIN_COVERAGE of the other variant's test rows,
    told from the other's own scored predictions (exactly its test ids), so its labels need not be regenerated."""
    if not other.scored_on_own_variant:
        return True
    their_ids = other.prediction_ids
    return len(their_ids.intersection(whose.prediction_ids)) >= MIN_COVERAGE * len(their_ids)


def variant_fits(group: list[Submission], exercise_id: str) -> list[tuple[Submission, Submission, str, str]]:
    """(a, b, whose predictions, sentence) for predictions that fit the other's data variant better than their
    own: they cover its test rows when they do not cover their own, or they score clearly better on them.
    Each file is read once and each variant's labels regenerated at most once (only when another submission's
    predictions cover its test rows); the own score is the one grading put in the report."""
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.metrics import higher_is_better

    exercise = load_exercise(exercise_id)
    verified = [s for s in group if s.bundle_id and s.predictions]
    if len({s.bundle_id for s in verified}) < 2:
        return []
    metric = exercise.primary_metric
    higher = higher_is_better(metric)
    own_fits: dict[str, tuple[float, float | None]] = {}
    found = []
    for a, b in combinations(verified, 2):
        if a.bundle_id == b.bundle_id:
            continue
        for whose, other in ((a, b), (b, a)):
            frame = whose.predictions_frame
            if frame is None or not _may_cover(whose, other):
                continue
            other_cover, theirs = _fit(frame, _variant_labels(exercise_id, other.bundle_id), exercise)
            if theirs is None:
                continue
            if whose.label not in own_fits:
                own_fits[whose.label] = _own_fit(whose, exercise)
            own_cover, own = own_fits[whose.label]
            if own is None:
                sentence = (f"covers {other_cover:.0%} of the other variant's test rows but only {own_cover:.0%} of "
                            f"its own; {metric} {theirs:.3f} on the other's hidden labels")
            elif (theirs - own >= BETTER_BY[True]) if higher else (own > 0 and (own - theirs) / own >= BETTER_BY[False]):
                sentence = f"{metric} {theirs:.3f} on the other's hidden labels against {own:.3f} on its own"
            else:
                continue
            found.append((a, b, whose.label, sentence))
    return found


# --- the finding in each report -----------------------------------------------------------------------------

def _other(pair: SharedPair, me: Submission) -> Submission:
    return pair.right if pair.left is me else pair.left


def finding_for(me: Submission, pairs: list[SharedPair]) -> Finding | None:
    mine = [p for p in pairs if me in (p.left, p.right)]
    if not mine:
        return None
    evidence, details = [], []
    for pair in mine:
        other = _other(pair, me)
        if pair.code:
            share_mine, share_theirs = ((pair.code.left_share, pair.code.right_share) if pair.left is me
                                        else (pair.code.right_share, pair.code.left_share))
            evidence.append(Evidence(source="static", summary=(
                f"{share_mine:.0%} of this notebook's own code (the starter's removed) is also in {other.name}'s, "
                f"and {share_theirs:.0%} of theirs is in this one ({pair.code.shared_tokens} tokens in common, "
                "names ignored, in any cell order)."),
                data={"other": other.label, "similarity": round(pair.code.similarity, 3)}))
        if pair.identical_predictions:
            evidence.append(Evidence(source="predictions", summary=(
                f"predictions.csv is byte for byte the same as {other.name}'s."), data={"other": other.label}))
        for whose, sentence in pair.variant_fits:
            subject = "These predictions" if whose == me.label else f"{other.name}'s predictions"
            target = f"{other.name}'s data variant" if whose == me.label else "this submission's data variant"
            evidence.append(Evidence(source="predictions", summary=f"{subject} fit {target} better than their own: "
                                                                    f"{sentence}.", data={"other": other.label}))
        details.append({"other": other.label, "other_name": other.name,
                        "other_report": f"../{other.report_dir.name}/report.html", "summary": pair.summary(),
                        "cells": _cells_side_by_side(pair, me)})
    names = ", ".join(d["other_name"] for d in details)
    return Finding(
        check=CHECK_ID, title=TITLE, status=Status.CONCERN,
        explanation=(f"Parts of this submission closely match {names} in the same batch. This is evidence for the "
                     "reviewer, not a verdict: a shared tutorial, a common snippet or permitted help can explain it."),
        evidence=evidence, details={"pairs": details},
        question="Parts of your work closely match another submission: walk me through how you wrote the cells "
                 "shown under 'Shared work', and where the approach came from.")


def _cells_side_by_side(pair: SharedPair, me: Submission) -> list[dict[str, Any]]:
    if pair.code is None:
        return []
    mine_left = pair.left is me
    return [{"this_cell": (m.left if mine_left else m.right).index,
             "this_source": (m.left if mine_left else m.right).source,
             "other_cell": (m.right if mine_left else m.left).index,
             "other_source": (m.right if mine_left else m.left).source,
             "similarity": round(m.similarity, 3)}
            for m in sorted(pair.code.cells, key=lambda m: (m.left if mine_left else m.right).index)]


# --- rewriting the reports ---------------------------------------------------------------------------------

def rewrite_report(sub: Submission, finding: Finding | None) -> dict[str, Any]:
    """The report with its shared-work finding replaced, report.html and report.json written again; both are
    made and validated before either file is replaced. Returns the new report.json document."""
    from takehome_harness.harness.report.html_report import draw_plots, render_report_html
    from takehome_harness.harness.report.json_report import report_document, validation_errors, write_json_report
    from takehome_harness.harness.report.model import debrief_from
    from takehome_harness.harness.report.reload import report_from_document

    report = report_from_document(sub.document)
    report.findings = [f for f in report.findings if f.check != CHECK_ID] + ([finding] if finding else [])
    report.debrief = debrief_from(report.findings)
    # the plots show scores and cell times, which the finding does not change: drawn again only for a report
    # graded by an earlier run (the batch's own grades hand theirs over)
    html = render_report_html(report, notebook=sub.notebook(),
                              plots=sub.plots if sub.plots is not None else draw_plots(report, _curves(sub)))
    report.warnings = list(dict.fromkeys(report.warnings))  # rendered twice: a part unavailable is said once
    errors = validation_errors(report_document(report))
    if errors:
        raise ValueError("report.json would not match its schema: " + "; ".join(errors[:5]))
    write_text_atomic(sub.report_dir / "report.html", html)
    return write_json_report(report, sub.report_dir / "report.json")


def _curves(sub: Submission) -> Any | None:
    """The ROC / precision-recall plot's data, from the kept predictions and the variant's hidden labels."""
    if not (sub.bundle_id and sub.predictions and sub.exercise_id):
        return None
    from takehome_harness.graders.score import checked_predictions, hidden_score
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.report.model import HiddenCurves

    exercise, labels = load_exercise(sub.exercise_id), _variant_labels(sub.exercise_id, sub.bundle_id)
    hidden = hidden_score(exercise=exercise, labels=labels,
                          checked=checked_predictions(exercise=exercise, path=sub.predictions, labels=labels))
    return HiddenCurves(hidden.y_true, hidden.y_score) if hidden.y_true is not None else None


def mark_shared_work(submissions: list[Submission]) -> SharedWork:
    """Compare the graded submissions, then give every report that gains, changes or loses the finding its new
    version (sub.document is updated in place). Nothing here stops the batch."""
    problems: list[str] = []
    try:
        pairs = find_shared_work(submissions)
    except Exception as exc:  # noqa: BLE001 - the reports and the index must still be written
        return SharedWork(pairs=[], problems=[f"the shared-work comparison failed ({type(exc).__name__}: {exc})"])
    for sub in submissions:
        finding = finding_for(sub, pairs)
        had = any(f["check"] == CHECK_ID for f in sub.document["findings"])
        if finding is None and not had:
            continue
        try:
            sub.document = rewrite_report(sub, finding)
        except Exception as exc:  # noqa: BLE001 - this report keeps its old files; the others go on
            problems.append(f"{sub.label}: the shared-work finding could not be added ({type(exc).__name__}: {exc})")
    return SharedWork(pairs=pairs, problems=problems)


def mark_batch(outcomes: list[Any]) -> SharedWork:
    """The batch's step: the graded outcomes' reports get the finding; each outcome's document is replaced by its
    report's new version."""
    graded = [o for o in outcomes if o.document["outcome"] == "graded"]
    subs = [Submission(label=o.document["submission"]["label"], report_dir=o.report_dir, document=o.document,
                       plots=o.plots, name=o.document["submission"]["label"] if o.document["blind"]
                       else (o.document.get("candidate") or o.document["submission"]["label"])) for o in graded]
    if len(subs) < 2 and not any(f["check"] == CHECK_ID for s in subs for f in s.document["findings"]):
        return SharedWork(pairs=[], problems=[])
    shared = mark_shared_work(subs)
    for outcome, sub in zip(graded, subs):
        outcome.document = sub.document
    return shared


def shared_pair_rows(shared: SharedWork, *, out_dir: Path) -> list[Any]:
    from takehome_harness.harness.report.index import SharedPairRow

    href = lambda sub: (sub.report_dir / "report.html").relative_to(out_dir).as_posix()  # noqa: E731
    return [SharedPairRow(left=p.left.name, left_href=href(p.left), right=p.right.name, right_href=href(p.right),
                          evidence=p.summary()) for p in shared.pairs]
