"""Next-steps write-up: is there one, and does it say anything concrete?

Where it is looked for
  - markdown cells, in sections whose heading means next steps / future work / improvements / limitations /
    "what I would do with more time" / todo / outlook ... (any heading level, setext or HTML headings, and
    bold or "Label:" pseudo-headings). A section runs until the next heading of the same or a higher level, or
    the next non-empty code cell. Headings like "Conclusion" or "Summary" count only when their text looks ahead.
  - separate files: NEXT_STEPS.md / WRITEUP.md (and the exercise's `writeup.files`), in the submission or
    written by the run.

Scoring rule (no model; every step is shown in the finding's details)
  1. nothing found                                                  -> FAIL
  2. only the starter's placeholder text, or nothing under the heading -> CONCERN (boilerplate)
  3. fewer than MIN_WORDS words once placeholders are removed       -> CONCERN (too short)
  4. fewer than MIN_THEMES distinct concrete themes (THEMES below)  -> CONCERN (generic); stock phrases
     that fit any problem ("more features", "try other models", "tune hyperparameters", "more data") are
     removed before counting (STOCK_PHRASES)
  5. otherwise                                                      -> PASS
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from takehome_harness.graders._notebook_ast import cell_source
from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status

CHECK_ID = "writeup"
TITLE = "Next-steps write-up"
ORDER = 50

MIN_WORDS = 40
MIN_THEMES = 2
MAX_FILE_BYTES = 256 * 1024
DEFAULT_FILES = ("NEXT_STEPS.md", "WRITEUP.md")

_HEADING_PATTERNS = [re.compile(p) for p in (
    r"\bnext\s*steps?\b", r"\bfuture\b", r"\bimprovements?\b", r"\bhow to improve\b", r"\blimitations?\b",
    r"\bcaveats?\b", r"\bshortcomings\b", r"\bweakness(es)?\b", r"\bmore time\b", r"\bgiven (more )?time\b",
    r"\bif i (had|have|were)\b", r"\bwhat i('d| would) (do|change|try|improve|add)\b", r"\bwould do differently\b",
    r"\b(do|try|tackle) next\b",
    r"\bfurther (work|steps|improvements?|ideas|analysis|directions|research)\b", r"\bto ?-?dos?\b",
    r"\boutlook\b", r"\broadmap\b", r"\bwhat'?s next\b", r"\bwhere to go\b", r"\bfollow[ -]?ups?\b",
    r"\bopen (questions|issues)\b", r"\bknown issues\b", r"\brecommendations?\b", r"\bgoing forward\b",
    r"\bpotential (extensions|improvements)\b", r"\bextensions\b", r"\banother (day|week|month)\b",
)]
# Summary-style headings: a write-up only if the text under them looks ahead.
_WEAK_HEADING = re.compile(r"\b(conclusions?|summary|wrap[- ]?up|discussion|final (thoughts|remarks|notes)|"
                           r"closing (thoughts|remarks)|reflections?)\b")
_LOOKS_AHEAD = re.compile(r"\b(would|could|should|next|future|more time|plan|try|explore|investigate|improve)\b")

_PLACEHOLDERS = [re.compile(p, re.I) for p in (
    r"\b(write|add|put|describe)\b[^.\n]{0,40}\bhere\b[.!]?", r"\byour (answer|text|notes?) here\b",
    r"\blorem ipsum\b[^\n]*", r"\b(todo|tbd|tba|fixme)\b[:.!]?", r"\.\.\.+", r"…",
)]

# Stock phrases every write-up can say about any problem: removed before themes are counted, so "more
# features, other models, tune hyperparameters, more data" alone reads as generic.
STOCK_PHRASES = [re.compile(p) for p in (
    r"\b(more|additional|better|extra|new|other|some) features?\b(?! engineering)",
    r"\b(more |some |additional |better )?feature engineering\b(?!\s*[:(]| (on|of|for|from|around|with|using|like|such|to))",
    r"\b(tun(e|ing)|optimi[sz](e|ing)) (the |my |our |model )?(hyper-?)?param(eter)?s?\b",
    r"\b(more|further|additional) (hyper-?)?param(eter)? tuning\b",
    r"\b(try|test|use|explore|experiment with|compare) (other|more|different|additional|some other|a few other|"
    r"better|more complex|fancier) (models?|algorithms?|approaches|methods|classifiers|estimators)\b",
    r"\b(more|additional|extra) (training )?data\b(?! (on|about|from|for))",
    r"\bmore (time|analysis|eda|exploration|experiments)\b",
)]

# Concrete directions a reviewer looks for; a write-up naming several is substantive.
THEMES: dict[str, re.Pattern[str]] = {name: re.compile(pattern) for name, pattern in {
    "data": r"\b(more|additional|external|new|fresh|historical) (data|samples|labels|rows|customers)\b|"
            r"\bdata (quality|collection|cleaning|pipeline|sources?)\b|\bcollect\w*\b|\blabel(l)?ing\b|"
            r"\bsampling\b|\bresampl\w*\b|\boversampl\w*\b|\bsmote\b|\bduplicates?\b|\bmissing values?\b|"
            r"\bimput\w*\b|\boutliers?\b",
    "features": r"\bfeatures?\b|\bfeature engineering\b|\binteractions?\b|\bencod\w*\b|\bembeddings?\b|"
                r"\baggregat\w*\b|\bratios?\b|\blag(ged)?\b|\brolling\b|\btenure\b|\btrends?\b|\brecency\b|"
                r"\bper (month|week|day|customer|user)\b|\bseasonal\w*\b|\btime since\b",
    "modelling": r"\bhyper-?parameters?\b|\btun(e|ing)\b|\bgrid search\b|\boptuna\b|\bgradient boost\w*\b|"
                 r"\bxgboost\b|\blightgbm\b|\bcatboost\b|\bensembl\w*\b|\bstack\w*\b|\bcalibrat\w*\b|"
                 r"\bneural net\w*\b|\bregulari[sz]\w*\b|\bclass[ _]weights?\b",
    "error analysis": r"\berror analysis\b|\bmisclassif\w*\b|\bfalse (positives?|negatives?)\b|\bresiduals?\b|"
                      r"\bsegments?\b|\bslices?\b|\bsubgroups?\b|\bconfusion matrix\b|\bshap\b|"
                      r"\bfeature importances?\b|\binterpretab\w*\b|\bexplainab\w*\b|\bpartial dependence\b",
    "validation": r"\bcross[- ]?validat\w*\b|\bk-?fold\b|\btime[- ]based\b|\btemporal\b|\bout[- ]of[- ]time\b|"
                  r"\bhold[- ]?out\b|\bbacktest\w*\b|\bleak\w*\b|\bconfidence intervals?\b|\bbootstrap\w*\b|"
                  r"\bvalidation (set|split|strategy|scheme)\b|\bsplit by (date|time)\b",
    "deployment": r"\bdeploy\w*\b|\bproduction\b|\bapi\b|\bserv(e|ing)\b|\blatency\b|\bbatch scor\w*\b|"
                  r"\bretrain\w*\b|\bpipeline\b|\bmlops\b|\bscheduled?\b",
    "monitoring": r"\bmonitor\w*\b|\bdrift\w*\b|\bdistribution (shift|change)s?\b|\balert\w*\b|\bdecay\w*\b|"
                  r"\bdegrad\w*\b",
    "decision": r"\bthresholds?\b|\bcosts?\b|\bbusiness\b|\bstakeholders?\b|\buplift\b|\binterventions?\b|"
                r"\bcampaigns?\b|\ba/b test\w*\b|\bexperiment\w*\b|\broi\b|\bprecision at\b|\btop[- ]k\b|\bbudget\b",
    "limitations": r"\blimitations?\b|\bassumptions?\b|\bbias(es|ed)?\b|\bfairness\b|\bimbalance\w*\b|"
                   r"\boverfit\w*\b|\bcaveats?\b|\bsmall sample\b|\buncertaint\w*\b|\bsynthetic\b",
}.items()}


@dataclass
class _Block:
    cell: int | None
    kind: str                  # "heading", "text" or "code" (a non-empty code cell: ends a section)
    level: int = 0             # 1-6 for headings, 7 for pseudo-headings
    title: str = ""
    text: str = ""


@dataclass
class Section:
    heading: str
    source: str                # "notebook" or a file name
    cells: list[int] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def where(self) -> str:
        if self.source != "notebook":
            return self.source
        if not self.cells:
            return "notebook"
        first, last = min(self.cells), max(self.cells)
        return f"notebook cell {first}" if first == last else f"notebook cells {first}-{last}"


_MD = MarkdownIt("commonmark")
_HTML_HEADING = re.compile(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>", re.I | re.S)
_NUMBERING = re.compile(r"^((step|part|section)\s*)?([0-9]+|[ivx]+)([.)]|\s*[:\-–—])\s*")


def normalise_heading(title: str) -> str:
    text = re.sub(r"[*_`#]+", "", title).strip().lower()
    text = _NUMBERING.sub("", text)
    text = text.replace("’", "'")
    return re.sub(r"[^\w' /-]+", " ", text).strip()


def _inline_text(children: list[Any]) -> str:
    return "".join(c.content if c.type != "softbreak" else "\n" for c in children)


def _pseudo_heading(children: list[Any]) -> tuple[str, str] | None:
    """(title, rest) for a paragraph that opens with a short bold label or is one short "Label:" line."""
    kids = [c for c in children if not (c.type == "text" and not c.content.strip())]
    if kids and kids[0].type == "strong_open":
        close = next((i for i, c in enumerate(kids) if c.type == "strong_close"), None)
        if close is not None:
            title = _inline_text(kids[1:close]).strip()
            if 0 < len(title.split()) <= 10:
                return title, _inline_text(kids[close + 1:]).lstrip(" :—–-").strip()
    text = _inline_text(kids).strip()
    if "\n" not in text and text.endswith(":") and len(text.split()) <= 8:
        return text.rstrip(":"), ""
    return None


def _markdown_blocks(source: str, cell: int | None) -> list[_Block]:
    lines = source.splitlines()
    tokens = _MD.parse(source)
    blocks: list[_Block] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.nesting == -1 or tok.map is None:
            continue
        text = "\n".join(lines[tok.map[0]:tok.map[1]])
        if tok.type == "heading_open":
            blocks.append(_Block(cell, "heading", int(tok.tag[1]), tokens[i + 1].content))
        elif tok.type == "html_block" and (m := _HTML_HEADING.match(tok.content)):
            blocks.append(_Block(cell, "heading", int(m.group(1)), re.sub(r"<[^>]+>", "", m.group(2))))
        elif tok.type == "paragraph_open" and (pseudo := _pseudo_heading(tokens[i + 1].children or [])):
            blocks.append(_Block(cell, "heading", 7, pseudo[0]))
            if pseudo[1]:
                blocks.append(_Block(cell, "text", text=pseudo[1]))
        else:
            blocks.append(_Block(cell, "text", text=text))
    return blocks


def _notebook_blocks(notebook: Any) -> list[_Block]:
    blocks: list[_Block] = []
    for index, cell in enumerate(notebook.cells):
        source = cell_source(cell)
        if cell.cell_type == "markdown":
            blocks.extend(_markdown_blocks(source, index))
        elif cell.cell_type == "code" and source.strip():
            blocks.append(_Block(index, "code"))
    return blocks


# A "heading" longer than this is a sentence someone marked with '#' ("# dropping the id column as it has nothing
# to do with churn"): its words are not a section's title.
MAX_HEADING_WORDS = 12


def _heading_matches(title: str, hints: list[str]) -> str | None:
    """"strong", "weak" (summary-style) or None."""
    text = normalise_heading(title)
    if len(text.split()) > MAX_HEADING_WORDS:
        return None
    if any(p.search(text) for p in _HEADING_PATTERNS) or any(h.lower() in text for h in hints if h.strip()):
        return "strong"
    return "weak" if _WEAK_HEADING.search(text) else None


def find_sections(blocks: list[_Block], *, source: str, hints: list[str]) -> list[Section]:
    sections: list[Section] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        strength = _heading_matches(block.title, hints) if block.kind == "heading" else None
        if strength is None:
            i += 1
            continue
        section = Section(heading=block.title, source=source, cells=[block.cell] if block.cell is not None else [])
        j = i + 1
        while j < len(blocks):
            nxt = blocks[j]
            if nxt.kind == "code" or (nxt.kind == "heading" and nxt.level <= block.level):
                break
            section.lines.append(nxt.text if nxt.kind == "text" else f"{nxt.title}:")
            if nxt.cell is not None and nxt.cell not in section.cells:
                section.cells.append(nxt.cell)
            j += 1
        if strength == "strong" or _LOOKS_AHEAD.search(section.text.lower()):
            sections.append(section)
        i = j
    return sections


def _writeup_files(ctx: GradingContext) -> list[Path]:
    hints = ctx.exercise.writeup_hints.get("files", []) if ctx.exercise is not None else []
    wanted = {name.lower() for name in (*DEFAULT_FILES, *hints)}
    folder = ctx.submission_dir
    candidates = sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []
    if ctx.run is not None:
        candidates += ctx.run.extra_files
    # Never follow a link: a candidate's NEXT_STEPS.md must not quote a grader-side file into the report.
    candidates = [p for p in candidates if p.is_file() and not p.is_symlink()]
    found: dict[str, Path] = {}
    for path in candidates:
        if path.name.lower() in wanted and path.name.lower() not in found:
            found[path.name.lower()] = path
    return list(found.values())


def _file_section(path: Path) -> Section:
    with path.open("rb") as fh:
        text = fh.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
    return Section(heading=path.name, source=path.name, lines=text.splitlines())


def strip_placeholders(text: str, starter_text: list[str]) -> tuple[str, bool]:
    """(text without placeholder sentences, whether any placeholder was there)."""
    found = False
    for sentence in starter_text:
        if sentence.strip() and sentence.strip().lower() in text.lower():
            found = True
            text = re.sub(re.escape(sentence.strip()), " ", text, flags=re.I)
    for pattern in _PLACEHOLDERS:
        text, n = pattern.subn(" ", text)
        found = found or n > 0
    return text, found


def strip_stock_phrases(text: str) -> tuple[str, list[str]]:
    """(text without stock phrases, the phrases found)."""
    found: list[str] = []
    lowered = text.lower()
    for pattern in STOCK_PHRASES:
        found += [m.group(0) for m in pattern.finditer(lowered)]
        lowered = pattern.sub(" ", lowered)
    return lowered, found


def themes_in(text: str) -> dict[str, list[str]]:
    """Concrete themes named in the text (stock phrases do not count)."""
    lowered, _ = strip_stock_phrases(text)
    out = {}
    for name, pattern in THEMES.items():
        terms = sorted({m.group(0) for m in pattern.finditer(lowered)})
        if terms:
            out[name] = terms
    return out


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def judge(text: str, *, starter_text: list[str]) -> tuple[Status, str, dict[str, Any]]:
    """Apply the module's scoring rule to the write-up text."""
    remaining, had_placeholder = strip_placeholders(text, starter_text)
    words = _words(remaining)
    themes = themes_in(remaining)
    details = {"words": words, "themes": themes, "placeholder_found": had_placeholder,
               "stock_phrases": strip_stock_phrases(remaining)[1],
               "rule": f"pass needs >= {MIN_WORDS} words and >= {MIN_THEMES} concrete themes "
                       "(stock phrases such as 'more features' or 'tune hyperparameters' do not count)"}
    if words == 0:
        what = "only the starter's placeholder text" if had_placeholder else "nothing under the heading"
        return Status.CONCERN, f"The next-steps write-up is boilerplate: {what}.", details
    if words < MIN_WORDS:
        return Status.CONCERN, f"The next-steps write-up is too short to judge ({words} words).", details
    if len(themes) < MIN_THEMES:
        named = ", ".join(themes) or "none"
        return (Status.CONCERN, f"The next-steps write-up is generic: it names {len(themes)} concrete direction(s) "
                                f"({named}).", details)
    return (Status.PASS, f"The next-steps write-up is substantive: {words} words covering {len(themes)} concrete "
                         f"themes ({', '.join(themes)}).", details)


