"""Start-up cost of the sandbox: a tiny notebook run end to end, local vs Docker, in the same run.

Prints seconds (median of N runs) and the Docker/local ratio. Usage:
    .venv/bin/python benchmarks/sandbox_startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from takehome_harness.harness.sandbox.result import Limits, Verdict
from takehome_harness.harness.sandbox.run import run_notebook

TINY = ["x = 1 + 1", "import pandas as pd\npd.DataFrame({'x': [x]}).to_csv('predictions.csv', index=False)"]


def time_one(backend: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub"
        sub.mkdir()
        nbformat.write(new_notebook(cells=[new_code_cell(c) for c in TINY]), sub / "notebook.ipynb")
        started = time.perf_counter()
        result = run_notebook(notebook=sub / "notebook.ipynb", workdir=sub, data_dir=None,
                              limits=Limits(total_seconds=120), backend=backend, out_dir=Path(tmp) / "out")
        elapsed = time.perf_counter() - started
        if result.verdict is not Verdict.COMPLETED:
            sys.exit(f"{backend} run did not complete: {result.message}")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    time_one("docker")  # warm-up: builds the image if missing, fills the page cache
    medians = {backend: statistics.median(time_one(backend) for _ in range(runs)) for backend in ("local", "docker")}
    for backend, seconds in medians.items():
        print(f"{backend:7} {seconds:6.2f} s  (median of {runs}, tiny notebook, start to results on the host)")
    print(f"docker/local ratio: {medians['docker'] / medians['local']:.2f}")


if __name__ == "__main__":
    main()
