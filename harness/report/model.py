"""What a report says, as plain dataclasses; json_report/html_report render it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from takehome_harness.graders.finding import Finding
from takehome_harness.harness.submission_files import SubmissionFile

SCHEMA_VERSION = "1.0"
# Where a grade's time goes, in order (RunInfo.timings): unpacking, the grader's data (and waiting for the hidden
# labels and reference scores), the sandbox around the notebook (engine, container and kernel start, reading the
# results back), the notebook's cells, the checks and scores, and building and rendering the report.
PHASES = ("intake", "data", "container_start", "notebook", "checks", "report")


@dataclass
class HiddenCurves:
    """Hidden labels and the candidate's scores, aligned (numpy arrays); only for plotting, never written out."""

    y_true: Any
    y_score: Any


@dataclass
class ReportPlots:
    """The page's plots as PNG data URIs (None: nothing to draw) and what could not be drawn. They depend on the
    scores and the run, not on the findings: the batch's shared-work step renders a page again with them."""

    score: str | None = None
    curves: str | None = None
    cells: str | None = None
    unavailable: list[str] = field(default_factory=list)


class Outcome(str, Enum):
    GRADED = "graded"                  # the pipeline ran to the end (the notebook itself may have failed)
    REJECTED = "rejected"              # intake refused the submission; nothing was run
    INTERNAL_ERROR = "internal_error"  # our bug; the message says what broke


@dataclass
class SubmissionInfo:
    label: str                     # folder name under --out (anonymised when blind)
    kind: str                      # "zip" | "folder" | "notebook"
    input_sha256: str              # of the file or of the folder's files; decides re-grading
    source_name: str | None        # file/folder name as given; None when blind
    # every file as unpacked; when blind, only those flagged as shadowing a module (names may identify)
    files: list[SubmissionFile] = field(default_factory=list)


@dataclass
class ExerciseInfo:
    id: str
    version: str
    title: str
    task_type: str


@dataclass
class VariantInfo:
    """Which data the run saw. The seed never leaves the grader."""

    bundle_id: str | None
    verified: bool                 # bundle.json's data hashes match what the secret regenerates
    data: str                      # "variant" | "default" | "submission" (generic mode: its own files)
    note: str


@dataclass
class RunInfo:
    verdict: str                   # takehome_harness.harness.sandbox.result.Verdict value
    message: str
    backend: str | None = None
    isolated: bool | None = None
    wall_seconds: float | None = None
    peak_memory_mb: float | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    failed_cell: int | None = None
    error_name: str | None = None
    error_value: str | None = None
    traceback: str | None = None
    cell_seconds: list[float | None] = field(default_factory=list)
    image: str | None = None
    warnings: list[str] = field(default_factory=list)
    # seconds per phase of the grade (PHASES, those that ran); report.html is rendered before its own phase ends
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class ClaimedScoreInfo:
    metric: str
    value: float
    cell: int | None
    heldout: bool
    model: str | None
    is_baseline: bool


@dataclass
class Scores:
    primary_metric: str | None = None
    higher_is_better: bool = True
    hidden: dict[str, float] | None = None        # candidate's predictions vs hidden labels
    hidden_note: str = ""                          # why `hidden` is missing, or caveats
    baseline: dict[str, float] | None = None      # exercise's baseline model on this variant
    reference: dict[str, float] | None = None     # exercise's reference solution on this variant
    claimed: list[ClaimedScoreInfo] = field(default_factory=list)
    claimed_primary: float | None = None          # the candidate's own held-out score, primary metric


@dataclass
class DebriefQuestion:
    check: str
    status: str
    question: str


@dataclass
class Report:
    outcome: Outcome
    message: str
    tool_version: str
    started_at: str
    finished_at: str
    submission: SubmissionInfo
    run: RunInfo
    blind: bool = False
    candidate: str | None = None
    exercise: ExerciseInfo | None = None
    variant: VariantInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    scores: Scores = field(default_factory=Scores)
    debrief: list[DebriefQuestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION

    def sorted_findings(self) -> list[Finding]:
        """Most serious first; stable within a status so check order is kept."""
        return sorted(self.findings, key=lambda f: -f.status.severity)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self, dict_factory=_json_ready)


def _json_ready(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value.value if isinstance(value, Enum) else value for key, value in items}


def debrief_from(findings: list[Finding]) -> list[DebriefQuestion]:
    """Questions to ask in the debrief, most serious finding first."""
    ordered = sorted(findings, key=lambda f: -f.status.severity)
    return [DebriefQuestion(check=f.check, status=f.status.value, question=f.question)
            for f in ordered if f.question]