_QUESTIONS = {
    Status.FAIL: "If you had one more day on this problem, what would you do first, and why that?",
    Status.CONCERN: "Your next steps are brief: which one would most change the result, and how would you "
                    "measure that it did?",
    Status.PASS: "Of the next steps you list, which would you do first, and what result would make you "
                 "drop it?",
}


def run(ctx: GradingContext) -> Finding:
    hints = ctx.exercise.writeup_hints if ctx.exercise is not None else {}
    sections = find_sections(_notebook_blocks(ctx.submitted_notebook), source="notebook",
                             hints=list(hints.get("heading_hints", [])))
    sections += [_file_section(p) for p in _writeup_files(ctx)]
    if not sections:
        return Finding(check=CHECK_ID, title=TITLE, status=Status.FAIL,
                       explanation="There is no next-steps write-up: no section with such a heading and no "
                                   f"{' / '.join(DEFAULT_FILES)} file.",
                       question=_QUESTIONS[Status.FAIL], details={"text": "", "source": None})
    text = "\n\n".join(s.text for s in sections)
    status, explanation, details = judge(text, starter_text=list(hints.get("starter_text", [])))
    details.update(text=text, source="; ".join(s.where for s in sections),
                   sections=[{"heading": s.heading, "where": s.where, "cells": s.cells} for s in sections])
    evidence = [Evidence(source="file" if s.source != "notebook" else "notebook",
                         cell=min(s.cells) if s.cells else None,
                         summary=f"write-up under '{s.heading}' ({s.where})", lines=s.text) for s in sections]
    if details["themes"]:
        evidence.append(Evidence(source="notebook", summary="concrete themes: " + "; ".join(
            f"{name} ({', '.join(terms[:4])})" for name, terms in details["themes"].items()),
            data={"themes": details["themes"]}))
    return Finding(check=CHECK_ID, title=TITLE, status=status, explanation=explanation, evidence=evidence,
                   question=_QUESTIONS[status], details=details)
