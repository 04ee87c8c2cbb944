"""Notebooks as bytes: benign, malformed, and ones whose cells attack the grader."""
from __future__ import annotations

import json

import nbformat
from nbformat import v3, v4


def notebook_bytes(cells: list[str], *, markdown: list[str] = (), kernel: str = "python3",
                   outputs: dict[int, list] | None = None) -> bytes:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(m) for m in markdown] + [v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    for index, outs in (outputs or {}).items():
        nb.cells[len(markdown) + index].outputs = [nbformat.from_dict(o) for o in outs]
    return nbformat.writes(nb).encode()


def simple() -> bytes:
    return notebook_bytes(["x = 1 + 1\nprint(x)"], markdown=["# Churn\nMy approach."])


def v3_notebook() -> bytes:
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input="print('old format')")])])
    return v3.writes_json(nb).encode()


def missing_cell_ids() -> bytes:
    raw = json.loads(simple())
    for cell in raw["cells"]:
        del cell["id"]
    return json.dumps(raw).encode()


def structurally_invalid() -> bytes:
    raw = json.loads(simple())
    raw["cells"][0]["cell_type"] = "spreadsheet"
    return json.dumps(raw).encode()


def not_json() -> bytes:
    return b'{"cells": [\n  {"cell_type": "code",\n   "source": "x = 1"\n  ,,\n]}'


def huge_output(chars: int) -> bytes:
    return notebook_bytes(["print('x' * n)"], outputs={0: [
        {"output_type": "stream", "name": "stdout", "text": "x" * chars},
        {"output_type": "display_data", "metadata": {},
         "data": {"image/png": "A" * chars, "text/html": "<b>" + "y" * chars + "</b>"}},
    ]})


def lone_surrogate() -> bytes:
    """Valid JSON whose escapes spell half a UTF-16 pair: json.loads accepts it, no UTF-8 writer can."""
    return notebook_bytes(["print('PLACEHOLDER')"]).replace(b"PLACEHOLDER", b"\\ud800")


def number_too_long() -> bytes:
    """An execution count of 4400 digits: valid JSON that Python refuses to turn into an int."""
    return notebook_bytes(["x = 1"]).replace(b'"execution_count": null', b'"execution_count": ' + b"9" * 4400)
