"""Target statistics computed with pandas on all rows before the split, read from the code:
`df["city_rate"] = df.groupby("city")["churned"].transform("mean")`, or a `groupby(...)[target].mean()` mapped
back onto the frame (each row's feature then contains its own label, evaluation rows included), or per-class
statistics (`df.groupby(target).mean()`) or a supervised selector's scores (`SelectKBest(...).fit(X, y).scores_`) used
to choose the columns that are then split and modelled (feature selection by hand, on the evaluation rows' labels
too). Computed on the training part only it is fine.

Target columns are the exercise's target plus any column the notebook takes as labels (`y = df["churned"]`,
`df.pop("churned")`). The statement is followed into a split with graders/_resampling.reaching_a_split.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from takehome_harness.graders._frame_statistics import Place, _plain_names, _targets
from takehome_harness.graders._notebook_ast import ParsedCell, called_name, dotted_name
from takehome_harness.graders._resampling import reaching_a_split
from takehome_harness.graders._static import SUPERVISED_NAME

AGGREGATIONS = {"mean", "median", "sum", "transform", "agg", "aggregate", "apply", "std", "var"}
LABEL_NAME = re.compile(r"^(y|Y|target|label|labels)(_\w*)?$")


@dataclass
class TargetStatistic:
    statistic: Place
    split: Place
    column: str | None      # the feature column it created, when assigned as df["col"] = ...
    what: str               # "a per-group mean of the target", "per-class means (grouped by the target)"


def _string_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Call) and called_name(node) == "pop" and node.args and \
            isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def label_columns(cells: list[ParsedCell], known: str | None = None) -> set[str]:
    """Columns the notebook uses as labels: `y = df["churned"]`, `target = df.pop("churned")`."""
    found = {known} if known else set()
    for cell in cells:
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Assign) and any(LABEL_NAME.match(n) for t in _targets(node)
                                                    for n in _plain_names(t)):
                key = _string_key(node.value)
                if key:
                    found.add(key)
    return found


def _uses_target(node: ast.AST, targets: set[str]) -> bool:
    return bool(targets) and any(isinstance(n, ast.Constant) and n.value in targets for n in ast.walk(node))


def _grouped_target_statistic(targets: set[str]):
    def source(stmt: ast.stmt, classes: dict[str, str]) -> str | None:
        for node in ast.walk(stmt):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in AGGREGATIONS):
                continue
            chain = node.func.value
            groupbys = [n for n in ast.walk(chain) if isinstance(n, ast.Call) and called_name(n) == "groupby"]
            if any(_uses_target(ast.Tuple(elts=[*g.args, *(k.value for k in g.keywords)]), targets) for g in groupbys):
                return f"per-class {node.func.attr}s (grouped by the target)"
            if groupbys and _uses_target(node, targets):
                return f"a per-group {node.func.attr} of the target"
        return None
    return source


def _selector_fit(stmt: ast.stmt, classes: dict[str, str]) -> str | None:
    """`SelectKBest(chi2, k=10).fit(X, y)`, `rfe.fit(X, y)`: a supervised selector fitted, its scores then read by
    hand (the run's lineage cannot follow `fit.scores_` to the columns picked)."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and called_name(node) in ("fit", "fit_transform") and len(node.args) >= 2 \
                and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            cls = called_name(owner) if isinstance(owner, ast.Call) else classes.get(dotted_name(owner), "")
            if SUPERVISED_NAME.match(cls):
                return f"{cls} fitted with the target"
    return None


def target_statistics_before_split(cells: list[ParsedCell], *, target: str | None = None) -> list[TargetStatistic]:
    grouped = _grouped_target_statistic(label_columns(cells, target))
    return [TargetStatistic(statistic=origin, split=split, column=column, what=what)
            for origin, split, what, column in reaching_a_split(
                cells, lambda stmt, classes: grouped(stmt, classes) or _selector_fit(stmt, classes),
                through_labels=True)]
