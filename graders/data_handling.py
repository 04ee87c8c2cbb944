"""Data handling: did the candidate notice the data's usual traps? Concerns only, never a fail.

Signals (read from the code's AST, markdown text, code comments and the run's trace; each listed with what it
rests on):
  missing_values   an imputer, fillna/dropna/interpolate, or a model that handles NaN natively (in the code
                   or fitted during the run)
  leak_column      the exercise's leak column dropped/excluded in code, or named in markdown or a comment -
                   unless the trace shows the final model was fitted on it (skipped in generic mode)
  class_imbalance  an imbalance-aware metric (ROC AUC, average precision, F1, balanced accuracy, log loss, ...)
                   rather than only accuracy, or class weights / resampling
  duplicates       drop_duplicates() or duplicated()
With an exercise, only the traps its data has apply (exercise.json `traps`); in generic mode missing values and
duplicates always apply and class imbalance applies when the notebook does classification.
PASS when every applicable signal is present, CONCERN listing the missing ones, NOT_APPLICABLE when none apply.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any

from takehome_harness.graders._notebook_ast import ParsedCell, called_name, cell_source, source_line
from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status
from takehome_harness.harness.metrics import canonical_metric

CHECK_ID = "data_handling"
TITLE = "Data handling"
ORDER = 60

BASIS_SHOWN = 3

_IMPUTE_CALLS = {"fillna", "dropna", "interpolate", "ffill", "bfill", "SimpleImputer", "IterativeImputer",
                 "KNNImputer", "MissingIndicator"}
_NAN_NATIVE_MODELS = re.compile(r"^(HistGradientBoosting\w+|LGBM\w+|XGB\w+|CatBoost\w+)$")
_DROP_CALLS = {"drop", "pop", "difference", "remove", "discard", "exclude", "drop_columns", "select_dtypes"}
_EXCLUDING_NAME = re.compile(r"(?i)drop|exclud|leak|remov|ignor|blacklist|deny|banned|unused")
_AWARE_METRICS = {"roc_auc_score", "average_precision_score", "f1_score", "fbeta_score", "balanced_accuracy_score",
                  "log_loss", "precision_recall_curve", "roc_curve", "classification_report", "precision_score",
                  "recall_score", "brier_score_loss", "matthews_corrcoef", "cohen_kappa_score", "auc",
                  "RocCurveDisplay", "PrecisionRecallDisplay"}
_AWARE_SCORING = re.compile(r"^(roc_auc\w*|average_precision|f1\w*|balanced_accuracy|neg_log_loss|precision\w*|"
                            r"recall\w*|neg_brier_score|matthews_corrcoef)$")
_REBALANCING_KWARGS = {"class_weight", "scale_pos_weight", "is_unbalance", "auto_class_weights", "sample_weight"}
_RESAMPLERS = {"SMOTE", "ADASYN", "RandomOverSampler", "RandomUnderSampler", "SMOTETomek", "SMOTEENN"}
_CLASSIFICATION = re.compile(r"Classifier$|^(LogisticRegression\w*|SVC|LinearSVC|GaussianNB|roc_auc_score|"
                             r"accuracy_score|f1_score|classification_report|confusion_matrix)$")
_DUPLICATE_CALLS = {"drop_duplicates", "duplicated"}


@dataclass
class Signal:
    name: str
    label: str
    applicable: bool
    basis: list[dict[str, Any]] = field(default_factory=list)   # {"source", "cell", "line", "what"}
    against: list[dict[str, Any]] = field(default_factory=list)  # what ran contradicts the signs, same shape

    @property
    def present(self) -> bool:
        return bool(self.basis) and not self.against


def _calls(cells: list[ParsedCell]):
    for cell in cells:
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Call):
                yield cell, node


def _basis(cell: ParsedCell, node: ast.AST, what: str) -> dict[str, Any]:
    return {"source": "static", "cell": cell.index, "line": source_line(cell, node), "what": what}


def missing_value_basis(cells: list[ParsedCell]) -> list[dict[str, Any]]:
    out = []
    for cell, call in _calls(cells):
        name = called_name(call)
        if name in _IMPUTE_CALLS:
            out.append(_basis(cell, call, f"{name}()"))
        elif _NAN_NATIVE_MODELS.match(name):
            out.append(_basis(cell, call, f"{name} handles missing values natively"))
    return out


def duplicate_basis(cells: list[ParsedCell]) -> list[dict[str, Any]]:
    return [_basis(cell, call, f"{called_name(call)}()") for cell, call in _calls(cells)
            if called_name(call) in _DUPLICATE_CALLS]


def _string_constants(node: ast.AST):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _excluding_context(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    """How the code sets this string aside, if it does: a drop call, del, != / not in, or an 'exclude' list."""
    current = node
    while current in parents:
        parent = parents[current]
        if isinstance(parent, ast.Call) and called_name(parent) in _DROP_CALLS:
            return f"passed to {called_name(parent)}()"
        if isinstance(parent, ast.Delete):
            return "deleted with del"
        if isinstance(parent, ast.Compare) and any(isinstance(op, (ast.NotEq, ast.NotIn)) for op in parent.ops):
            return "excluded with != / not in"
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in targets]
            hit = next((n for n in names if _EXCLUDING_NAME.search(n)), None)
            return f"listed in {hit}" if hit else None
        if isinstance(parent, ast.stmt):
            return None
        current = parent
    return None


def _mentions(text: str, column: str) -> bool:
    spaced = re.escape(column).replace("_", "[ _-]")
    return re.search(rf"(?i)\b{spaced}\b", text) is not None


def _comments(source: str) -> list[tuple[int, str]]:
    try:
        return [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def leak_basis(notebook: Any, cells: list[ParsedCell], columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for cell in cells:
        parents = {child: node for node in ast.walk(cell.tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Constant) and node.value in columns:
                how = _excluding_context(node, parents)
                if how:
                    out.append(_basis(cell, node, f"'{node.value}' {how}"))
        for lineno, comment in _comments(cell.source):
            for column in columns:
                if _mentions(comment, column):
                    out.append({"source": "static", "cell": cell.index, "line": comment.strip(),
                                "what": f"'{column}' named in a code comment"})
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for line in cell_source(cell).splitlines():
            for column in columns:
                if _mentions(line, column):
                    out.append({"source": "notebook", "cell": index, "line": line.strip(),
                                "what": f"'{column}' discussed in markdown"})
    return out


def imbalance_basis(cells: list[ParsedCell], trace_metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = list(trace_metrics)
    for cell, call in _calls(cells):
        name = called_name(call)
        if name in _AWARE_METRICS:
            out.append(_basis(cell, call, f"{name}()"))
        elif name in _RESAMPLERS:
            out.append(_basis(cell, call, f"resampling with {name}"))
        for kw in call.keywords:
            if kw.arg in _REBALANCING_KWARGS and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                out.append(_basis(cell, call, f"{kw.arg}= in {name}()"))
            elif kw.arg == "scoring":
                aware = [s for s in _string_constants(kw.value) if _AWARE_SCORING.match(s)]
                if aware:
                    out.append(_basis(cell, call, f"scoring={', '.join(aware)} in {name}()"))
    return out


def _trace_metrics(analysis: Any) -> list[dict[str, Any]]:
    """Imbalance-aware metrics the run actually computed, from the analysed kernel-hook trace."""
    from takehome_harness.graders._trace import scores_of

    aware = {"roc_auc", "average_precision", "f1", "log_loss", "brier"}
    out = []
    for score in scores_of(analysis):
        if canonical_metric(str(score.metric)) in aware:
            out.append({"source": "trace", "cell": score.cell, "line": "", "what": f"computed {score.metric}"})
    return out


def _trace_fits(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fit the run made, nested ones too (an imputer inside a pipeline is a depth > 0 call)."""
    from takehome_harness.graders._trace import FIT_METHODS

    return [e for e in trace if e.get("ev") == "call" and e.get("method") in FIT_METHODS
            and isinstance(e.get("cls"), str)]


