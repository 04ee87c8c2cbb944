"""report.html: self-contained, inert candidate content, findings sorted and linked to cells."""
from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest
from matplotlib.figure import Figure

from takehome_harness.graders.finding import Evidence, Finding, Status
from takehome_harness.harness.report.html_report import REPORT_CSP, draw_plots, render_report_html, writeup_text
from takehome_harness.harness.report.model import Outcome, Report, RunInfo, Scores, SubmissionInfo, debrief_from
from takehome_harness.harness.report.notebook_html import render_cells, render_markdown, render_output, sanitize_html
from takehome_harness.harness.terminal_text import strip_ansi


def render(report, *, notebook, curves):
    return render_report_html(report, notebook=notebook, plots=draw_plots(report, curves))


def png_base64() -> str:
    fig = Figure(figsize=(1, 1))
    fig.subplots().plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def make_report(findings: list[Finding], **kwargs) -> Report:
    return Report(
        outcome=Outcome.GRADED, message="ran", tool_version="0.1.0", started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:01:00+00:00",
        submission=SubmissionInfo(label="sub", kind="notebook", input_sha256="0" * 64, source_name="sub.ipynb"),
        run=RunInfo(verdict="completed", message="Every cell ran.", backend="local", isolated=False,
                    wall_seconds=3.0, cell_seconds=[0.5, 1.5]),
        findings=findings, debrief=debrief_from(findings), **kwargs)


def finding(check: str, status: Status, **kwargs) -> Finding:
    return Finding(check=check, title=check.title(), status=status, explanation=f"{check} explained", **kwargs)


HOSTILE_HTML = ('<div id="summary" style="position:fixed" onmouseover="x()">table'
                '<script>document.title="pwned"</script><img src=x onerror="alert(1)">'
                '<img src="http://127.0.0.1:9/x.png"><a href="javascript:alert(1)">js</a>'
                '<iframe src="http://127.0.0.1:9/"></iframe><form action="http://127.0.0.1:9/"><input></form>'
                '<style>body{display:none}</style><base href="http://127.0.0.1:9/">'
                '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/"></div>')


def test_sanitize_html_removes_everything_active_or_remote():
    clean = str(sanitize_html(HOSTILE_HTML))
    for forbidden in ("<script", "onerror", "onmouseover", "javascript:", "http://", "<iframe", "<form",
                      "<style", "<base", "<meta", "style=", 'id="summary"'):
        assert forbidden not in clean, forbidden
    assert "table" in clean and 'id="nb-summary"' in clean


def test_sanitize_keeps_data_images_and_anchors():
    data = f"data:image/png;base64,{png_base64()}"
    clean = str(sanitize_html(f'<img src="{data}"><a href="#cell-1">see</a><a href="/etc/passwd">no</a>'))
    assert f'src="{data}"' in clean
    assert 'href="#cell-1"' in clean
    assert "/etc/passwd" not in clean


def test_markdown_raw_html_is_shown_as_text_not_parsed():
    html = str(render_markdown("# Title\n\n<script>alert(1)</script> ![x](http://127.0.0.1:9/a.png)"))
    assert "<h1>Title</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http://" not in html


def test_outputs_text_escaped_and_ansi_stripped():
    stream = str(render_output({"output_type": "stream", "name": "stdout", "text": "<b>bold</b>\x1b[31mred"}))
    assert "&lt;b&gt;" in stream and "\x1b" not in stream and "red" in stream
    error = str(render_output({"output_type": "error", "ename": "ValueError", "evalue": "bad",
                               "traceback": ["\x1b[0;31mValueError\x1b[0m: bad <x>"]}))
    assert "ValueError: bad &lt;x&gt;" in error and "\x1b" not in error
    assert strip_ansi("\x1b[1;32mok\x1b[0m") == "ok"


def test_png_output_validated_before_embedding():
    good = str(render_output({"output_type": "display_data", "data": {"image/png": png_base64(),
                                                                         "text/plain": "<Figure>"}}))
    assert good.startswith('<img class="nb-image"') and "data:image/png;base64," in good
    fake = base64.b64encode(b"<svg onload=alert(1)>").decode()
    bad = str(render_output({"output_type": "display_data", "data": {"image/png": fake, "text/plain": "fig"}}))
    assert "<img" not in bad and "fig" in bad
    broken = str(render_output({"output_type": "display_data", "data": {"image/png": "!!notbase64",
                                                                          "text/plain": "fallback"}}))
    assert "fallback" in broken and "<img" not in broken


