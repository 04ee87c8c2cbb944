"""Execution and reproducibility: did the notebook run top to bottom in a clean sandbox, and would it again?

Rules
  - the clean run errored, timed out, ran out of memory or lost its kernel           -> FAIL
  - otherwise CONCERN for any of:
      hidden state: the submitted notebook ran out of order (execution counts not increasing, or with gaps),
        has code cells never run, or shows outputs the clean run does not reproduce (text outputs compared after
        normalising ANSI codes, memory addresses, timings, and numbers to about three significant digits;
        cells that print clocks, timings or progress bars are skipped);
      unfixed randomness: estimators/splitters created without random_state and np.random draws, with no
        np.random.seed to cover them, or np.random.default_rng() without a seed (read from the code, and from
        the trace for estimators the run fitted with random_state=None).
  - no run at all                                                                    -> COULD_NOT_CHECK
"""
from __future__ import annotations

import ast
import math
import re
from typing import Any

from takehome_harness.graders._removed_apis import removed_api
from takehome_harness.graders._notebook_ast import (ParsedCell, called_name, cell_source, dotted_name,
                                                    leading_blank_lines, parse_code_cells, source_line)
from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status
from takehome_harness.harness.terminal_text import strip_ansi
from takehome_harness.harness.sandbox.result import Verdict

CHECK_ID = "execution"
TITLE = "Execution and reproducibility"
ORDER = 10

SLOWEST_SHOWN = 3
REL_TOLERANCE = 5e-3            # "the same number" when printed by two runs: ~3 significant digits
MISMATCHES_SHOWN = 3
_TRACEBACK_LINES = 40

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_TIMING = re.compile(r"(?i)\b(cpu times|wall time|elapsed|took|time taken)\b[^\n]*|"
                     r"\b\d+(\.\d+)?\s*(ns|µs|us|ms|s|sec|seconds|min|it/s|s/it)\b")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
# Outputs the intake or the runner cut or replaced: their text no longer says what the cell printed.
_CUT_MARKER = re.compile(r"\[[^\]\n]*\b(cut|truncated|removed) by the (grader|harness)")
# Cells whose printed output differs on every run by design.
_VOLATILE_SOURCE = re.compile(r"%%?time|timeit|time\.(time|perf_counter|monotonic)|perf_counter|datetime\.now|"
                              r"date\.today|uuid|tqdm|getpid|hostname|platform\.|sys\.version|__version__|"
                              r"getcwd|cwd\(|listdir|%%(bash|sh|system)|^\s*!|%(pip|conda|system|sx)\b",
                              re.MULTILINE)

# Callables that draw random numbers unless given random_state (sklearn falls back to the global numpy state).
_STOCHASTIC = {
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "DecisionTreeClassifier", "DecisionTreeRegressor", "MLPClassifier",
    "MLPRegressor", "SGDClassifier", "SGDRegressor", "KMeans", "MiniBatchKMeans", "IsolationForest",
    "BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor", "train_test_split",
    "ShuffleSplit", "StratifiedShuffleSplit", "RandomizedSearchCV", "permutation_importance", "TSNE",
    "sample", "shuffle", "RandomUnderSampler", "RandomOverSampler", "SMOTE", "RepeatedKFold",
    "RepeatedStratifiedKFold",
}
# Only random when asked to shuffle.
_STOCHASTIC_IF_SHUFFLED = {"KFold", "StratifiedKFold"}
# np.random functions that are not draws from the global state.
_NUMPY_RANDOM_NOT_DRAWS = {"seed", "default_rng", "RandomState", "Generator", "SeedSequence", "get_state",
                           "set_state", "PCG64", "MT19937", "Philox", "SFC64", "BitGenerator"}
_SEED_KWARGS = {"random_state", "seed", "random_seed"}
_GLOBAL_NUMPY_SEED = {"np.random.seed", "numpy.random.seed"}
_OTHER_SEEDS = {"random.seed", "torch.manual_seed", "tf.random.set_seed", "set_seed", "seed_everything",
                "L.seed_everything", "pl.seed_everything"}


# --- the clean run --------------------------------------------------------------------------------------------------

