"""Plain-pandas preprocessing before the split, read from the code: `X = X.fillna(X.median())` or
`df['x'] = (df['x'] - df['x'].mean()) / df['x'].std()` on the whole training frame, which is then split into
training and evaluation rows. The kernel trace cannot see this (no scikit-learn runs), so only the code tells.

The reading follows names through the notebook's statements in order (cells top to bottom, loop and branch
bodies in place, function bodies not at all):
  - a *statistic* is `<frame>.mean|median|std|var|min|max|quantile|mode(...)` (or a name assigned one);
    it is *whole-frame* unless the frame descends from a split's output (the training part);
  - a *fill* uses a whole-frame statistic of a frame to fill (`fillna`, `clip`, `where`, `mask`) or to
    scale/centre (`-`, `/`) that same frame or one derived from it; the filled name, and every name later
    assigned from it, carries the fill;
  - it counts only when a carrying name is passed to a split (train_test_split, a cross-validation call or a
    splitter's `.split`) after the fill. Filling test.csv with training statistics never reaches a split.
Constants (`fillna(0)`) and encodings (`get_dummies`) involve no statistic, so they never count.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator

from takehome_harness.graders._notebook_ast import ParsedCell, called_name, source_line

STATISTICS = {"mean", "median", "std", "var", "min", "max", "quantile", "mode"}
FILL_METHODS = {"fillna", "clip", "where", "mask"}
SCALING_OPS = (ast.Sub, ast.Div)
DATA_SPLITS = {"train_test_split", "cross_val_score", "cross_validate", "cross_val_predict"}
METADATA = {"columns", "index", "shape", "dtypes", "size", "ndim"}
MODULE_NAMES = {"np", "numpy", "pd", "pandas", "math", "statistics"}


@dataclass
class Place:
    cell: int
    line: int
    code: str


@dataclass
class FrameFill:
    """A whole-frame statistic used to fill or scale a frame that a later split divided."""

    fill: Place
    split: Place
    statistic: str         # "median", "mean", ...
    frame: str             # the frame the statistic was computed on
    how: str               # "fill" or "scale"


@dataclass
class _State:
    carriers: dict[str, tuple[Place, str, str, str]] = field(default_factory=dict)  # name -> fill place, stat, frame, how
    parts: set[str] = field(default_factory=set)        # names descending from a split's output
    stat_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (statistic, frame root)
    ancestors: dict[str, set[str]] = field(default_factory=dict)


def _root(node: ast.AST) -> str | None:
    """The leftmost name of df['x'].loc[...].values, or of a method chain."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _data_names(node: ast.AST) -> set[str]:
    """Names whose values flow into `node`'s value: not those only asked for their columns, shape or length."""
    if isinstance(node, ast.Attribute) and node.attr in METADATA:
        return set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("len", "list", "type"):
        return set()
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    return {n for child in ast.iter_child_nodes(node) for n in _data_names(child)}


def _statistic(node: ast.AST, state: _State) -> tuple[str, str] | None:
    """(statistic, frame root) when `node` is a statistic of a frame, or a name holding one."""
    if isinstance(node, ast.Name):
        return state.stat_names.get(node.id)
    if isinstance(node, (ast.Subscript, ast.Attribute)):  # df.mode().iloc[0], df['c'].mode()[0]
        return _statistic(node.value, state)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in STATISTICS):
        return None
    owner = node.func.value
    root = _root(owner)
    if root in MODULE_NAMES:                              # np.median(df['x'])
        root = _root(node.args[0]) if node.args else None
    return (node.func.attr, root) if root else None


def _statistics_in(node: ast.AST, state: _State) -> list[tuple[ast.AST, tuple[str, str]]]:
    found = []
    for sub in ast.walk(node):
        stat = _statistic(sub, state)
        if stat is not None and not isinstance(sub, (ast.Subscript, ast.Attribute)):
            found.append((sub, stat))
    return found


def _statistic_names(node: ast.AST, state: _State) -> str:
    return ", ".join(sorted({stat[0] for _, stat in _statistics_in(node, state) if _whole_frame(stat, state)}))


def _whole_frame(stat: tuple[str, str], state: _State) -> bool:
    return stat[1] not in state.parts


