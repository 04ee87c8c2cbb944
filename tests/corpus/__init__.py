"""A corpus of generated notebooks with the check statuses each must get.

Each `cases_*.py` module here defines `CASES: list[Case]`; `CASES` below collects them all.
Run them with tests/test_corpus.py; `PYTHONPATH=tests python -m corpus.table` writes docs/corpus-results.md.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass, field

import nbformat
from nbformat import v4

from takehome_harness.graders.finding import Status


@dataclass
class Case:
    name: str
    notebook: nbformat.NotebookNode
    expected: dict[str, Status]                      # check id -> status it must get
    files: dict[str, str] = field(default_factory=dict)   # extra files beside the notebook (e.g. NEXT_STEPS.md)
    exercise: str | None = "churn"                   # None: a generic notebook, not from a bundle
    requires: tuple[str, ...] = ()                   # importable modules the case needs (skipped otherwise)
    clean: bool = False                              # must never get a leakage / training-set finding

    @property
    def runnable(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)


def notebook(*cells: str) -> nbformat.NotebookNode:
    """Cells from strings: a string starting with '#md ' is a markdown cell, anything else code."""
    made = [v4.new_markdown_cell(c[4:]) if c.startswith("#md ") else v4.new_code_cell(c) for c in cells]
    nb = v4.new_notebook(cells=made)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _collect() -> list[Case]:
    cases: list[Case] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            cases.extend(importlib.import_module(f"{__name__}.{info.name}").CASES)
    return cases


CASES: list[Case] = _collect()