def _timing_details(run: Any) -> dict[str, Any]:
    seconds = list(run.cell_seconds or [])
    ranked = sorted(((s, i) for i, s in enumerate(seconds) if s is not None), reverse=True)
    return {
        "wall_seconds": run.wall_seconds,
        "peak_memory_mb": run.peak_memory_mb,
        "cell_seconds": seconds,
        "slowest_cells": [{"cell": i, "seconds": s} for s, i in ranked[:SLOWEST_SHOWN]],
        "backend": run.backend,
        "isolated": run.isolated,
    }


def _failure(ctx: GradingContext) -> tuple[str, list[Evidence]]:
    run = ctx.run
    limits = run.limits
    where = f" in cell {run.failed_cell}" if run.failed_cell is not None else ""
    explanation = {
        Verdict.DEADLINE: f"The notebook did not finish within the time limit ({limits.total_seconds} s in total, "
                          f"{limits.cell_seconds} s per cell){where}.",
        Verdict.OUT_OF_MEMORY: f"The notebook ran out of memory{where} (limit {limits.memory_mb} MB).",
        Verdict.KERNEL_DIED: f"The Python kernel died{where}, so the notebook did not run to the end.",
        Verdict.CELL_ERROR: f"The notebook stopped with an error{where}"
                            + (f": {run.error_name}: {run.error_value}" if run.error_name else "") + ".",
    }[run.verdict]
    removal = removed_api(run.error_name, run.error_value) if run.verdict is Verdict.CELL_ERROR else None
    if removal is not None:
        explanation += " " + removal.sentence()
    evidence = [Evidence(source="run", summary=run.message, cell=run.failed_cell,
                         data={"verdict": run.verdict.value, "error_name": run.error_name,
                               "error_value": run.error_value,
                               "removed_api": removal.__dict__ if removal is not None else None})]
    nb = ctx.notebook
    if run.failed_cell is not None and nb is not None and run.failed_cell < len(nb.cells):
        evidence.append(Evidence(source="notebook", cell=run.failed_cell, summary="the cell that failed",
                                 lines=cell_source(nb.cells[run.failed_cell])))
    if run.traceback:
        tail = strip_ansi(run.traceback).strip().splitlines()[-_TRACEBACK_LINES:]
        evidence.append(Evidence(source="run", cell=run.failed_cell, summary="traceback (last lines)",
                                 lines="\n".join(tail)))
    return explanation, evidence


# --- hidden state -----------------------------------------------------------------------------------------------

def execution_order(notebook: Any) -> dict[str, Any]:
    """Execution counts of the submitted notebook's non-empty code cells and what is wrong with them."""
    counts = [(i, c.get("execution_count")) for i, c in enumerate(notebook.cells)
              if c.cell_type == "code" and cell_source(c).strip()]
    ran = [(i, n) for i, n in counts if n is not None]
    result: dict[str, Any] = {"counts": {str(i): n for i, n in counts}, "cleared": not ran,
                              "never_run": [], "out_of_order": [], "gaps": []}
    if not ran:
        return result  # submitted with outputs cleared: nothing to read from the counts
    result["never_run"] = [i for i, n in counts if n is None]
    previous = 0
    for i, n in ran:
        if n <= previous:
            result["out_of_order"].append({"cell": i, "count": n, "after": previous})
        elif n > previous + 1:
            result["gaps"].append({"cell": i, "count": n, "expected": previous + 1})
        previous = max(previous, n)
    return result


