"""A notebook crafted to run script in the HTML report, graded through the real `grade` command.

report.html is parsed with html.parser and every tag and attribute is checked: no script, no event
handler, no javascript: URL, nothing that loads from another machine, no raw terminal escapes. The
crafted content must still be visible as text, so the reviewer sees what the candidate tried.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hostile import attacks
from hostile.grading import GradeRun, IsolatedGrader, make_bundle, submission_from_bundle



def sandboxed(test):
    return pytest.mark.docker(pytest.mark.slow(test))


ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "portal"}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "background", "poster", "data",
                  "ping", "cite", "longdesc", "manifest"}
OWN_META = {("charset",), ("http-equiv", "content-security-policy"), ("name", "referrer"), ("name", "viewport")}
REMOTE = re.compile(r"(?i)^\s*([a-z][a-z0-9+.-]*:)?//")          # a URL that names another machine
CSS_REMOTE = re.compile(r"(?i)url\(\s*['\"]?\s*([a-z][a-z0-9+.-]*:)?//|@import|expression\(|javascript:")
SCRIPT_URL = re.compile(r"(?i)^\s*(javascript|vbscript|data:text/html)")


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k.lower(): v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def active_content(html: str) -> list[str]:
    """Everything in the page that could run code or fetch from elsewhere, described for the failure message."""
    parsed = Collector()
    parsed.feed(html)
    problems = []
    for tag, attrs in parsed.tags:
        if tag in ACTIVE_TAGS:
            problems.append(f"<{tag}>")
        if tag == "meta":
            kind = ("charset",) if "charset" in attrs else next(
                ((k, attrs[k].lower()) for k in ("http-equiv", "name") if k in attrs), ("?",))
            if kind not in OWN_META:
                problems.append(f"<meta {attrs}>")
        if tag == "link" and REMOTE.search(attrs.get("href", "")):
            problems.append(f"<link {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and SCRIPT_URL.search(value):
                problems.append(f"<{tag} {name}={value[:60]}>")
            if name in URL_ATTRIBUTES - {"href"} and any(REMOTE.search(u) for u in value.split(",")):
                problems.append(f"<{tag} {name}={value[:60]}> loads from elsewhere")
            if name == "style" and CSS_REMOTE.search(value):
                problems.append(f"<{tag} style={value[:60]}>")
    for css in parsed.styles:
        if CSS_REMOTE.search(css):
            problems.append(f"<style> with {css[:80]}")
    return problems


def test_collector_flags_what_it_must():
    crafted = ("<p onclick=x>a</p><script>1</script><img src='https://e.example/a.png'><a href='javascript:x'>"
               "<meta http-equiv=refresh content=0><style>body{background:url(//e.example/x)}</style>"
               "<div style='background:url(https://e.example/y)'></div><img srcset='a.png 1x, //e.example/b.png 2x'>")
    assert len(active_content(crafted)) == 8
    own = ("<meta charset=utf-8><meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
           "<style>p{color:red}</style><img src='data:image/png;base64,AAAA'><a href='#finding-1'>x</a>")
    assert active_content(own) == []


@pytest.fixture(scope="module")
def injection_report(tmp_path_factory) -> GradeRun:
    root = tmp_path_factory.mktemp("hostile-report")
    grader = IsolatedGrader(root / "grader")
    bundle = make_bundle(root / "bundle", secret=grader.secret)
    source = submission_from_bundle(bundle, root / "submission.zip", attacks.report_injection(), extra={
        "<svg onload=alert(13)>.txt": b"file name attack", "WRITEUP.md": b"<script>alert(14)</script>"})
    run = grader.grade(source, total_seconds=60, memory_mb=1024, kill_after=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert grader.leftovers() == []
    return run


@sandboxed
def test_report_shows_injection_attempts_as_text_only(injection_report):
    run = injection_report
    assert run.report is not None and run.html is not None
    assert run.report["run"]["verdict"] == "cell_error" and run.report["run"]["backend"] == "docker"
    assert active_content(run.html) == []
    assert "\x1b" not in run.html                   # terminal escapes are stripped, not passed through
    assert "Content-Security-Policy" in run.html
    parsed = Collector()
    parsed.feed(run.html)
    text = "".join(parsed.text)
    assert "alert('traceback')" in text            # the crafted error is shown to the reviewer, as text
    assert "alert('md-script')" in text
