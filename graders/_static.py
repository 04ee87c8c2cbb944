"""What the notebook's code says it does, read with `ast` (never run). Complements the trace and stands in
for it when the notebook did not run (or ran no scikit-learn). Static facts alone never justify a FAIL for
leakage: code that is never reached, or names that mean something else, make them only indications.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from takehome_harness.graders._notebook_ast import (ParsedCell, called_name, cell_source, dotted_name, parse_code_cells,
                                                    source_line)

SPLIT_CALLS = {"train_test_split", "KFold", "StratifiedKFold", "GroupKFold", "TimeSeriesSplit", "ShuffleSplit",
               "StratifiedShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold", "cross_val_score",
               "cross_validate", "cross_val_predict", "GridSearchCV", "RandomizedSearchCV", "permutation"}
TRANSFORMER_NAME = re.compile(r"(Scaler|Imputer|Encoder|Normalizer|PCA|Select\w*|RFE\w*|KBinsDiscretizer|"
                              r"PolynomialFeatures|PowerTransformer|QuantileTransformer)$")
SUPERVISED_NAME = re.compile(r"^(Select\w+|RFE\w*|SequentialFeatureSelector|\w*TargetEncoder)$")
METRIC_NAME = re.compile(r"^(\w+_score|\w+_loss|\w+_error|roc_curve|precision_recall_curve|auc)$")
HELD_OUT_NAME = re.compile(r"(?i)test|val|hold|oof|dev|\bte\b|_te\b")
TRAIN_NAME = re.compile(r"(?i)train|fit|\btr\b|_tr\b")
# "dummy variables" (one-hot columns) and "Naive Bayes" are not baselines
BASELINE_WORD = re.compile(r"(?i)\bbaseline|\bdummy(?!\s*(variable|var\b|column|encod|feature|coding))(?=\s*(classifier|"
                           r"regressor|model|predict|baseline|score))|\bna[iï]ve\b(?!\s*bayes)|majority class|"
                           r"constant prediction|predict(ing)? the (mean|median|majority|most frequent)")
CONSTANT_CALLS = {"full", "full_like", "zeros", "ones", "zeros_like", "ones_like", "repeat"}
# Prose discusses "the majority class" or "predicting the mean" without building anything: markdown counts only
# when it names a baseline outright.
MARKDOWN_BASELINE = re.compile(r"(?i)\bbaseline|\bdummy (classifier|regressor|model)|\bna[iï]ve (forecast|model|"
                               r"baseline|predictor)|seasonal[- ]na[iï]ve")
BASELINE_NAME = re.compile(r"(?i)\b\w*(baseline|dummy|naive(?!_?bayes)|null_acc|majority|benchmark)\w*\s*=[^=]")
# Aggregations that turn an element-wise comparison of predictions and labels into a score, written by hand:
# (pred == y_test).mean(), np.mean(np.abs(y_test - pred)), sum(y_val != pred) / len(y_val), ...
AGGREGATES = {"mean", "sum", "average", "count_nonzero", "nanmean"}
LABEL_LIKE = re.compile(r"(?i)(^|[^a-z])y($|[^a-z])|^y|pred|label|target|true|actual|truth|"
                        + HELD_OUT_NAME.pattern.removeprefix("(?i)"))
LABELS_FIRST = re.compile(r"(?i)(y|labels?|targets?|truth|actual)(_|\b|[A-Z]|test|val|train)")
HELD_OUT_LABEL = re.compile(r"(?i)^(y|labels?|targets?)_?(test|val|valid|validation|hold\w*|te|dev)\w*$")


@dataclass
class Site:
    cell: int
    line: int
    code: str
    name: str = ""
    args: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)   # literal keyword arguments of split calls

    def evidence_data(self) -> dict[str, Any]:
        return {"cell": self.cell, "line": self.line, "code": self.code}


@dataclass
class StaticFacts:
    splits: list[Site] = field(default_factory=list)
    metrics: list[Site] = field(default_factory=list)             # args: names of the first two arguments
    transformer_fits: list[Site] = field(default_factory=list)    # name: the transformer class when known
    dummies: list[Site] = field(default_factory=list)
    constant_predictions: list[Site] = field(default_factory=list)
    baseline_mentions: list[Site] = field(default_factory=list)   # code comments or names
    baseline_markdown: list[Site] = field(default_factory=list)   # markdown cells that speak of a baseline
    string_literals: dict[str, list[Site]] = field(default_factory=dict)

    @property
    def baseline_in_code(self) -> list[Site]:
        """Where the code itself builds or names a baseline (markdown alone does not count)."""
        return self.dummies + self.constant_predictions + self.baseline_mentions
    heldout_label_uses: list[Site] = field(default_factory=list)  # y_test, y_val, ... read anywhere
    # `x if a > b else y` / `if a > b:` between two plain names (args); which scores they hold: scores_compared()
    comparisons: list[Site] = field(default_factory=list)
    scores_assigned: dict[str, list[Site]] = field(default_factory=dict)  # `name = <metric call>`, by name
    fitting_loops: list[Site] = field(default_factory=list)  # for/while loops that fit models; options["end"]: last line
    # boosting fits that stop early on an evaluation set naming held-out rows; args: those held-out names
    early_stops_on_heldout: list[Site] = field(default_factory=list)

    def loops_scoring_heldout(self, *, hand_only: bool = False) -> list[tuple[Site, list[Site]]]:
        """Loops that fit models and score each on held-out labels (the best then picked on those labels)."""
        found = []
        for loop in self.fitting_loops:
            inside = [m for m in self.heldout_metrics if m.cell == loop.cell and loop.line <= m.line <= loop.options["end"]
                      and (m.name == HAND_METRIC or not hand_only)]
            if inside and not self._reported_on_other_labels(loop, inside):
                found.append((loop, inside))
        return found

    def early_stops_scored_on_the_same_rows(self) -> list[tuple[Site, Site]]:
        """(early stop, last held-out score) pairs where the notebook's last held-out score, the one it reports,
        comes after the stop and reads the rows that stopped the rounds (eval_set=[(X_test, y_test)], then
        mean_absolute_error(y_test, ...)); rounds stopped on validation rows (a fold's, or a validation split's)
        with the reported score on other rows are how it should be done."""
        last = max(self.heldout_metrics, key=lambda m: (m.cell, m.line), default=None)
        if last is None:
            return []
        return [(stop, last) for stop in self.early_stops_on_heldout
                if (last.cell, last.line) > (stop.cell, stop.line) and _held_out_names(last.args[0]) & set(stop.args)]

    def _reported_on_other_labels(self, loop: Site, inside: list[Site]) -> bool:
        """A held-out score after the loop on other labels than the loop's (y_test after a loop over y_val): the
        loop chose on validation rows and the reported score comes from rows it never saw."""
        chose_on = {name for m in inside for name in _held_out_names(m.args[0])}
        return any((m.cell, m.line) > (loop.cell, loop.options["end"]) and _held_out_names(m.args[0])
                   and not _held_out_names(m.args[0]) & chose_on for m in self.heldout_metrics)

    def scores_compared(self) -> list[tuple[Site, list[Site]]]:
        """Comparisons of two scores computed on held-out labels (`best = rf if auc_rf > auc_lr else lr`), each with
        the metric calls that last assigned its two sides before it."""
        found = []
        for comparison in self.comparisons:
            sides = [max((s for s in self.scores_assigned.get(name, [])
                          if (s.cell, s.line) < (comparison.cell, comparison.line)),
                         key=lambda s: (s.cell, s.line), default=None) for name in comparison.args]
            if all(s is not None and s.args and HELD_OUT_NAME.search(s.args[0]) for s in sides):
                found.append((comparison, sides))
        return found

    @property
    def hand_metrics(self) -> list[Site]:
        return [m for m in self.metrics if m.name == HAND_METRIC]

    def before_first_split(self, site: Site) -> bool:
        first = min(((s.cell, s.line) for s in self.splits), default=None)
        return first is not None and (site.cell, site.line) < first

    @property
    def heldout_metrics(self) -> list[Site]:
        return [m for m in self.metrics if m.args and HELD_OUT_NAME.search(m.args[0])]

    @property
    def train_only_metrics(self) -> list[Site]:
        return [m for m in self.metrics if m.args and TRAIN_NAME.search(m.args[0]) and not HELD_OUT_NAME.search(m.args[0])]


def _held_out_names(arg: str) -> set[str]:
    """The held-out-looking names an argument reads, attributes left out: 'y_val.values' and 'np.asarray(y_val)'
    are both {'y_val'}."""
    return {name for name in re.findall(r"(?<![.\w])[A-Za-z_]\w*", arg) if HELD_OUT_NAME.search(name)}


def _arg_name(node: ast.AST) -> str:
    """The argument as written ('y_test', 'Y[te]', 'y_val.values'), capped; what the name patterns read."""
    try:
        return ast.unparse(node)[:80]
    except (ValueError, TypeError):
        return ""


HAND_METRIC = "hand-written metric"


def _compared_operands(node: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """The two sides of an element-wise ==, != or - inside an aggregation, when neither is a literal."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and isinstance(inner.ops[0], (ast.Eq, ast.NotEq)):
            pair = (inner.left, inner.comparators[0])
        elif isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub):
            pair = (inner.left, inner.right)
        else:
            continue
        if not any(isinstance(side, ast.Constant) for side in pair):
            return pair
    return None


