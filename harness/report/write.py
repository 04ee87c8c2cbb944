"""A report folder on disk: executed.ipynb, report.html and report.json, each replaced atomically."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat

from takehome_harness.harness.atomic_files import (is_no_room, remove_abandoned_temp_files, write_bytes_atomic,
                                                   write_text_atomic)
from takehome_harness.harness.errors import OutputUnwritable
from takehome_harness.harness.report.json_report import write_json_report
from takehome_harness.harness.report.model import Report, ReportPlots
from takehome_harness.harness.sandbox.result import Verdict

REPORT_FILES = ("report.json", "report.html", "executed.ipynb", "predictions.csv")


def write_report(report: Report, *, report_dir: Path, notebook: Any | None, plots: ReportPlots | None,
                 predictions: Path | None = None, report_started: float | None = None) -> dict[str, Any]:
    """executed.ipynb, predictions.csv (kept for the batch's shared-work step) and report.html first, report.json
    last: its presence means the folder is complete.

    Each file is replaced atomically, and the old report.json goes first, so a grader killed half-way leaves
    a folder that the next run grades again, never a half-written file. Returns report.json's document.
    `report_started` (time.monotonic()) adds the report phase to the run's timings, up to report.html rendered.
    """
    # imported here, not with the grading modules: jinja2 and markdown-it are not needed before the run ends
    # (a grade imports this module while its sandbox runs, see harness/grade.py)
    from takehome_harness.harness.report.html_report import render_report_html

    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        remove_abandoned_temp_files(report_dir)
        for name in REPORT_FILES:
            (report_dir / name).unlink(missing_ok=True)
        if notebook is not None and report.run.verdict != Verdict.NOT_RUN.value:
            saved = nbformat.from_dict(notebook)
            if report.blind:
                for key in ("authors", "author"):
                    saved.metadata.pop(key, None)
            write_text_atomic(report_dir / "executed.ipynb", nbformat.writes(saved) + "\n")
        if predictions is not None and predictions.is_file():
            write_bytes_atomic(report_dir / "predictions.csv", predictions.read_bytes())
        write_text_atomic(report_dir / "report.html", render_report_html(report, notebook=notebook,
                                                                         plots=plots or ReportPlots()))
        if report_started is not None:
            report.run.timings["report"] = round(time.monotonic() - report_started, 2)
        return write_json_report(report, report_dir / "report.json")
    except OSError as exc:
        if not is_no_room(exc):
            raise
        raise output_unwritable(report_dir.parent, exc) from None


def output_unwritable(out_dir: Path, exc: OSError) -> OutputUnwritable:
    return OutputUnwritable(f"cannot write to the output folder {out_dir}: {exc.strerror}. Reports already "
                            "finished are complete and kept; make room (or make it writable) and re-run the same "
                            "command to grade the rest")