def output_text(cell: Any) -> str:
    """What a reader sees as text: stdout, plain-text results and errors (stderr is environment noise)."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            parts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _normalise(text: str) -> str:
    text = _ADDRESS.sub("0x?", strip_ansi(text))
    text = _TIMING.sub("<time>", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def same_output(a: str, b: str) -> bool:
    """Equal after normalising; numbers with a point or exponent compared to ~3 significant digits."""
    a, b = _normalise(a), _normalise(b)
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)):
        if any(ch in x + y for ch in ".eE"):
            if not math.isclose(float(x), float(y), rel_tol=REL_TOLERANCE, abs_tol=1e-9):
                return False
        elif x.lstrip("+") != y.lstrip("+"):
            return False
    return True


def unreproduced_outputs(submitted: Any, executed: Any, *, ran_cells: int) -> list[dict[str, Any]]:
    """Code cells whose submitted text output the clean run did not reproduce (first `ran_cells` cells only)."""
    if executed is None or len(submitted.cells) != len(executed.cells):
        return []
    mismatches = []
    for i, (mine, clean) in enumerate(zip(submitted.cells[:ran_cells], executed.cells[:ran_cells])):
        if mine.cell_type != "code" or _VOLATILE_SOURCE.search(cell_source(mine)):
            continue
        before, after = output_text(mine), output_text(clean)
        if _CUT_MARKER.search(before) or _CUT_MARKER.search(after):
            continue
        if before.strip() and not same_output(before, after):
            mismatches.append({"cell": i, "submitted": before.strip()[:600], "clean_run": after.strip()[:600]})
    return mismatches


# --- randomness ---------------------------------------------------------------------------------------------------

def _is_seeded(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg is None:  # **params: assume the seed is in there
            return True
        if kw.arg in _SEED_KWARGS:
            return not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
    return False


def _kwarg_is_true(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True
               for kw in call.keywords)


def _kwarg_is_false(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is False
               for kw in call.keywords)


def randomness(cells: list[ParsedCell]) -> dict[str, Any]:
    """Seeds set and random draws left unseeded, with the cell and line of each."""
    seeds, unseeded = [], []
    for cell in cells:
        for node in ast.walk(cell.tree):
            if not isinstance(node, ast.Call):
                continue
            full, name = dotted_name(node.func), called_name(node)
            where = {"cell": cell.index, "line": source_line(cell, node), "call": name}
            if full in _GLOBAL_NUMPY_SEED or full in _OTHER_SEEDS:
                seeds.append({**where, "call": full, "covers_numpy": full in _GLOBAL_NUMPY_SEED})
                continue
            if full in ("np.random.default_rng", "numpy.random.default_rng") and not node.args \
                    and not _is_seeded(node):
                unseeded.append({**where, "global_seed_covers": False})  # a fresh generator ignores np.random.seed
                continue
            numpy_draw = full.startswith(("np.random.", "numpy.random.")) and name not in _NUMPY_RANDOM_NOT_DRAWS
            random_draw = numpy_draw or name in _STOCHASTIC or (
                name in _STOCHASTIC_IF_SHUFFLED and _kwarg_is_true(node, "shuffle"))
            if name == "train_test_split" and _kwarg_is_false(node, "shuffle"):
                random_draw = False
            if random_draw and (numpy_draw or not _is_seeded(node)):
                unseeded.append({**where, "global_seed_covers": True})
    covered = any(s["covers_numpy"] for s in seeds)
    return {"seeds": seeds, "unseeded": unseeded, "global_numpy_seed": covered,
            "problem": any(not (covered and u["global_seed_covers"]) for u in unseeded)}


def unseeded_fits(analysis: Any, notebook: Any) -> list[dict[str, Any]]:
    """Estimators the run fitted with random_state=None: catches seeds the code hides from the AST
    (**params, factory functions). Only plain estimators: the trace shortens a pipeline's parameters."""
    out = []
    for fit in analysis.fits:
        if fit.cls in _STOCHASTIC and re.search(r"\brandom_state=None\b", fit.params):
            line = ""
            if notebook is not None and fit.cell is not None and 0 <= fit.cell < len(notebook.cells):
                source = cell_source(notebook.cells[fit.cell])
                lines = source.splitlines()
                number = (fit.line or 0) + leading_blank_lines(source)
                line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
            out.append({"cell": fit.cell, "line": line, "call": fit.cls, "source": "trace", "global_seed_covers": True})
    return out


# --- the check --------------------------------------------------------------------------------------------------