def _hand_metric(node: ast.Call) -> list[str] | None:
    """Arguments (labels first) of a score computed by hand from predictions and labels, else None."""
    if called_name(node) not in AGGREGATES:
        return None
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    scope = [*node.args, *([owner] if owner is not None and not isinstance(owner, ast.Name) else [])]
    pair = next((p for p in map(_compared_operands, scope) if p is not None), None)
    if pair is None:
        return None
    names = [_arg_name(side) for side in pair]
    if not any(LABEL_LIKE.search(n) for n in names):
        return None
    names.sort(key=lambda n: (not LABELS_FIRST.match(n), not HELD_OUT_NAME.search(n), not TRAIN_NAME.search(n)))
    return names


def _sized_like_rows(node: ast.AST) -> bool:
    """`len(y_test)`, `X_val.shape[0]`, `y_test` itself: a size that makes an array one value per row."""
    text = _arg_name(node)
    return "len(" in text or ".shape[0]" in text or bool(LABEL_LIKE.search(text))


def _constant_prediction(node: ast.Call, name: str) -> bool:
    """np.full(len(y_test), rate), np.zeros_like(y_val), np.repeat(rate, len(y)): one value for every row
    (np.zeros(n_features) for weights is not one)."""
    if name not in CONSTANT_CALLS or dotted_name(node.func).split(".")[0] not in ("np", "numpy") or not node.args:
        return False
    sized = node.args[1] if name == "repeat" and len(node.args) > 1 else node.args[0]
    return _sized_like_rows(sized)


