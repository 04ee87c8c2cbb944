"""Features computed from the target with later days' values, read from the code (forecasting exercises).

A statement counts when it names the exercise's target column (a string literal, e.g. `df['units']`) and, in the
same statement, looks forward in time:
  - a centred rolling window: `.rolling(..., center=True)`;
  - a shift into the future: `.shift(-k)` or `.shift(periods=-k)` with a literal negative k;
  - a backward fill: `.bfill()`, `.backfill()`, `.fillna(method='bfill'|'backfill')`.
Such a column, used as a feature, tells the model about the days it is asked to forecast; in the forecast window
those later values do not exist yet. Only the target's own values count: a centred mean of a price known in
advance is not a leak. The trace cannot see pandas, so this is read from the code (at most a CONCERN).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from takehome_harness.graders._notebook_ast import ParsedCell, called_name, source_line

BACKWARD_FILLS = {"bfill", "backfill"}


@dataclass
class FutureFeature:
    cell: int
    line: int
    code: str
    how: str          # "a centred rolling window", "a shift into the future", "a backward fill"


def _negative_literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int) and node.operand.value > 0
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and node.value < 0


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _looks_forward(call: ast.Call) -> str | None:
    name = called_name(call)
    if name == "rolling":
        center = _keyword(call, "center")
        if isinstance(center, ast.Constant) and center.value is True:
            return "a centred rolling window"
    if name == "shift" and _negative_literal(call.args[0] if call.args else _keyword(call, "periods")):
        return "a shift into the future"
    if name in BACKWARD_FILLS:
        return "a backward fill"
    if name == "fillna":
        method = _keyword(call, "method")
        if isinstance(method, ast.Constant) and method.value in BACKWARD_FILLS:
            return "a backward fill"
    return None


def _statements(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                                ast.For, ast.While, ast.If, ast.With, ast.Try)):
            yield node


def future_features(cells: list[ParsedCell], target: str) -> list[FutureFeature]:
    found = []
    for cell in cells:
        for stmt in _statements(cell.tree):
            names_target = any(isinstance(n, ast.Constant) and n.value == target for n in ast.walk(stmt))
            if not names_target:
                continue
            how = next((h for n in ast.walk(stmt) if isinstance(n, ast.Call) and (h := _looks_forward(n))), None)
            if how is not None:
                found.append(FutureFeature(cell.index, stmt.lineno, source_line(cell, stmt), how))
    return found