def _fill_in(value: ast.AST, state: _State) -> tuple[str, str, str] | None:
    """(statistic, frame, how) when `value` fills or scales a frame with a whole-frame statistic of it."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FILL_METHODS:
            frame = _root(node.func.value)
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                for _, stat in _statistics_in(arg, state):
                    if _whole_frame(stat, state) and _related(stat[1], frame, state):
                        return stat[0], stat[1], "fill"
        if isinstance(node, ast.BinOp) and isinstance(node.op, SCALING_OPS):
            sides = (node.left, node.right)
            for side, other in (sides, sides[::-1]):
                plain = {_root(n) for n in ast.walk(other) if isinstance(n, (ast.Name, ast.Subscript))} - {None}
                for _, stat in _statistics_in(side, state):
                    if _whole_frame(stat, state) and any(_related(stat[1], r, state) for r in plain):
                        if _statistic(other, state) is None:
                            return stat[0], stat[1], "scale"
    return None


def _related(stat_frame: str | None, frame: str | None, state: _State) -> bool:
    """Is `frame` the frame the statistic came from, or derived from it?"""
    if stat_frame is None or frame is None:
        return False
    return stat_frame == frame or stat_frame in state.ancestors.get(frame, set())


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Simple statements in the order they run, loop/branch bodies in place (a loop's iterable first);
    function and class bodies skipped."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            yield ast.copy_location(ast.Expr(value=stmt.iter), stmt)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)):
            for inner in (stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", []),
                          *(h.body for h in getattr(stmt, "handlers", []))):
                yield from _statements(inner)
            continue
        yield stmt


def _split_inputs(stmt: ast.stmt) -> set[str] | None:
    """Names passed as data to a split in this statement (None when it has no split)."""
    names: set[str] | None = None
    for node in ast.walk(stmt):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if name in DATA_SPLITS or (name == "split" and isinstance(node.func, ast.Attribute) and node.args):
            args = node.args[1:] if name.startswith("cross_val") else node.args
            data = [*args, *(kw.value for kw in node.keywords if kw.arg in ("X", "y", "arrays"))]
            names = (names or set()) | {n for a in data for n in _data_names(a)}
    return names


def _targets(stmt: ast.stmt) -> list[ast.AST]:
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        return [stmt.target]
    return []


def _plain_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _plain_names(elt)]
    if isinstance(target, ast.Starred):
        return _plain_names(target.value)
    return []


def _mutated_roots(target: ast.AST) -> list[str]:
    """df for df['x'] = ... / df.loc[:, c] = ... (the frame changes in place)."""
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        root = _root(target)
        return [root] if root else []
    if isinstance(target, (ast.Tuple, ast.List)):
        return [r for elt in target.elts for r in _mutated_roots(elt)]
    return []


def _inplace_fill(stmt: ast.stmt) -> ast.Call | None:
    """X.fillna(X.median(), inplace=True) as a statement of its own."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in FILL_METHODS
            and any(kw.arg == "inplace" and isinstance(kw.value, ast.Constant) and kw.value.value is True
                    for kw in call.keywords)):
        return call
    return None


def _step(cell: ParsedCell, stmt: ast.stmt, state: _State, found: list[FrameFill]) -> None:
    split_inputs = _split_inputs(stmt)
    if split_inputs:
        for name in sorted(split_inputs & set(state.carriers)):
            place, stat, frame, how = state.carriers[name]
            if not any(f.fill == place for f in found):
                found.append(FrameFill(fill=place, split=Place(cell.index, stmt.lineno, source_line(cell, stmt)),
                                       statistic=stat, frame=frame, how=how))
    inplace = _inplace_fill(stmt)
    if inplace is not None:
        fill = _fill_in(inplace, state)
        if fill is not None:
            fill = (_statistic_names(inplace, state), *fill[1:])
        root = _root(inplace.func.value)
        if fill is not None and root:
            state.carriers[root] = (Place(cell.index, stmt.lineno, source_line(cell, stmt)), *fill)
        return
    value = getattr(stmt, "value", None)
    if value is None or not _targets(stmt):
        return
    used = _data_names(value)
    names = [n for t in _targets(stmt) for n in _plain_names(t)]
    mutated = [r for t in _targets(stmt) for r in _mutated_roots(t)]
    lineage = used | {a for n in used for a in state.ancestors.get(n, set())}
    for name in names + mutated:
        state.ancestors[name] = lineage | (state.ancestors.get(name, set()) if name in mutated else set())
    fill = None if isinstance(value, ast.Attribute) and value.attr in METADATA else _fill_in(value, state)
    if fill is not None:
        fill = (_statistic_names(value, state), *fill[1:])
    carried = next((state.carriers[n] for n in sorted(used) if n in state.carriers), None)
    source = (Place(cell.index, stmt.lineno, source_line(cell, stmt)), *fill) if fill else carried
    stat = _statistic(value, state)
    from_parts = bool(split_inputs) or bool(used & state.parts)
    for name in names:
        state.carriers.pop(name, None)
        state.stat_names.pop(name, None)
        state.parts.discard(name)
        if source is not None and not split_inputs:
            state.carriers[name] = source
        if stat is not None and isinstance(value, (ast.Call, ast.Subscript, ast.Attribute)):
            state.stat_names[name] = stat
        if from_parts:
            state.parts.add(name)
    for root in mutated:
        if source is not None:
            state.carriers[root] = source


def frame_fills_before_split(cells: list[ParsedCell]) -> list[FrameFill]:
    state, found = _State(), []
    for cell in cells:
        for stmt in _statements(cell.tree.body):
            _step(cell, stmt, state, found)
    return found
