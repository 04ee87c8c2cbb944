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
from dataclasses import dataclass

from graders._frame_statistics import (Place, _data_names, _mutated_roots, _plain_names, _split_inputs,
                                       _statements, _targets)
from graders._notebook_ast import ParsedCell, called_name, dotted_name, source_line

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
    carriers: dict[str, tuple[Place, str]] = {}
    classes: dict[str, str] = {}
    found: list[Resampling] = []
    for cell in cells:
        for stmt in _statements(cell.tree.body):
            place = Place(cell.index, stmt.lineno, source_line(cell, stmt))
            split_inputs = _split_inputs(stmt) or set()
            for name in sorted(split_inputs & set(carriers)):
                origin, sampler = carriers[name]
                if not any(f.resample == origin for f in found):
                    found.append(Resampling(resample=origin, split=place, sampler=sampler))
            value = getattr(stmt, "value", None)
            if value is None or not _targets(stmt):
                continue
            names = [n for t in _targets(stmt) for n in _plain_names(t)]
            if isinstance(value, ast.Call) and len(names) == 1:
                classes[names[0]] = called_name(value)
            sampler = _sampler(stmt, classes)
            used = _data_names(value)
            source = (place, sampler) if sampler else next((carriers[n] for n in sorted(used) if n in carriers), None)
            for name in names:
                carriers.pop(name, None)
                if source is not None and not split_inputs:
                    carriers[name] = source
            for root in (r for t in _targets(stmt) for r in _mutated_roots(t)):
                if source is not None:
                    carriers[root] = source
    return found
