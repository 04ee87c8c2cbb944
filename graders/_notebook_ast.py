"""Notebook cells as Python syntax trees, and the small name/line helpers every check that reads code uses.

Line numbers follow the cell's source as the candidate sees it (IPython drops leading blank lines before
compiling, so the trees are shifted back to match).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from IPython.core.inputtransformer2 import TransformerManager


@dataclass
class ParsedCell:
    index: int
    source: str
    tree: ast.Module


def cell_source(cell: Any) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def leading_blank_lines(source: str) -> int:
    """IPython drops a cell's leading blank lines before compiling it, so its line numbers start after them."""
    count = 0
    for line in source.splitlines():
        if line.strip():
            break
        count += 1
    return count


def parse_code_cells(notebook: Any) -> list[ParsedCell]:
    """Code cells as Python ASTs (IPython magics turned into plain calls), line numbers matching the cell's
    source; cells that do not parse are left out."""
    manager = TransformerManager()
    parsed = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        source = cell_source(cell)
        try:
            tree = ast.parse(manager.transform_cell(source))
        except (SyntaxError, ValueError):
            continue
        parsed.append(ParsedCell(index, source, ast.increment_lineno(tree, leading_blank_lines(source))))
    return parsed


def dotted_name(node: ast.AST) -> str:
    """'np.random.seed' for np.random.seed(...); '' for calls on non-names (e.g. df[...].sample)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else f".{node.attr}"
    if isinstance(node, ast.Call):
        return dotted_name(node.func)
    return ""


def called_name(call: ast.Call) -> str:
    """The last part of what is called: 'RandomForestClassifier', 'sample', 'seed'."""
    return dotted_name(call.func).rsplit(".", 1)[-1]


def source_line(cell: ParsedCell, node: ast.AST) -> str:
    """The node's source from the transformed cell (line numbers match for ordinary Python lines)."""
    lines = cell.source.splitlines()
    lineno = getattr(node, "lineno", 0)
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
