"""report.html: one self-contained page (inline CSS, data-URI images, strict CSP, no script)."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from takehome_harness.graders.finding import Finding, Status
from takehome_harness.harness.report.model import HiddenCurves, Outcome, Report, ReportPlots
from takehome_harness.harness.report.notebook_html import render_cells, render_markdown
from takehome_harness.harness.report.plots import cell_times_plot, curve_plot, score_plot
from takehome_harness.harness.report.reviewer_summary import reviewer_summary
from takehome_harness.harness.terminal_text import strip_ansi

REPORT_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; "
              "base-uri 'none'; form-action 'none'")

STATUS_LABELS = {
    Status.FAIL: "fail", Status.CONCERN: "concern", Status.COULD_NOT_CHECK: "could not check",
    Status.PASS: "pass", Status.NOT_APPLICABLE: "n/a",
}
VERDICT_LABELS = {
    "completed": "Ran to the end", "cell_error": "Stopped on an error", "deadline": "Timed out",
    "out_of_memory": "Out of memory", "kernel_died": "Kernel died", "not_run": "Not run",
}
_WRITEUP_CHECKS = ("writeup", "next_steps")


def _printable(value: Any) -> Any:
    """Terminal colour codes reach us inside error messages and check explanations; never print them raw."""
    if isinstance(value, Markup):
        return Markup(strip_ansi(value))
    return strip_ansi(value) if isinstance(value, str) else value


@cache
def template_environment() -> jinja2.Environment:
    folder = resources.files("takehome_harness.harness.report")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: folder.joinpath(name).read_text()),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_printable,
    )
    env.globals["status_label"] = lambda status: STATUS_LABELS[Status(status)]
    return env


def stylesheet() -> str:
    return resources.files("takehome_harness.harness.report").joinpath("report.css").read_text()


def writeup_text(findings: list[Finding]) -> str | None:
    for finding in findings:
        text = finding.details.get("text")
        if finding.check in _WRITEUP_CHECKS and isinstance(text, str) and text.strip():
            return text
    return None


def _score_rows(report: Report) -> list[tuple[str, str, bool]]:
    scores, metric = report.scores, report.scores.primary_metric
    if metric is None:
        return []
    rows = [
        ("Candidate, hidden test", (scores.hidden or {}).get(metric), True),
        ("Baseline", (scores.baseline or {}).get(metric), False),
        ("Reference solution", (scores.reference or {}).get(metric), False),
        ("Candidate's own claim", scores.claimed_primary, False),
    ]
    return [(label, "—" if value is None else f"{value:.3f}", main) for label, value, main in rows]


def _headline(report: Report) -> str:
    if report.outcome is not Outcome.GRADED:
        return report.message
    counts = {s: sum(f.status is s for f in report.findings) for s in Status}
    parts = [f"{counts[s]} {STATUS_LABELS[s]}" for s in (Status.FAIL, Status.CONCERN, Status.COULD_NOT_CHECK,
                                                          Status.PASS) if counts[s]]
    return "Checks: " + ", ".join(parts) if parts else "No checks ran."


def _drawn(what: str, draw: Callable[[], Any], unavailable: list[str]) -> Any:
    """One plot or section; if it fails, the report says that part is unavailable instead of failing."""
    try:
        return draw()
    except Exception as exc:  # noqa: BLE001 - numbers and text from the sandbox are untrusted
        unavailable.append(f"The {what} is unavailable: drawing it failed ({type(exc).__name__}: {str(exc)[:200]}).")
        return None


def draw_plots(report: Report, curves: HiddenCurves | None) -> ReportPlots:
    unavailable: list[str] = []
    return ReportPlots(
        score=_drawn("score plot", lambda: score_plot(report.scores), unavailable),
        curves=_drawn("ROC and precision-recall plot", lambda: curve_plot(curves.y_true, curves.y_score),
                      unavailable) if curves is not None else None,
        cells=_drawn("run time per cell plot", lambda: cell_times_plot(report.run.cell_seconds), unavailable),
        unavailable=unavailable,
    )


def render_report_html(report: Report, *, notebook: Any | None, plots: ReportPlots) -> str:
    """The page, with plots drawn by draw_plots. A plot or section that cannot be drawn is marked unavailable on
    the page and in report.warnings (report.json is written after the page, so it says so too)."""
    if report.outcome is Outcome.GRADED:
        verdict_class, verdict_label = report.run.verdict, VERDICT_LABELS.get(report.run.verdict, report.run.verdict)
    else:
        verdict_class = report.outcome.value
        verdict_label = "Rejected" if report.outcome is Outcome.REJECTED else "Internal error"
    exercise = report.exercise.title if report.exercise else "Notebook review (no exercise)"
    writeup = writeup_text(report.findings)
    unavailable = list(plots.unavailable)
    writeup_html = _drawn("next-steps write-up", lambda: render_markdown(writeup), unavailable) if writeup else None
    cells = _drawn("executed notebook", lambda: render_cells(notebook, report.run.cell_seconds,
                                                             report.run.failed_cell), unavailable) if notebook else []
    report.warnings.extend(unavailable)
    return template_environment().get_template("report.html.j2").render(
        r=report,
        title=f"Take-home report: {exercise}",
        csp=REPORT_CSP,
        css=stylesheet(),
        verdict_class=verdict_class,
        verdict_label=verdict_label,
        headline=_headline(report),
        findings=report.sorted_findings(),
        summary_lines=reviewer_summary(report.findings),
        score_rows=_score_rows(report),
        plots=plots,
        unavailable=unavailable,
        writeup=writeup_html,
        cells=cells or [],
    )
