"""Rows resampled before the split, read from the code: SMOTE / RandomOverSampler `fit_resample`, sklearn's
`resample(..., replace=True)` or `DataFrame.sample(replace=True)` applied to the whole table, whose output is
then split into training and evaluation rows. Copies (or SMOTE's interpolations) of the same customer then sit
on both sides of the split, and the evaluation rows are no longer the population the model will meet.

Names are followed through the notebook's statements in order, as in graders/_frame_statistics.py: a name
assigned from a resampling call, or from a name that carries one, carries it; the finding is a carrying name
passed to a split (train_test_split, a cross-validation call, a splitter's `.split`). Resampling the training
part after the split, or inside an imblearn Pipeline, never reaches a split, so it never counts.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from takehome_harness.graders._frame_statistics import (Place, _data_names, _mutated_roots, _plain_names, _split_inputs,
                                                        _statements, _targets)
from takehome_harness.graders._notebook_ast import ParsedCell, called_name, dotted_name, source_line

SAMPLER_METHODS = {"fit_resample", "fit_sample"}


@dataclass
class Resampling:
    """A resampling step whose output a later split divided."""

    resample: Place
    split: Place
    sampler: str           # "SMOTE", "RandomOverSampler", "resample", "sample(replace=True)", ...


def _replaces(call: ast.Call) -> bool:
    return any(kw.arg == "replace" and isinstance(kw.value, ast.Constant) and kw.value.value is True
               for kw in call.keywords)


def _sampler(stmt: ast.stmt, classes: dict[str, str]) -> str | None:
    """What resamples rows in this statement, if anything does."""
    for node in ast.walk(stmt):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if name in SAMPLER_METHODS and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            return called_name(owner) if isinstance(owner, ast.Call) else classes.get(dotted_name(owner), "a sampler")
        # sklearn.utils.resample (replace=True by default), not pandas' time-based df.resample("D")
        if name == "resample" and (dotted_name(node.func) == "resample" or dotted_name(node.func).endswith("utils.resample")):
            return "resample"
        if name == "sample" and isinstance(node.func, ast.Attribute) and _replaces(node):
            return "sample(replace=True)"
    return None


def resampled_before_split(cells: list[ParsedCell]) -> list[Resampling]:
    return [Resampling(resample=origin, split=split, sampler=what)
            for origin, split, what, _ in reaching_a_split(cells, _sampler)]


def reaching_a_split(cells: list[ParsedCell], source: Callable[[ast.stmt, dict[str, str]], str | None], *,
                     through_labels: bool = False) -> list[tuple[Place, Place, str, str | None]]:
    """(origin, split, what, column) for each statement that `source` names (it returns what the statement
    does, or None) whose result flows by assignment into a later split; `column` is the frame column the
    origin assigned (df["x"] = ...), when it did. With `through_labels`, a frame's index or column labels carry
    it too (statistics that pick which columns to keep: `features = list(stats.index[:10])`)."""
    carriers: dict[str, tuple[Place, str, str | None]] = {}
    classes: dict[str, str] = {}
    found: list[tuple[Place, Place, str, str | None]] = []
    for cell in cells:
        for stmt in _statements(cell.tree.body):
            place = Place(cell.index, stmt.lineno, source_line(cell, stmt))
            split_inputs = _split_inputs(stmt) or set()
            for name in sorted(split_inputs & set(carriers)):
                origin, what, column = carriers[name]
                if not any(f[0] == origin for f in found):
                    found.append((origin, place, what, column))
            value = getattr(stmt, "value", None)
            if value is None or not _targets(stmt):
                continue
            names = [n for t in _targets(stmt) for n in _plain_names(t)]
            if isinstance(value, ast.Call) and len(names) == 1:
                classes[names[0]] = called_name(value)
            what = source(stmt, classes)
            used = _data_names(value) | (_label_names(value) if through_labels else set())
            carried = (place, what, _assigned_column(stmt)) if what else \
                next((carriers[n] for n in sorted(used) if n in carriers), None)
            for name in names:
                carriers.pop(name, None)
                if carried is not None and not split_inputs:
                    carriers[name] = carried
            for root in (r for t in _targets(stmt) for r in _mutated_roots(t)):
                if carried is not None:
                    # a carried value written into another frame's column names that column; a statistic frame
                    # editing itself (stats["diff"] = ...) creates no feature column
                    carriers[root] = carriers[root] if root in carriers and not what else \
                        (carried[0], carried[1], carried[2] or _assigned_column(stmt))
    return found


def _label_names(node: ast.AST) -> set[str]:
    """Every name read in `node`, labels included (stats.index[:10], list(scores["feature"])): what decides which
    columns are kept flows through labels and lists, which plain data flow leaves out."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _assigned_column(stmt: ast.stmt) -> str | None:
    """"x" for df["x"] = ... (a new or replaced column)."""
    for target in _targets(stmt):
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                and isinstance(target.slice.value, str):
            return target.slice.value
    return None
