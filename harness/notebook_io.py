"""Read a submitted notebook defensively: any nbformat version in, a valid v4 NotebookNode out.

Everything here treats the file as hostile: size is capped before parsing, parse errors become one
plain sentence, and huge outputs are cut down so nothing downstream has to hold them.
"""
from __future__ import annotations

import json
import warnings as pywarnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.reader import NotJSONError, get_version
from nbformat.validator import ValidationError, normalize

from takehome_harness.harness.errors import SubmissionRejected

PYTHON3_KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
TEXT_MIME_PREFIXES = ("text/", "application/json", "application/javascript", "image/svg+xml")


@dataclass
class LoadedNotebook:
    notebook: nbformat.NotebookNode
    warnings: list[str] = field(default_factory=list)


def load_submitted_notebook(path: Path, *, max_bytes: int, max_output_chars: int) -> LoadedNotebook:
    """Parse, upgrade to v4, repair what nbformat can repair, force the python3 kernel, cap outputs.

    Raises SubmissionRejected with one plain sentence when the file cannot be used as a notebook.
    """
    name = path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionRejected(
            f"{name} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit for a notebook.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionRejected(f"{name} is not UTF-8 text (bad byte at offset {exc.start}).") from None
    raw = _parse_json(text, name=name)
    notes: list[str] = []
    nb = _to_v4(raw, name=name, notes=notes)
    _repair(nb, name=name, notes=notes)
    _force_python3(nb, name=name, notes=notes)
    _cap_outputs(nb, max_chars=max_output_chars, name=name, notes=notes)
    return LoadedNotebook(notebook=nb, warnings=notes)


def _parse_json(text: str, *, name: str) -> dict:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionRejected(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    except RecursionError:
        raise SubmissionRejected(f"{name} is nested too deeply to be a notebook.") from None
    except ValueError as exc:  # an integer of more than 4300 digits: Python refuses to convert it
        raise SubmissionRejected(f"{name} holds a number too long to read ({str(exc).split(';')[0]}).") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise SubmissionRejected(f"{name} is JSON but not a Jupyter notebook (no 'nbformat' field).")
    try:
        # JSON escapes can spell a lone surrogate (\\ud800), which no UTF-8 file can hold
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SubmissionRejected(f"{name} contains text that is not valid Unicode (a lone surrogate, "
                                 f"{exc.object[exc.start:exc.end]!a}).") from None
    except RecursionError:
        raise SubmissionRejected(f"{name} is nested too deeply to be a notebook.") from None
    return raw


def _to_v4(raw: dict, *, name: str, notes: list[str]) -> nbformat.NotebookNode:
    try:
        major, minor = get_version(raw)
    except (TypeError, ValueError, NotJSONError):
        raise SubmissionRejected(f"{name} has an unreadable 'nbformat' version field.") from None
    if not isinstance(major, int) or major not in nbformat.versions or major > 4:
        raise SubmissionRejected(f"{name} uses notebook format version {major!r}, which is not supported.")
    try:
        nb = nbformat.versions[major].to_notebook_json(raw, minor=minor)
        if major < 4:
            nb = nbformat.convert(nb, 4)
            notes.append(f"{name} was in the old notebook format {major}; it was upgraded to format 4.")
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise SubmissionRejected(f"{name} is not a well-formed notebook ({type(exc).__name__}: {exc}).") from None
    return nb


def _repair(nb: nbformat.NotebookNode, *, name: str, notes: list[str]) -> None:
    """Let nbformat fix what it knows how to fix (missing/duplicate cell ids, stray metadata), then validate."""
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            changes, repaired = normalize(nb, strip_invalid_metadata=True)
        if changes:
            nb.clear()
            nb.update(nbformat.from_dict(repaired))
            notes.append(f"{name} had {changes} fixable format problem(s) (such as missing cell ids); "
                         "they were repaired.")
    except (KeyError, TypeError, AttributeError, ValidationError):
        pass  # validate() below explains what is wrong in its own words
    try:
        nbformat.validate(nb)
    except ValidationError as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", [])) or "top level"
        message = getattr(exc, "message", None) or str(exc)
        raise SubmissionRejected(f"{name} is not a valid notebook: at {where}: {message[:300]}") from None


def _force_python3(nb: nbformat.NotebookNode, *, name: str, notes: list[str]) -> None:
    asked = nb.metadata.get("kernelspec", {})
    asked_name = asked.get("name") if isinstance(asked, dict) else None
    if asked_name and asked_name != "python3":
        notes.append(f"{name} asks for the kernel '{str(asked_name)[:60]}'; it is run with Python 3 regardless.")
    nb.metadata["kernelspec"] = nbformat.from_dict(PYTHON3_KERNELSPEC)


def _cap_outputs(nb: nbformat.NotebookNode, *, max_chars: int, name: str, notes: list[str]) -> None:
    """Cut every output string over max_chars; the submitted outputs are kept only as evidence."""
    cut_cells: list[int] = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if any([_cap_output(output, max_chars) for output in cell.get("outputs", [])]):  # cap every output
            cut_cells.append(index)
    if cut_cells:
        shown = ", ".join(str(i) for i in cut_cells[:10]) + (" ..." if len(cut_cells) > 10 else "")
        notes.append(f"{name} had very large saved outputs in cell(s) {shown}; they were cut to "
                     f"{max_chars:,} characters each (the clean run is not affected).")


def _cap_output(output: nbformat.NotebookNode, max_chars: int) -> bool:
    changed = False
    if isinstance(output.get("text"), str) and len(output["text"]) > max_chars:
        output["text"] = _cut(output["text"], max_chars)
        changed = True
    if isinstance(output.get("traceback"), list) and sum(len(str(s)) for s in output["traceback"]) > max_chars:
        output["traceback"] = [_cut("\n".join(str(s) for s in output["traceback"]), max_chars)]
        changed = True
    data = output.get("data")
    if isinstance(data, dict):
        for mime in [m for m, v in data.items() if isinstance(v, str) and len(v) > max_chars]:
            if mime.startswith(TEXT_MIME_PREFIXES):
                data[mime] = _cut(data[mime], max_chars)
            else:  # binary payloads (base64 images) cannot be cut meaningfully
                del data[mime]
                data.setdefault("text/plain", f"[{mime} output over {max_chars:,} characters removed by the grader]")
            changed = True
    return changed


def _cut(text: str, max_chars: int) -> str:
    return text[:max_chars] + f"\n[... {len(text) - max_chars:,} more characters cut by the grader]"
