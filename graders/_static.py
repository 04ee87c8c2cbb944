"""What the notebook's code says it does, read with `ast` (never run). Complements the trace and stands in
for it when the notebook did not run (or ran no scikit-learn). Static facts alone never justify a FAIL for
leakage: code that is never reached, or names that mean something else, make them only indications.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from graders._notebook_ast import ParsedCell, called_name, cell_source, dotted_name, parse_code_cells, source_line

SPLIT_CALLS = {"train_test_split", "KFold", "StratifiedKFold", "GroupKFold", "TimeSeriesSplit", "ShuffleSplit",
               "StratifiedShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold", "cross_val_score",
               "cross_validate", "cross_val_predict", "GridSearchCV", "RandomizedSearchCV", "permutation"}
TRANSFORMER_NAME = re.compile(r"(Scaler|Imputer|Encoder|Normalizer|PCA|Select\w*|RFE\w*|KBinsDiscretizer|"
                              r"PolynomialFeatures|PowerTransformer|QuantileTransformer)$")
SUPERVISED_NAME = re.compile(r"^(Select\w+|RFE\w*|SequentialFeatureSelector|\w*TargetEncoder)$")
METRIC_NAME = re.compile(r"^(\w+_score|\w+_loss|\w+_error|roc_curve|precision_recall_curve|auc)$")
HELD_OUT_NAME = re.compile(r"(?i)test|val|hold|oof|dev|\bte\b|_te\b")
TRAIN_NAME = re.compile(r"(?i)train|fit|\btr\b|_tr\b")
BASELINE_WORD = re.compile(r"(?i)\bbaseline|\bdummy|\bnaive\b|majority class|constant prediction")
CONSTANT_CALLS = {"full", "full_like", "zeros", "ones", "zeros_like", "ones_like", "repeat"}


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
    baseline_mentions: list[Site] = field(default_factory=list)   # code comments, names or markdown
    string_literals: dict[str, list[Site]] = field(default_factory=dict)

    def before_first_split(self, site: Site) -> bool:
        first = min(((s.cell, s.line) for s in self.splits), default=None)
        return first is not None and (site.cell, site.line) < first

    @property
    def heldout_metrics(self) -> list[Site]:
        return [m for m in self.metrics if m.args and HELD_OUT_NAME.search(m.args[0])]

    @property
    def train_only_metrics(self) -> list[Site]:
        return [m for m in self.metrics if m.args and TRAIN_NAME.search(m.args[0]) and not HELD_OUT_NAME.search(m.args[0])]


def _arg_name(node: ast.AST) -> str:
    """The argument as written ('y_test', 'Y[te]', 'y_val.values'), capped; what the name patterns read."""
    try:
        return ast.unparse(node)[:80]
    except (ValueError, TypeError):
        return ""


def _literal_keywords(node: ast.Call) -> dict[str, Any]:
    out = {}
    for kw in node.keywords:
        if kw.arg is not None and isinstance(kw.value, ast.Constant):
            out[kw.arg] = kw.value.value
    return out


def _constructed_classes(cell: ParsedCell) -> dict[str, str]:
    """variable -> class name for `x = SomeClass(...)` assignments in a cell."""
    out = {}
    for node in ast.walk(cell.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = called_name(node.value)
    return out


def read_static(notebook: Any) -> StaticFacts:
    facts = StaticFacts()
    if notebook is None:
        return facts
    cells = parse_code_cells(notebook)
    classes: dict[str, str] = {}
    for cell in cells:
        classes.update(_constructed_classes(cell))
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 100:
                facts.string_literals.setdefault(node.value, []).append(
                    Site(cell.index, getattr(node, "lineno", 0), source_line(cell, node)))
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
            elif name == "score" and len(node.args) >= 2:
                site.args = [_arg_name(node.args[1]), _arg_name(node.args[0])]
                facts.metrics.append(site)
            if name.startswith("Dummy"):
                facts.dummies.append(site)
            if name in CONSTANT_CALLS and dotted_name(node.func).split(".")[0] in ("np", "numpy"):
                facts.constant_predictions.append(site)
            if name in ("fit", "fit_transform") and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                cls = called_name(owner) if isinstance(owner, ast.Call) else classes.get(dotted_name(owner), "")
                if TRANSFORMER_NAME.search(cls):
                    site.name = cls
                    facts.transformer_fits.append(site)
        for lineno, text in enumerate(cell.source.splitlines(), start=1):
            comment = text.split("#", 1)[1] if "#" in text else ""
            if BASELINE_WORD.search(comment) or re.search(r"(?i)\bbaseline\w*\s*=", text):
                facts.baseline_mentions.append(Site(cell.index, lineno, text.strip()))
    for index, cell in enumerate(getattr(notebook, "cells", [])):
        if cell.cell_type == "markdown" and BASELINE_WORD.search(cell_source(cell)):
            facts.baseline_mentions.append(Site(index, 1, cell_source(cell).strip().splitlines()[0][:200]))
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
        if BASELINE_WORD.search(cell_source(notebook.cells[previous])):
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
