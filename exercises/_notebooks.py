"""Build an exercise's committed notebooks from Python source (exercises/<id>/notebooks.py), byte for byte.

Each exercise's notebooks module defines NOTEBOOKS = {relative path: function returning a notebook};
`python -m takehome_harness.exercises.<id>.notebooks` rewrites them and a test checks the committed files match.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat import v4


def notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Cells as (kind, source); stable cell ids keep the committed files byte-for-byte reproducible."""
    made = [v4.new_markdown_cell(source) if kind == "md" else v4.new_code_cell(source) for kind, source in cells]
    for index, cell in enumerate(made):
        cell["id"] = f"cell-{index}"
    built = v4.new_notebook(cells=made)
    built.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    built.metadata["language_info"] = {"name": "python"}
    return built


def render(built: nbformat.NotebookNode) -> str:
    nbformat.validate(built)
    return json.dumps(built, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(folder: Path, notebooks: dict[str, Callable[[], nbformat.NotebookNode]]) -> None:
    for relative, build in notebooks.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(build()), encoding="utf-8")
        print(f"wrote {path}")


STARTER_NEXT_STEPS = "Write your next steps here."

LOAD_DATA = """\
import numpy as np
import pandas as pd

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
print(train.shape, test.shape)"""


def starter(*, title: str, rows: str, columns: str, placeholder: str) -> nbformat.NotebookNode:
    """The candidate's starter: the sections the checks look for, data loading, and a predictions cell that
    writes a valid file with a constant (`placeholder`, code that sets `predictions`) for them to replace.

    `rows` names what is predicted ("customer", "order"); `columns` describes the predictions file."""
    return notebook([
        ("md", f"# {title}\n\n"
               "See README.md for the context, the data dictionary and what to deliver. "
               "Keep this notebook runnable from top to bottom."),
        ("code", LOAD_DATA),
        ("md", "## Exploration\n\nWhat is in the data, and what matters for modelling?"),
        ("code", "train.head()"),
        ("md", "## Baseline\n\nStart with something simple to compare against."),
        ("code", "# your baseline"),
        ("md", f"## Evaluation\n\nHow do you know how well a model will do on {rows}s it has not seen?"),
        ("code", "# your evaluation"),
        ("md", "## Model"),
        ("code", "# your model"),
        ("md", f"## Predictions\n\nOne row per {rows} in `data/test.csv`: {columns}."),
        ("code", "# Replace the constant with your model's predictions for the rows of `test`.\n"
                 + placeholder + "\npredictions.to_csv(\"predictions.csv\", index=False)"),
        ("md", f"## Next steps\n\n{STARTER_NEXT_STEPS}"),
    ])
