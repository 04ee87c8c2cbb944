"""Cost of the kernel hook: the same 100,000-row workload with and without it, in one run.

    .venv/bin/python benchmarks/trace_overhead.py [--rows 100000] [--repeat 3]

Each measurement is a fresh Python process (the hook patches scikit-learn process-wide); the timer covers the
workload only, not interpreter start or imports. Prints the median seconds of each and their ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HOOK = Path(__file__).resolve().parents[1] / "harness" / "sandbox" / "kernel_hook.py"

WORKLOAD = """
import sys, time
{hook}
import numpy as np, pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=({rows}, 20)), columns=[f"f{{i}}" for i in range(20)])
y = (X["f0"] + rng.normal(size={rows}) > 0).astype(int)
start = time.perf_counter()
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
for model in (DummyClassifier(), make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))):
    model.fit(X_tr, y_tr)
    p = model.predict_proba(X_te)[:, 1]
    roc_auc_score(y_te, p); average_precision_score(y_te, p)
    roc_auc_score(y_tr, model.predict_proba(X_tr)[:, 1])
print(time.perf_counter() - start)
"""


def measure(*, rows: int, hooked: bool, trace: Path) -> float:
    hook = f"import runpy; runpy.run_path({str(HOOK)!r}, run_name='__harness_hook__')" if hooked else ""
    env = {**os.environ, "HARNESS_TRACE_PATH": str(trace)}
    out = subprocess.run([sys.executable, "-c", WORKLOAD.format(hook=hook, rows=rows)], capture_output=True,
                         text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, traced = [], []
        for i in range(args.repeat):
            plain.append(measure(rows=args.rows, hooked=False, trace=Path(tmp) / f"unused{i}.jsonl"))
            trace = Path(tmp) / f"trace{i}.jsonl"
            traced.append(measure(rows=args.rows, hooked=True, trace=trace))
        size = trace.stat().st_size
    a, b = statistics.median(plain), statistics.median(traced)
    print(f"rows={args.rows} without hook {a:.3f} s, with hook {b:.3f} s, ratio {b / a:.2f}x, trace {size} bytes")


if __name__ == "__main__":
    main()
