"""Cost of the kernel hook, with and without it in the same run, alternated: a 100,000-row light scikit-learn
workload and the churn exercise's reference solution.

    .venv/bin/python benchmarks/trace_overhead.py [--rows 100000] [--repeat 5] [--only light|reference]

Both are timed in CPU seconds of the process that runs them (time.process_time()), which a shared, loaded
machine disturbs far less than wall time; the goals are judged on those, wall seconds are printed too. Light workload: each measurement
is a fresh Python process (the hook patches scikit-learn process-wide); the timer covers the workload only,
not interpreter start or imports. Reference solution: a fresh kernel per run (nbclient, one BLAS thread as in the sandbox, the exercise's
default data), the hook loaded the way the runner loads it; the timer covers the cells only (their imports
included: the hook patches scikit-learn as it is imported). Prints the medians and the median of the per-pair ratios; exits 1
when a goal is missed (light <= 1.3x, reference solution <= 1.05x).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "harness" / "sandbox" / "kernel_hook.py"
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"
GOALS = {"light": 1.3, "reference": 1.05}
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

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
start, cpu = time.perf_counter(), time.process_time()
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
for model in (DummyClassifier(), make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))):
    model.fit(X_tr, y_tr)
    p = model.predict_proba(X_te)[:, 1]
    roc_auc_score(y_te, p); average_precision_score(y_te, p)
    roc_auc_score(y_tr, model.predict_proba(X_tr)[:, 1])
print(time.process_time() - cpu, time.perf_counter() - start)
"""


def light(*, rows: int, hooked: bool, trace: Path) -> tuple[float, float]:
    hook = f"import runpy; runpy.run_path({str(HOOK)!r}, run_name='__harness_hook__')" if hooked else ""
    env = {**os.environ, "HARNESS_TRACE_PATH": str(trace)}
    out = subprocess.run([sys.executable, "-c", WORKLOAD.format(hook=hook, rows=rows)], capture_output=True,
                         text=True, env=env, check=True)
    cpu, wall = out.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def reference(*, folder: Path, hooked: bool, trace: Path) -> tuple[float, float]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REFERENCE, as_version=4)
    env = {**os.environ, **ONE_THREAD, "HARNESS_TRACE_PATH": str(trace)}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel(env=env, cwd=str(folder)):
        if hooked:
            code = f"__import__('runpy').run_path({str(HOOK)!r}, run_name='__harness_hook__') and None"
            client.wait_for_reply(client.kc.execute(code, silent=True, store_history=False))
        start, cpu = time.perf_counter(), kernel_cpu_seconds(client)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        return kernel_cpu_seconds(client) - cpu, time.perf_counter() - start


def kernel_cpu_seconds(client) -> float:
    reply = client.wait_for_reply(client.kc.execute("", silent=True, store_history=False, user_expressions={
        "cpu": "__import__('time').process_time()"}))
    return float(reply["content"]["user_expressions"]["cpu"]["data"]["text/plain"])


def alternated(measure: Callable[..., tuple[float, float]], *, repeat: int, tmp: Path, **kwargs,
               ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    plain, traced = [], []
    for i in range(repeat):
        order = (False, True) if i % 2 == 0 else (True, False)
        for hooked in order:
            seconds = measure(hooked=hooked, trace=tmp / f"{measure.__name__}-{i}-{hooked}.jsonl", **kwargs)
            (traced if hooked else plain).append(seconds)
    return plain, traced


def report(name: str, plain: list[tuple[float, float]], traced: list[tuple[float, float]], trace: Path) -> bool:
    """CPU seconds decide (wall time on a shared machine mostly measures the neighbours); wall is shown too."""
    met = True
    for k, clock in enumerate(("CPU", "wall")):
        ratios = [t[k] / p[k] for p, t in zip(plain, traced)]
        ratio = statistics.median(ratios)
        goal = f" (goal <= {GOALS[name]}x)" if clock == "CPU" else ""
        print(f"{name}, {clock} s: without hook {statistics.median(p[k] for p in plain):.3f}, with hook "
              f"{statistics.median(t[k] for t in traced):.3f}, median ratio {ratio:.3f}x over {len(ratios)} "
              f"pairs{goal}; ratios {', '.join(f'{r:.2f}' for r in ratios)}")
        met = ratio <= GOALS[name] if clock == "CPU" else met
    print(f"{name}: trace {trace.stat().st_size} bytes")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=sorted(GOALS))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    met = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "light"):
            plain, traced = alternated(light, repeat=args.repeat, tmp=tmp, rows=args.rows)
            met &= report("light", plain, traced, tmp / f"light-{args.repeat - 1}-True.jsonl")
        if args.only in (None, "reference"):
            from takehome_harness.harness.exercise import load_exercise
            from takehome_harness.harness.materialize import write_data

            exercise = load_exercise("churn")
            write_data(exercise=exercise, seed=exercise.default_seed, dest_dir=tmp / "folder")
            plain, traced = alternated(reference, repeat=args.repeat, tmp=tmp, folder=tmp / "folder")
            met &= report("reference", plain, traced, tmp / f"reference-{args.repeat - 1}-True.jsonl")
    if not met:
        print("GOAL MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
