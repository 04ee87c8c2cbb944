"""The reviewer's summary: three to five lines at the end of the report's first screen, made from the findings
alone (what to probe first, then what is strong), each linked to its finding."""
from __future__ import annotations

import re
from dataclasses import dataclass

from takehome_harness.graders.finding import Finding, Status

MAX_LINES = 5
MAX_PROBES = 3
_FIRST_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)", re.S)


@dataclass(frozen=True)
class Link:
    title: str
    check: str              # the finding's anchor is #finding-<check>


@dataclass(frozen=True)
class SummaryLine:
    kind: str               # "probe" | "strong" | "unchecked"
    label: str              # what the reviewer reads first: "Probe", "Strong", ...
    links: tuple[Link, ...]
    text: str               # the finding's first sentence; empty when the line lists several findings


def first_sentence(text: str) -> str:
    match = _FIRST_SENTENCE.match(text.strip())
    return match.group(1) if match else text.strip()


def _lines(kind: str, label: str, more_label: str, findings: list[Finding], room: int) -> list[SummaryLine]:
    """One line per finding while there is room; the last line lists the rest when they do not fit."""
    if room <= 0 or not findings:
        return []
    single = lambda f: SummaryLine(kind, label, (Link(f.title, f.check),), first_sentence(f.explanation))  # noqa: E731
    if len(findings) <= room:
        return [single(f) for f in findings]
    shown = [single(f) for f in findings[:room - 1]]
    rest = tuple(Link(f.title, f.check) for f in findings[room - 1:])
    return [*shown, SummaryLine(kind, more_label if shown else label, rest, "")]


def reviewer_summary(findings: list[Finding]) -> list[SummaryLine]:
    """Fails and concerns first (at most three lines), then passes, then what could not be checked."""
    ordered = sorted(findings, key=lambda f: -f.status.severity)
    probes = [f for f in ordered if f.status in (Status.FAIL, Status.CONCERN)]
    strong = [f for f in ordered if f.status is Status.PASS]
    unchecked = [f for f in ordered if f.status is Status.COULD_NOT_CHECK]
    lines = _lines("probe", "Probe", "Also probe", probes, MAX_PROBES)
    # keep a line for the strengths and one for what was not checked, when there are any
    reserve = bool(unchecked)
    lines += _lines("strong", "Strong", "Also strong", strong, MAX_LINES - len(lines) - reserve)
    lines += _lines("unchecked", "Not checked", "Not checked", unchecked, min(1, MAX_LINES - len(lines)))
    return lines
