"""The one result type every check returns, and what a check gets to look at."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class Status(str, Enum):
    PASS = "pass"
    CONCERN = "concern"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    COULD_NOT_CHECK = "could_not_check"

    @property
    def severity(self) -> int:
        """Higher is more serious; the report sorts findings by it."""
        return {
            Status.FAIL: 4,
            Status.CONCERN: 3,
            Status.COULD_NOT_CHECK: 2,
            Status.PASS: 1,
            Status.NOT_APPLICABLE: 0,
        }[self]


@dataclass
class Evidence:
    """One piece of proof a reviewer can look at.

    `source` says what it rests on: "trace" (what ran), "static" (the code, not run),
    "notebook" (markdown/outputs), "run" (the sandbox), "predictions", "file".
    """

    source: str
    summary: str
    cell: int | None = None          # 0-based index into the executed notebook's cells
    lines: str | None = None         # the code or text lines that show it
    data: dict[str, Any] = field(default_factory=dict)  # numbers, trace events (JSON-able)


@dataclass
class Finding:
    check: str                       # module name of the check, e.g. "baseline"
    title: str                       # e.g. "Baseline"
    status: Status
    explanation: str                 # one plain sentence
    evidence: list[Evidence] = field(default_factory=list)
    question: str | None = None      # for the debrief
    details: dict[str, Any] = field(default_factory=dict)  # check-specific data (JSON-able)


@dataclass
class GradingContext:
    """Everything the checks may read. Built by the grade pipeline; checks never write.

    `exercise` is None in generic mode (a notebook not from a bundle);
    `hidden_labels` is None unless the variant is known (bundle.json + secret).
    """

    submitted_notebook: Any                 # nbformat.NotebookNode as submitted (outputs kept)
    executed_notebook: Any | None           # nbformat.NotebookNode after the clean run
    run: Any | None                         # takehome_harness.harness.sandbox.result.RunResult
    trace: list[dict[str, Any]]             # events from the kernel hook (JSON lines)
    submission_dir: Path                    # unpacked submission (read-only for checks)
    predictions_path: Path | None           # predictions file the clean run wrote, if any
    exercise: Any | None = None             # takehome_harness.harness.exercise.Exercise
    hidden_labels: Any | None = None        # pandas.DataFrame [id column, target column]
    reference_scores: dict[str, Any] | None = None  # scores of baseline/reference on this variant

    @property
    def notebook(self) -> Any:
        """The notebook the checks read: the clean run's when there is one, else the one submitted."""
        return self.executed_notebook if self.executed_notebook is not None else self.submitted_notebook

    # Computed once per grade and shared by every check and the report; nothing may change them in place.
    @functools.cached_property
    def analysis(self) -> Any:
        """takehome_harness.graders._trace.TraceAnalysis of the run's trace."""
        from takehome_harness.graders._trace import analyse

        return analyse(self.trace or [], self.notebook)

    @functools.cached_property
    def cells(self) -> list[Any]:
        """The notebook's code cells as syntax trees (takehome_harness.graders._notebook_ast.ParsedCell)."""
        from takehome_harness.graders._notebook_ast import parse_code_cells

        return parse_code_cells(self.notebook) if self.notebook is not None else []

    @functools.cached_property
    def static(self) -> Any:
        """takehome_harness.graders._static.StaticFacts: what the code says it does."""
        from takehome_harness.graders._static import read_static

        return read_static(self.notebook, cells=self.cells)

    @functools.cached_property
    def predictions(self) -> Any | None:
        """takehome_harness.harness.scoring.CheckedPredictions of the clean run's predictions file
        (None: no exercise or no file)."""
        from takehome_harness.graders.score import checked_predictions

        return checked_predictions(exercise=self.exercise, path=self.predictions_path, labels=self.hidden_labels)

    @functools.cached_property
    def hidden_score(self) -> Any:
        """takehome_harness.graders.score.HiddenScore: the predictions against the hidden labels,
        or why they were not scored."""
        from takehome_harness.graders.score import hidden_score

        return hidden_score(exercise=self.exercise, labels=self.hidden_labels, checked=self.predictions)

    @functools.cached_property
    def claimed_scores(self) -> list[Any]:
        """Every finite score the notebook computed itself, in order (takehome_harness.graders._trace.ClaimedScore)."""
        from takehome_harness.graders.score import claimed_scores

        return claimed_scores(self)

    @functools.cached_property
    def claimed_score(self) -> Any | None:
        """The candidate's headline claim: the last held-out, non-baseline score in the primary metric."""
        from takehome_harness.graders.score import claimed_score

        return claimed_score(self)
