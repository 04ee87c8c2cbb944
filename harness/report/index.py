"""The batch overview: <out>/index.html (sortable table, CSP-pinned script) and <out>/summary.csv."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from takehome_harness.graders.finding import Status
from takehome_harness.harness.atomic_files import write_text_atomic


@dataclass
class IndexRow:
    name: str                      # candidate, or the anonymised submission label when blind
    label: str
    outcome: str
    verdict: str                   # the run's verdict, or the outcome when nothing was graded
    hidden: float | None
    claimed: float | None
    baseline: float | None
    reference: float | None
    statuses: dict[str, str]       # check id -> status value
    href: str
    bundle_verified: bool | None = None   # None: no bundle.json; False: its hidden labels could not be used
    isolated: bool | None = None          # False: ran in the unisolated local runner (None: never ran)
    closer_look: list[str] = field(default_factory=list)   # why a reviewer should look closer; empty: nothing


@dataclass
class SharedPairRow:
    """Two submissions with work in common (takehome_harness.harness.shared_work), for the index's list."""

    left: str
    left_href: str
    right: str
    right_href: str
    evidence: str


INDEX_SCRIPTS = ("index_sort.js", "index_filter.js")


def index_script() -> str:
    """The page's one script (sortable columns, the closer-look filter), pinned by its hash in the CSP."""
    return "\n".join(resources.files("takehome_harness.harness.report").joinpath(name).read_text() for name in INDEX_SCRIPTS)


def index_csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'")


def index_row(document: dict[str, Any], *, report_dir: Path, out_dir: Path) -> IndexRow:
    scores, run = document["scores"], document["run"]
    metric = scores.get("primary_metric")
    pick = lambda block: (block or {}).get(metric) if metric else None  # noqa: E731
    graded = document["outcome"] == "graded"
    label = document["submission"]["label"]
    return IndexRow(
        name=label if document["blind"] else (document.get("candidate") or label),
        label=label, outcome=document["outcome"],
        verdict=run["verdict"] if graded else document["outcome"],
        hidden=pick(scores.get("hidden")), claimed=scores.get("claimed_primary"),
        baseline=pick(scores.get("baseline")), reference=pick(scores.get("reference")),
        statuses={f["check"]: f["status"] for f in document["findings"]},
        href=(report_dir / "report.html").relative_to(out_dir).as_posix(),
        bundle_verified=bundle_verified(document),
        isolated=run.get("isolated"),
        closer_look=closer_look_reasons(document),
    )


# A concern about shared work is worth a closer look on its own; other concerns are for the debrief.
CLOSER_LOOK_CONCERNS = ("shared_work",)


def closer_look_reasons(document: dict[str, Any]) -> list[str]:
    """Why this submission needs a closer look: it was not graded or did not run to the end, its bundle could
    not be verified, a check failed, or its work is shared with another submission (named, most serious first).
    Concerns alone do not count: nearly every notebook has one, and a filter that keeps everyone shows nothing."""
    reasons = []
    if document["outcome"] != "graded":
        reasons.append(document["outcome"].replace("_", " "))
    elif document["run"]["verdict"] != "completed":
        reasons.append(f"run: {document['run']['verdict'].replace('_', ' ')}")
    if bundle_verified(document) is False:
        reasons.append("bundle not verified")
    serious = sorted((f for f in document["findings"] if f["status"] == Status.FAIL.value
                      or (f["status"] == Status.CONCERN.value and f["check"] in CLOSER_LOOK_CONCERNS)),
                     key=lambda f: -Status(f["status"]).severity)
    reasons.extend(f"{f['check']} {f['status']}" for f in serious if f["check"] != "intake")
    return reasons


def bundle_verified(document: dict[str, Any]) -> bool | None:
    variant = document.get("variant") or {}
    return bool(variant["verified"]) if variant.get("bundle_id") else None


def _check_columns(rows: list[IndexRow]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row.statuses))
    return list(seen)


def write_index_html(rows: list[IndexRow], *, out_dir: Path, blind: bool, metric: str | None,
                     shared: list[SharedPairRow] = (), notes: list[str] = ()) -> Path:
    script = index_script()
    # imported here: grading imports this module for index_row, before the sandbox starts
    from takehome_harness.harness.report.html_report import stylesheet, template_environment

    html = template_environment().get_template("index.html.j2").render(
        rows=rows, checks=_check_columns(rows), blind=blind, metric=metric, css=stylesheet(), script=script,
        shared=shared, notes=notes,
        csp=index_csp(script), severity={s.value: s.severity for s in Status},
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    path = out_dir / "index.html"
    write_text_atomic(path, html)
    return path


def _cell(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas; names come from candidate-controlled files."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return "" if value is None else value


def write_summary_csv(rows: list[IndexRow], *, out_dir: Path, blind: bool) -> Path:
    checks = _check_columns(rows)
    path = out_dir / "summary.csv"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["submission" if blind else "candidate", "label", "outcome", "verdict", "hidden_score",
                     "claimed_score", "baseline_score", "reference_score", "bundle", "isolated", *checks,
                     "closer_look", "report"])
    for row in rows:
        writer.writerow([_cell(v) for v in (row.name, row.label, row.outcome, row.verdict, row.hidden,
                                            row.claimed, row.baseline, row.reference,
                                            {True: "verified", False: "NOT verified"}.get(row.bundle_verified),
                                            {True: "yes", False: "NO"}.get(row.isolated),
                                            *(row.statuses.get(c) for c in checks), "; ".join(row.closer_look),
                                            row.href)])
    write_text_atomic(path, buffer.getvalue())
    return path
