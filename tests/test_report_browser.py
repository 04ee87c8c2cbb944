"""report.html in a real browser (headless Chromium): it shows the summary and every finding, and nothing
from the candidate's notebook runs or loads - not a script, not an event handler, not a remote image."""
from __future__ import annotations

import html as html_lib
import http.server
import re
import subprocess
import threading
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import CHROMIUM, assert_valid_report

from takehome_harness.harness.cli import grade

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PWNED_TITLE = "PWNED-BY-NOTEBOOK"


class RecordingServer:
    """A web server on this machine that only records what was asked of it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                recorded.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = RecordingServer()
    yield s
    s.close()


def hostile_notebook(port: int) -> nbformat.NotebookNode:
    remote = f"http://127.0.0.1:{port}"
    inject = ("document.title='" + PWNED_TITLE + "';"
              "var p=document.createElement('p');p.id='injected';document.body.appendChild(p);")
    payload = (f"<script>{inject}</script>"
               f"<img src=x onerror=\"{inject}\">"
               f"<img src='{remote}/img.png'>"
               f"<link rel=stylesheet href='{remote}/style.css'>"
               f"<div style=\"background:url({remote}/bg.png)\">styled</div>"
               f"<iframe src='{remote}/frame'></iframe>"
               f"<svg><script>{inject}</script></svg>"
               f"<a href=\"javascript:{inject}\">click</a>")
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Analysis\n\n{payload}\n\n![chart]({remote}/md.png)"),
        nbformat.v4.new_code_cell(f"from IPython.display import HTML, Markdown, display\n"
                                  f"display(HTML({payload!r}))\n"
                                  f"display(Markdown({payload!r}))\n"
                                  f"print({payload!r})"),
        nbformat.v4.new_code_cell("raise ValueError('\\x1b[31mboom\\x1b[0m <script>x</script>')"),
    ])


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
         "--virtual-time-budget=5000", *args],
        capture_output=True, text=True, timeout=120)


def test_report_renders_and_nothing_from_the_notebook_runs_or_loads(harness_home, tmp_path, server):
    folder = tmp_path / "hostile"
    folder.mkdir()
    nbformat.write(hostile_notebook(server.port), str(folder / "notebook.ipynb"))
    result = CliRunner().invoke(grade, [str(folder), "--out", str(tmp_path / "out"), "--sandbox", "local",
                                        "--timeout", "120"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report_dir = tmp_path / "out" / "hostile"
    report = assert_valid_report(report_dir / "report.json")
    assert report["run"]["verdict"] == "cell_error"
    page = (report_dir / "report.html").as_uri()

    dom = chromium("--dump-dom", page, profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    assert f"<title>{PWNED_TITLE}" not in text and 'id="injected"' not in text
    assert re.search(r"<title>Take-home report", text)
    assert 'id="summary"' in text and "Stopped on an error" in text
    for finding in report["findings"]:
        assert f'id="finding-{finding["check"]}"' in text
        assert html_lib.escape(finding["title"], quote=False) in text
    assert "<iframe" not in text and "<link" not in text
    assert "\x1b" not in (report_dir / "report.html").read_text()
    # the payload is still visible to the reviewer, as text
    assert "onerror" in html_lib.unescape(re.sub(r"<[^>]+>", "", text))

    shot = tmp_path / "report.png"
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,1800", page, profile=tmp_path / "profile-shot")
    assert taken.returncode == 0 and shot.stat().st_size > 20_000
    assert server.requests == [], f"the report made network requests: {server.requests}"


def test_index_page_renders_with_its_pinned_script(harness_home, tmp_path, fake_sandbox, server):
    from takehome_harness.harness.batch import grade_batch
    from takehome_harness.harness.grade_options import GradeOptions

    sources = []
    for name in ("ada", "bob"):
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), str(path))
        sources.append(path)
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"))
    dom = chromium("--dump-dom", result.index_html.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0
    table = dom.stdout[dom.stdout.index('<table id="index">'):].split("</table>")[0]
    assert table.count('href="ada/report.html"') == 1 and 'href="bob/report.html"' in table
    assert server.requests == []
    assert [o.outcome for o in result.outcomes] == ["graded", "graded"]


def test_index_filters_to_the_submissions_that_need_a_closer_look(tmp_path, server):
    from takehome_harness.harness.report.index import IndexRow, write_index_html

    def row(name: str, closer_look: list[str]) -> IndexRow:
        return IndexRow(name=name, label=name, outcome="graded", verdict="completed", hidden=0.8, claimed=None,
                        baseline=0.5, reference=0.85, statuses={"heldout": "fail" if closer_look else "pass"},
                        href=f"{name}/report.html", closer_look=closer_look)

    page = write_index_html([row("ada", ["heldout fail"]), row("bob", []), row("cy", ["run: deadline"])],
                            out_dir=tmp_path, blind=False, metric="roc_auc")

    everything = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-all")
    assert everything.returncode == 0
    assert {name: bool(hidden) for hidden, name in rows_of(everything.stdout)} == {"ada": False, "bob": False,
                                                                                   "cy": False}
    filtered = chromium("--dump-dom", page.as_uri() + "#closer-look", profile=tmp_path / "profile-filtered")
    assert {name: bool(hidden) for hidden, name in rows_of(filtered.stdout)} == {"ada": False, "bob": True,
                                                                                 "cy": False}
    assert "2 submission(s) that need a closer look" in filtered.stdout
    assert server.requests == []


def rows_of(dom: str) -> list[tuple[str, str]]:
    """(hidden attribute or "", candidate name) for each table row of a dumped index page."""
    return re.findall(r'<tr data-closer-look="\w+"( hidden="")?>\s*<td data-value="(\w+)"', dom)
