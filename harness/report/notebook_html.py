"""Render an executed notebook as inert HTML for the report.

Everything here comes from candidate code, so nothing may run or load: markdown is rendered without raw
HTML, text is escaped, images must be valid base64 PNG/JPEG/GIF, and HTML outputs go through nh3 with every
URL-bearing attribute limited to data:image/ or #anchors (the page's CSP is the second line of defence).
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from takehome_harness.harness.terminal_text import strip_ansi

_MAX_TEXT = 20_000
_MAX_IMAGE_BYTES = 5 * 1024 * 1024
_IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
_URL_ATTRIBUTES = {"src", "href", "cite", "srcset", "longdesc", "action", "background", "poster"}


@dataclass
class RenderedCell:
    index: int
    cell_type: str
    source: Markup
    execution_count: int | None = None
    outputs: list[Markup] = field(default_factory=list)
    seconds: float | None = None
    failed: bool = False


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _pre(text: str, css_class: str) -> Markup:
    text = strip_ansi(text)
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + f"\n… ({len(text) - _MAX_TEXT} more characters cut)"
    return Markup('<pre class="{}">{}</pre>').format(css_class, text)


def _keep_safe_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _URL_ATTRIBUTES:
        ok = value.startswith("#") or (attribute == "src" and tag == "img" and value.startswith("data:image/"))
        return value if ok else None
    return value


def sanitize_html(html: str) -> Markup:
    """Candidate HTML -> inert HTML: no scripts, handlers, styles, forms or remote resources."""
    cleaned = nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS - {"area", "map"},
        clean_content_tags={"script", "style"},
        attributes={"*": {"id", "title"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
                    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "ol": {"start"}},
        attribute_filter=_keep_safe_url,
        url_schemes={"data"},
        id_prefix="nb-",
    )
    return Markup(cleaned)


@cache
def _markdown() -> MarkdownIt:
    # html=False: raw HTML in markdown cells is shown as text, never parsed
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> Markup:
    return sanitize_html(_markdown().render(text))


def _image(mime: str, data: Any) -> Markup | None:
    payload = re.sub(r"\s+", "", _text(data))
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) > _MAX_IMAGE_BYTES or not raw.startswith(_IMAGE_MAGIC[mime]):
        return None
    return Markup('<img class="nb-image" alt="output image" src="data:{};base64,{}">').format(
        mime, base64.b64encode(raw).decode())


def render_output(output: Any) -> Markup:
    kind = output.get("output_type")
    if kind == "stream":
        return _pre(_text(output.get("text")), f"stream {output.get('name', 'stdout')}")
    if kind == "error":
        trace = "\n".join(output.get("traceback") or []) or f"{output.get('ename')}: {output.get('evalue')}"
        return _pre(trace, "error")
    data = output.get("data") or {}
    for mime in _IMAGE_MAGIC:
        if mime in data:
            image = _image(mime, data[mime])
            if image is not None:
                return image
    if "text/html" in data:
        return Markup('<div class="html-output">{}</div>').format(sanitize_html(_text(data["text/html"])))
    if "text/markdown" in data:
        return Markup('<div class="md-output">{}</div>').format(render_markdown(_text(data["text/markdown"])))
    if "text/plain" in data:
        return _pre(_text(data["text/plain"]), "result")
    return Markup('<p class="muted">(output of type {} not shown)</p>').format(", ".join(data) or kind)


def render_cells(notebook: Any, cell_seconds: list[float | None] | None = None,
                 failed_cell: int | None = None) -> list[RenderedCell]:
    seconds = list(cell_seconds or [])
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        source = _text(cell.get("source"))
        kind = cell.get("cell_type", "code")
        if kind == "markdown":
            body = Markup('<div class="markdown">{}</div>').format(render_markdown(source))
        else:
            body = Markup('<pre class="code">{}</pre>').format(escape(source))
        cells.append(RenderedCell(
            index=index, cell_type=kind, source=body,
            execution_count=cell.get("execution_count") if kind == "code" else None,
            outputs=[render_output(o) for o in cell.get("outputs", [])] if kind == "code" else [],
            seconds=seconds[index] if index < len(seconds) else None,
            failed=index == failed_cell,
        ))
    return cells