def test_render_cells_marks_failed_cell_and_times():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**hi**"),
                                         nbformat.v4.new_code_cell("1/0", execution_count=1)])
    cells = render_cells(nb, [None, 0.25], failed_cell=1)
    assert [c.cell_type for c in cells] == ["markdown", "code"]
    assert "<strong>hi</strong>" in str(cells[0].source)
    assert cells[1].failed and cells[1].seconds == 0.25 and not cells[0].failed


def test_report_sorts_findings_by_severity_and_links_evidence_to_cells():
    findings = [finding("alpha", Status.PASS), finding("beta", Status.NOT_APPLICABLE),
                finding("gamma", Status.FAIL, evidence=[Evidence(source="trace", summary="fit on test", cell=1,
                                                                 lines="model.fit(X_test)")],
                        question="Why fit on the test rows?"),
                finding("delta", Status.COULD_NOT_CHECK), finding("eps", Status.CONCERN)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("fit")])
    html = render(make_report(findings), notebook=nb, curves=None)
    checks = html[html.index('aria-label="Checks"'):html.index('id="reviewer-summary"')]
    order = [m for m in re.findall(r'href="#finding-(\w+)"', checks)]
    assert order == ["gamma", "eps", "delta", "alpha", "beta"]
    assert 'href="#cell-1"' in html and 'id="cell-1"' in html
    assert "Why fit on the test rows?" in html
    assert f'content="{REPORT_CSP}"' in html
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_report_has_score_table_plots_and_writeup():
    import numpy as np

    from takehome_harness.harness.report.model import HiddenCurves

    writeup = finding("writeup", Status.PASS, details={"text": "## Next steps\n\n- try *gradient boosting*"})
    scores = Scores(primary_metric="roc_auc", hidden={"roc_auc": 0.79}, baseline={"roc_auc": 0.5},
                    reference={"roc_auc": 0.8}, claimed_primary=0.83, hidden_note="Scored on all 4 rows.")
    rng = np.random.default_rng(0)
    curves = HiddenCurves(y_true=np.array([0, 1] * 50), y_score=rng.random(100))
    html = render(make_report([writeup], scores=scores), notebook=None, curves=curves)
    assert "0.790" in html and "0.500" in html and "0.800" in html and "0.830" in html
    assert html.count('src="data:image/png;base64,') == 3  # score, ROC/PR, cell times
    assert "<em>gradient boosting</em>" in html
    assert writeup_text([writeup]).startswith("## Next steps")


@pytest.mark.parametrize("outcome,label", [(Outcome.REJECTED, "Rejected"), (Outcome.INTERNAL_ERROR,
                                                                             "Internal error")])
def test_not_graded_reports_say_why(outcome, label):
    report = make_report([], )
    report.outcome, report.message = outcome, "the zip is damaged"
    html = render(report, notebook=None, curves=None)
    assert label in html and "the zip is damaged" in html


def test_a_plot_that_cannot_be_drawn_is_marked_unavailable_and_the_rest_of_the_report_stays():
    # the numbers come from the sandbox: a cell time of 1.7e308 (or a claim that large) breaks matplotlib
    report = make_report([finding("execution", Status.PASS)],
                         scores=Scores(primary_metric="roc_auc", hidden={"roc_auc": 0.8}, claimed_primary=1.7e308))
    report.run.cell_seconds = [0.5, 1.7e308]
    page = render(report, notebook=None, curves=None)
    assert "The score plot is unavailable" in page and "The run time per cell plot is unavailable" in page
    assert sum("is unavailable: drawing it failed" in w for w in report.warnings) == 2
    assert "Execution" in page and "0.800" in page


def test_plots_of_plausible_numbers_are_drawn_without_a_note():
    report = make_report([], scores=Scores(primary_metric="roc_auc", hidden={"roc_auc": 0.8}, claimed_primary=0.9))
    page = render(report, notebook=None, curves=None)
    assert "unavailable" not in page and page.count("data:image/png;base64,") == 2


def test_an_infinite_score_is_left_out_of_the_score_plot_and_the_others_are_drawn():
    # predictions of 1.7e308 minutes are finite, but their mean absolute error is not
    report = make_report([], scores=Scores(primary_metric="mae", hidden={"mae": float("inf")},
                                           baseline={"mae": 12.0}, higher_is_better=False))
    page = render(report, notebook=None, curves=None)
    assert "unavailable" not in page and page.count("data:image/png;base64,") == 2
