"""Run a corpus case through the real runner (local backend, kernel hook included) and grade it."""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import nbformat

from takehome_harness.graders._trace import load_trace
from takehome_harness.graders.finding import Finding, GradingContext
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import write_data
from takehome_harness.harness.sandbox.result import Limits
from takehome_harness.harness.sandbox.run import run_notebook
from corpus import Case

DATA_SEED = 7
CORPUS_LIMITS = Limits(total_seconds=180, cell_seconds=120, memory_mb=4096)


DEFAULT_EXERCISE = "churn"    # the data a generic case (no exercise) reads


def make_data(dest: Path) -> Path:
    """One shared copy of the data of every exercise the cases use, <dest>/<exercise>/data; returns dest."""
    from corpus import CASES

    for exercise_id in sorted({case.exercise or DEFAULT_EXERCISE for case in CASES}):
        write_data(exercise=load_exercise(exercise_id), seed=DATA_SEED, dest_dir=dest / exercise_id)
    return dest


def run_case(case: Case, *, data_dir: Path, work_root: Path) -> GradingContext:
    work = work_root / case.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    nbformat.write(case.notebook, work / "notebook.ipynb")
    for name, text in case.files.items():
        (work / name).write_text(text)
    data = data_dir / (case.exercise or DEFAULT_EXERCISE) / "data"
    result = run_notebook(notebook=work / "notebook.ipynb", workdir=work, data_dir=data, limits=CORPUS_LIMITS,
                          backend="local", out_dir=work_root / f"{case.name}.run", legacy=case.exercise is None)
    executed = nbformat.read(result.executed_notebook, as_version=4) if result.executed_notebook else None
    return GradingContext(submitted_notebook=case.notebook, executed_notebook=executed, run=result,
                          trace=load_trace(result.trace), submission_dir=work, predictions_path=result.predictions,
                          exercise=load_exercise(case.exercise) if case.exercise else None)


def grade(case: Case, ctx: GradingContext) -> dict[str, Finding]:
    return {check: importlib.import_module(f"takehome_harness.graders.{check}").run(ctx) for check in case.expected}