def trace_missing_value_basis(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for event in _trace_fits(trace):
        cls = event["cls"]
        if (cls in _IMPUTE_CALLS or _NAN_NATIVE_MODELS.match(cls)) and cls not in seen:
            seen.add(cls)
            out.append({"source": "trace", "cell": event.get("cell") if isinstance(event.get("cell"), int) else None,
                        "line": "", "what": f"{cls} was fitted during the run"})
    return out


def leak_in_final_model(analysis: Any, columns: list[str]) -> list[dict[str, Any]]:
    """The last non-baseline model the run fitted, if it took a leak column as input."""
    models = [f for f in analysis.model_fits if not f.is_dummy]
    if not models:
        return []
    final = models[-1]
    used = [c for c in columns if c in (final.columns or []) or any(c in name for name in final.features)]
    return [{"source": "trace", "cell": final.cell, "line": "",
             "what": f"the final model ({final.final_cls}) was fitted with '{c}' as an input"} for c in used]


def _does_classification(cells: list[ParsedCell]) -> bool:
    return any(_CLASSIFICATION.search(called_name(call)) for _, call in _calls(cells))


def collect_signals(ctx: GradingContext, cells: list[ParsedCell]) -> list[Signal]:
    exercise = ctx.exercise
    traps = exercise.spec.get("traps", {}) if exercise is not None else {}
    generic = exercise is None
    classification = exercise.task_type == "binary_classification" if exercise else _does_classification(cells)
    signals = [
        Signal("missing_values", "handling of missing values", generic or bool(traps.get("missing_values")),
               missing_value_basis(cells) + trace_missing_value_basis(ctx.trace)),
        Signal("leak_column", "noticing the leak column", not generic and bool(exercise.leak_columns),
               leak_basis(ctx.submitted_notebook, cells, exercise.leak_columns) if exercise else [],
               leak_in_final_model(ctx.analysis, exercise.leak_columns) if exercise else []),
        Signal("class_imbalance", "a metric that suits the class imbalance",
               classification and (generic or bool(traps.get("class_imbalance"))),
               imbalance_basis(cells, _trace_metrics(ctx.analysis))),
        Signal("duplicates", "a check for duplicate rows", generic or bool(traps.get("duplicate_rows")),
               duplicate_basis(cells)),
    ]
    return signals


def _question(signal: Signal, ctx: GradingContext) -> str:
    if signal.name == "leak_column":
        cols = ", ".join(ctx.exercise.leak_columns)
        return f"Which columns would not be known at the moment you make a prediction? What about {cols}?"
    return {
        "missing_values": "How does your pipeline treat missing values, and what happens when a value is missing "
                          "at prediction time in a column that was complete in training?",
        "class_imbalance": "The positive class is rare: why is your evaluation metric the right one for that, and "
                           "what would accuracy tell you here?",
        "duplicates": "Did you check for duplicate rows, and what would duplicates across your train/validation "
                      "split do to your score?",
    }[signal.name]


def run(ctx: GradingContext) -> Finding:
    def finding(status: Status, explanation: str, **kw: Any) -> Finding:
        return Finding(check=CHECK_ID, title=TITLE, status=status, explanation=explanation, **kw)

    cells = ctx.cells
    if not cells:
        return finding(Status.COULD_NOT_CHECK, "The notebook has no Python code that could be read.")
    signals = collect_signals(ctx, cells)
    applicable = [s for s in signals if s.applicable]
    details = {"signals": {s.name: {"label": s.label, "applicable": s.applicable, "present": s.present,
                                    "rests_on": s.basis, "against": s.against} for s in signals}}
    if not applicable:
        return finding(Status.NOT_APPLICABLE, "None of the data-handling traps apply to this notebook.",
                       details=details)
    evidence = []
    for s in applicable:
        if s.against or s.basis:
            prefix = f"contradicts {s.label}" if s.against else s.label
            for b in (s.against or s.basis)[:BASIS_SHOWN]:
                evidence.append(Evidence(source=b["source"], cell=b["cell"], summary=f"{prefix}: {b['what']}",
                                         lines=b["line"] or None))
        else:
            evidence.append(Evidence(source="static", summary=f"{s.label}: no sign of it in the code or markdown"))
    missing = [s for s in applicable if not s.present]
    details["missing"] = [s.name for s in missing]
    if missing:
        absent = [s.label for s in missing if not s.against]
        contradicted = [s.label for s in missing if s.against]
        parts = ([f"no sign in the notebook of {', '.join(absent)}"] if absent else []) + \
                ([f"the run contradicts {', '.join(contradicted)}"] if contradicted else [])
        return finding(Status.CONCERN, "; ".join(parts).capitalize() + ".",
                       evidence=evidence, details=details, question=" ".join(_question(s, ctx) for s in missing))
    return finding(Status.PASS, "The notebook shows each of: "
                   + ", ".join(s.label for s in applicable) + ".", evidence=evidence, details=details,
                   question="Which of these data problems affected your model the most, and how do you know?")
