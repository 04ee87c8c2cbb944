"""How long one churn variant takes, against reading the same CSVs back (measured in the same run).

    .venv/bin/python benchmarks/churn_generation.py [--repeat 5]

Grading regenerates a candidate's variant for every submission, and bundling generates one per
candidate, so generation should cost about as much as loading the data, not more. Prints median
seconds for: generate(), rendering the CSVs, pandas.read_csv of both files, and the reference-model
scores (fitted once per variant by the grader), each also as a ratio to read_csv.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import pandas as pd

from takehome_harness.datasets import churn
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exercise = load_exercise("churn")
    files = data_files(exercise=exercise, seed=1)
    data = churn.generate(seed=1)

    def read_back() -> None:
        for content in files.values():
            pd.read_csv(io.BytesIO(content))

    baseline = median_seconds(read_back, args.repeat)
    rows = {
        "read_csv of train+test (baseline)": baseline,
        "generate()": median_seconds(lambda: churn.generate(seed=1), args.repeat),
        "generate() + render CSVs": median_seconds(lambda: data_files(exercise=exercise, seed=1), args.repeat),
        "reference_model_scores()": median_seconds(lambda: churn.reference_model_scores(data), max(1, args.repeat // 2)),
    }
    for name, seconds in rows.items():
        print(f"{name:36} {seconds:8.3f} s   x{seconds / baseline:6.1f}")


if __name__ == "__main__":
    main()
