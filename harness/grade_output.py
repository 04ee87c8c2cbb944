"""What `grade` shows: a rich progress bar while grading, then one line per report (or JSON)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from takehome_harness.harness.batch import BatchResult, grade_batch
from takehome_harness.harness.grade import GradeOutcome
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.sandbox.registry import FALLBACK_NOTE


def run_with_progress(*, sources: list[Path], out_dir: Path, options: GradeOptions, jobs: int,
                      show_progress: bool) -> BatchResult:
    progress = Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True),
                        # rich's 10 redraws a second cost ~1 % of a core through a whole batch (profiled); the bar
                        # changes once a second (elapsed time) or when a report is done
                        refresh_per_second=2, disable=not show_progress)
    task = progress.add_task("", total=None)

    def started(total: int) -> None:  # only once the options and paths are known to be good
        progress.update(task, total=total)
        progress.start()

    def done(outcome: GradeOutcome) -> None:
        progress.update(task, advance=1, description=outcome.report_dir.name)

    def note(text: str) -> None:
        progress.update(task, description=text)

    try:
        return grade_batch(sources=sources, out_dir=out_dir, options=options, jobs=jobs, on_start=started,
                           on_done=done, on_note=note)
    finally:
        progress.stop()


def outcome_summary(outcome: GradeOutcome) -> dict[str, Any]:
    row = outcome.row
    return {
        "source": str(outcome.source),
        "report_dir": str(outcome.report_dir),
        "report_html": str(outcome.report_dir / "report.html"),
        "outcome": row.outcome,
        "verdict": outcome.run_verdict,
        "skipped": outcome.skipped,
        "primary_metric": outcome.primary_metric,
        "hidden_score": row.hidden,
        "claimed_score": row.claimed,
        "bundle_verified": row.bundle_verified,
        "isolated": row.isolated,
        "checks": dict(row.statuses),
        "message": outcome.message,
        "timings": outcome.timings,
    }


def outcome_line(outcome: GradeOutcome) -> str:
    s = outcome_summary(outcome)
    what = s["verdict"] if s["outcome"] == "graded" else s["outcome"]
    score = f", hidden {s['primary_metric']} {s['hidden_score']:.3f}" if s["hidden_score"] is not None else ""
    skipped = " (already graded, skipped; --force to redo)" if s["skipped"] else ""
    unverified = " [bundle NOT verified: hidden labels not used, see the report]" if s["bundle_verified"] is False else ""
    return f"{outcome.report_dir.name}: {what}{score}{unverified}{skipped} -> {s['report_html']}"


def isolation_line(result: BatchResult, *, sandbox: str) -> str | None:
    """One line for the whole batch when submissions ran in the local runner, without isolation."""
    ran = [o for o in result.outcomes if o.row.isolated is not None]
    local = [o for o in ran if o.row.isolated is False]
    if not local:
        return None
    if sandbox == "local":
        return f"note: {len(local)} of {len(ran)} submission(s) ran without isolation (--sandbox local)"
    reason = next((w for o in local for w in o.run_warnings if FALLBACK_NOTE in w),
                  "the Docker sandbox was not used")
    return (f"WARNING: {len(local)} of {len(ran)} submission(s) ran WITHOUT ISOLATION in the local runner: {reason} "
            "They are marked 'not isolated' in the index.")


def print_batch(result: BatchResult, *, as_json: bool, sandbox: str = "auto") -> None:
    if as_json:
        click.echo(json.dumps({
            "reports": [outcome_summary(o) for o in result.outcomes],
            "index_html": str(result.index_html), "summary_csv": str(result.summary_csv),
            "interrupted": result.interrupted, "not_started": [str(p) for p in result.not_started],
            "sandbox_lost": result.sandbox_lost, "shared_work": [asdict(pair) for pair in result.shared_work],
        }, indent=2))
    else:
        for outcome in result.outcomes:
            click.echo(outcome_line(outcome))
        for source in result.not_started:
            click.echo(f"{source}: not graded")
        for pair in result.shared_work:
            click.echo(f"shared work: {pair.left} and {pair.right}: {pair.evidence} (evidence in both reports)")
        click.echo(f"index: {result.index_html}\nsummary: {result.summary_csv}")
    warning = isolation_line(result, sandbox=sandbox)
    if warning:  # last, on stderr, so neither a long list nor --json hides it
        click.secho(warning, fg="yellow" if sandbox == "local" else "red", bold=True, err=True)
    if result.interrupted:
        click.secho(f"interrupted: {len(result.not_started)} submission(s) not graded", fg="yellow", err=True)
    elif result.sandbox_lost:
        click.secho(f"sandbox unavailable: {result.sandbox_lost}. Finished reports, the index and the CSV are "
                    "kept; start the engine again and re-run the same command to grade the rest.", fg="red", err=True)