def run(ctx: GradingContext) -> Finding:
    def finding(status: Status, explanation: str, **kw: Any) -> Finding:
        return Finding(check=CHECK_ID, title=TITLE, status=status, explanation=explanation, **kw)

    run_result = ctx.run
    if run_result is None or run_result.verdict is Verdict.NOT_RUN:
        why = run_result.message if run_result is not None else "the notebook was not run"
        return finding(Status.COULD_NOT_CHECK, f"Could not check that the notebook runs: {why}",
                       question="Does your notebook run top to bottom after 'Restart kernel and run all'?")

    details: dict[str, Any] = {"verdict": run_result.verdict.value, **_timing_details(run_result)}
    order = execution_order(ctx.submitted_notebook)
    completed = run_result.verdict is Verdict.COMPLETED
    ran_cells = len(ctx.submitted_notebook.cells) if completed else (run_result.failed_cell or 0)
    mismatches = unreproduced_outputs(ctx.submitted_notebook, ctx.executed_notebook, ran_cells=ran_cells)
    rand = randomness(ctx.cells)
    flagged = {(u["cell"], u["call"]) for u in rand["unseeded"]}
    extra = [u for u in unseeded_fits(ctx.analysis, ctx.notebook) if (u["cell"], u["call"]) not in flagged]
    if extra:
        rand["unseeded"] += extra
        rand["problem"] = rand["problem"] or not rand["global_numpy_seed"]
    details.update(execution_order=order, unreproduced=mismatches, randomness=rand)
    slowest = ", ".join(f"cell {c['cell']} {c['seconds']:.1f} s" for c in details["slowest_cells"])
    evidence = [Evidence(source="run", summary=f"slowest cells: {slowest}" if slowest else "no per-cell timings",
                         data={"wall_seconds": run_result.wall_seconds,
                               "peak_memory_mb": run_result.peak_memory_mb})]

    if not completed:
        explanation, failure_evidence = _failure(ctx)
        return finding(Status.FAIL, explanation, evidence=failure_evidence + evidence, details=details,
                       question="Your notebook did not run top to bottom in a clean environment: "
                                "how did you run it before submitting, and what does this cell depend on?")

    concerns, questions = [], []
    if order["out_of_order"] or order["gaps"] or order["never_run"]:
        parts = []
        if order["out_of_order"]:
            parts.append("cells " + ", ".join(str(o["cell"]) for o in order["out_of_order"][:5])
                         + " ran after cells below them")
        if order["gaps"]:
            parts.append(f"{len(order['gaps'])} gap(s) in the execution counts (cells re-run or deleted)")
        if order["never_run"]:
            parts.append("cells " + ", ".join(map(str, order["never_run"][:5])) + " were never run")
        evidence.append(Evidence(source="notebook", summary="submitted execution order: " + "; ".join(parts),
                                 data={"out_of_order": order["out_of_order"], "gaps": order["gaps"],
                                       "never_run": order["never_run"]}))
        concerns.append("the submitted notebook was not run top to bottom in one session")
    if mismatches:
        for m in mismatches[:MISMATCHES_SHOWN]:
            evidence.append(Evidence(source="notebook", cell=m["cell"],
                                     summary=f"cell {m['cell']}: submitted output differs from the clean run",
                                     lines=f"submitted:\n{m['submitted']}\n\nclean run:\n{m['clean_run']}"))
        concerns.append(f"{len(mismatches)} cell output(s) were not reproduced by the clean run")
    if concerns:
        questions.append("Some results in your notebook were not reproduced when it ran top to bottom in a "
                         "fresh kernel: which state from your session were they relying on?")
    if rand["problem"]:
        for u in rand["unseeded"][:5]:
            evidence.append(Evidence(source=u.get("source", "static"), cell=u["cell"],
                                     summary=f"{u['call']} without random_state", lines=u["line"] or None))
        concerns.append(f"{len(rand['unseeded'])} random step(s) have no fixed seed")
        questions.append("Which of your results would change if you re-ran with a different random seed, "
                         "and by how much?")
    if concerns:
        return finding(Status.CONCERN, "The notebook ran cleanly, but " + "; ".join(concerns) + ".",
                       evidence=evidence, details=details, question=" ".join(questions))
    outputs = ("it was submitted without outputs to compare" if order["cleared"]
               else "its submitted outputs match")
    return finding(Status.PASS,
                   f"The notebook ran top to bottom in a clean environment in {run_result.wall_seconds:.0f} s "
                   f"and {outputs}.",
                   evidence=evidence, details=details,
                   question="Which step would you speed up first if the data were ten times larger?")