def _constant_list(node: ast.BinOp) -> bool:
    """[y_train.mode()[0]] * len(y_test): a hand-made constant prediction."""
    return isinstance(node.op, ast.Mult) and isinstance(node.left, ast.List) and len(node.left.elts) == 1 \
        and _sized_like_rows(node.right)


def _ordered_names(test: ast.AST) -> list[str] | None:
    """[a, b] for a test `a > b` (or <, >=, <=) between two plain names, else None."""
    if (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Gt, ast.Lt, ast.GtE, ast.LtE))
            and isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Name)):
        return [test.left.id, test.comparators[0].id]
    return None


def _over_folds(loop: ast.For | ast.While) -> bool:
    """`for tr, te in kf.split(X)`: a hand-written cross-validation, whose held-out folds are not the test set."""
    return isinstance(loop, ast.For) and any(isinstance(n, ast.Call) and called_name(n) == "split"
                                             for n in ast.walk(loop.iter))


def _commented_out_code(comment: str) -> bool:
    """`#plt.plot(df.dummy, y)`: code switched off, not prose about a baseline."""
    try:
        tree = ast.parse(comment.strip())
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.Call, ast.Assign, ast.Attribute, ast.Subscript)) for n in ast.walk(tree))


def _literal_keywords(node: ast.Call) -> dict[str, Any]:
    out = {}
    for kw in node.keywords:
        if kw.arg is not None and isinstance(kw.value, ast.Constant):
            out[kw.arg] = kw.value.value
    return out


EARLY_STOPPING_CALLBACK = re.compile(r"(?i)early_?stopping")
EVAL_SET_KEYWORDS = ("eval_set", "valid_sets", "evals")   # xgboost/lightgbm/catboost fit, lightgbm.train, xgboost.train


def _stops_early(node: ast.Call) -> bool:
    """early_stopping_rounds=..., or callbacks=[lightgbm.early_stopping(...)] / [xgboost.callback.EarlyStopping]."""
    return any(kw.arg == "early_stopping_rounds"
               or (kw.arg == "callbacks" and EARLY_STOPPING_CALLBACK.search(ast.unparse(kw.value)))
               for kw in node.keywords)


def _held_out_eval_names(node: ast.Call, stoppers: set[str]) -> list[str]:
    """The held-out names in the evaluation set of a fit or train call that stops early, else []."""
    owner = dotted_name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
    if not (_stops_early(node) or owner in stoppers):
        return []
    evals = [kw.value for kw in node.keywords if kw.arg in EVAL_SET_KEYWORDS]
    return sorted({name for value in evals for name in _held_out_names(ast.unparse(value))})


def _constructions(cell: ParsedCell) -> list[tuple[str, ast.Call]]:
    """(variable, call) for each `x = SomeClass(...)` assignment in a cell."""
    return [(target.id, node.value) for node in ast.walk(cell.tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            for target in node.targets if isinstance(target, ast.Name)]


def read_static(notebook: Any, *, cells: list[ParsedCell] | None = None) -> StaticFacts:
    """`cells`: the notebook's parsed code cells when the caller has them already."""
    facts = StaticFacts()
    if notebook is None:
        return facts
    cells = parse_code_cells(notebook) if cells is None else cells
    classes: dict[str, str] = {}
    stoppers: set[str] = set()   # models built with early stopping (XGBRegressor(early_stopping_rounds=5))
    for cell in cells:
        built = _constructions(cell)
        classes.update((name, called_name(call)) for name, call in built)
        stoppers |= {name for name, call in built if _stops_early(call)}
        for node in ast.walk(cell.tree):
            if isinstance(node, (ast.For, ast.While)) and not _over_folds(node) and any(
                    isinstance(n, ast.Call) and called_name(n) in ("fit", "fit_predict") for n in ast.walk(node)):
                facts.fitting_loops.append(Site(cell.index, node.lineno, source_line(cell, node), "loop",
                                                options={"end": getattr(node, "end_lineno", node.lineno)}))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and HELD_OUT_LABEL.match(node.id):
                facts.heldout_label_uses.append(Site(cell.index, node.lineno, source_line(cell, node), node.id))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 100:
                facts.string_literals.setdefault(node.value, []).append(
                    Site(cell.index, getattr(node, "lineno", 0), source_line(cell, node)))
            if isinstance(node, (ast.If, ast.IfExp)) and (names := _ordered_names(node.test)):
                facts.comparisons.append(Site(cell.index, node.lineno, source_line(cell, node), "comparison", names))
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call) and METRIC_NAME.match(called_name(node.value))):
                facts.scores_assigned.setdefault(node.targets[0].id, []).append(Site(
                    cell.index, node.value.lineno, source_line(cell, node.value), called_name(node.value),
                    [_arg_name(a) for a in node.value.args[:2]],
                    options={"end": getattr(node.value, "end_lineno", node.value.lineno)}))
            if isinstance(node, ast.BinOp) and _constant_list(node):
                facts.constant_predictions.append(Site(cell.index, node.lineno, source_line(cell, node), "list"))
            if not isinstance(node, ast.Call):
                continue
            name = called_name(node)
            site = Site(cell.index, node.lineno, source_line(cell, node), name,
                        [_arg_name(a) for a in node.args[:2]])
            if name in SPLIT_CALLS:
                site.options = _literal_keywords(node)
                facts.splits.append(site)
            if METRIC_NAME.match(name) and not dotted_name(node.func).startswith("."):
                facts.metrics.append(site)
            elif (compared := _hand_metric(node)) is not None:
                facts.metrics.append(Site(cell.index, node.lineno, site.code, HAND_METRIC, compared))
            elif name == "score" and len(node.args) >= 2:
                site.args = [_arg_name(node.args[1]), _arg_name(node.args[0])]
                facts.metrics.append(site)
            if name in ("fit", "train") and (held_out := _held_out_eval_names(node, stoppers)):
                facts.early_stops_on_heldout.append(Site(cell.index, node.lineno, site.code, "early stopping",
                                                         held_out))
            if name.startswith("Dummy"):
                facts.dummies.append(site)
            if _constant_prediction(node, name):
                facts.constant_predictions.append(site)
            if name in ("fit", "fit_transform") and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                cls = called_name(owner) if isinstance(owner, ast.Call) else classes.get(dotted_name(owner), "")
                if TRANSFORMER_NAME.search(cls):
                    site.name = cls
                    facts.transformer_fits.append(site)
        for lineno, text in enumerate(cell.source.splitlines(), start=1):
            code, _, comment = text.partition("#")
            if _commented_out_code(comment):
                comment = ""
            if BASELINE_WORD.search(comment) or BASELINE_NAME.search(code):
                facts.baseline_mentions.append(Site(cell.index, lineno, text.strip()))
    for index, cell in enumerate(getattr(notebook, "cells", [])):
        if cell.cell_type == "markdown" and MARKDOWN_BASELINE.search(cell_source(cell)):
            facts.baseline_markdown.append(Site(index, 1, cell_source(cell).strip().splitlines()[0][:200]))
    return facts


def mentions_near(facts: StaticFacts, notebook: Any, cell: int | None, line: int | None) -> bool:
    """Does the code near (cell, line), or the markdown just above that cell, call it a baseline?"""
    if cell is None or notebook is None:
        return False
    for site in facts.baseline_mentions:
        if site.cell == cell and (line is None or abs(site.line - line) <= 2):
            return True
    previous = cell - 1
    while previous >= 0 and notebook.cells[previous].cell_type == "markdown":
        if MARKDOWN_BASELINE.search(cell_source(notebook.cells[previous])):
            return True
        previous -= 1
    return False


def cell_line(notebook: Any, cell: int | None, line: int | None) -> str | None:
    """The source line (or the first lines of the cell) for evidence."""
    if notebook is None or cell is None or not 0 <= cell < len(notebook.cells):
        return None
    lines = cell_source(notebook.cells[cell]).splitlines()
    if line is not None and 0 < line <= len(lines):
        return lines[line - 1].strip()
    return "\n".join(lines[:3]) or None
