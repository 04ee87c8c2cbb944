"""How long grading one submission takes, docker vs local, measured in the same run.

    .venv/bin/python benchmarks/grade_one.py [--repeat N] [SUBMISSION]

Grades SUBMISSION (default: the churn example notebook with --exercise churn) N times per backend with
--force and prints the median wall time of each and the docker/local ratio. The first docker run may
build the sandbox image; it is reported separately as the warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from takehome_harness.harness.grade import grade_submission
from takehome_harness.harness.grade_options import GradeOptions

EXAMPLE = Path(__file__).parents[1] / "exercises" / "churn" / "example_submission" / "notebook.ipynb"


def time_grade(source: Path, *, sandbox: str, exercise_id: str | None, out: Path) -> float:
    start = time.perf_counter()
    outcome = grade_submission(source=source, out_dir=out,
                               options=GradeOptions(exercise_id=exercise_id, sandbox=sandbox, force=True))
    elapsed = time.perf_counter() - start
    if outcome.run_backend != sandbox:
        raise SystemExit(f"asked for {sandbox} but the run used {outcome.run_backend}: {outcome.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    exercise_id = "churn" if args.submission == EXAMPLE else None
    with tempfile.TemporaryDirectory() as tmp:
        warmup = time_grade(args.submission, sandbox="docker", exercise_id=exercise_id, out=Path(tmp))
        times = {backend: [time_grade(args.submission, sandbox=backend, exercise_id=exercise_id, out=Path(tmp))
                           for _ in range(args.repeat)]
                 for backend in ("local", "docker")}
    local, docker = (statistics.median(times[b]) for b in ("local", "docker"))
    print(f"submission: {args.submission}")
    print(f"docker warm-up (may include the image build): {warmup:.1f} s")
    for backend, runs in times.items():
        print(f"{backend:6}: median {statistics.median(runs):.1f} s over {len(runs)} runs "
              f"({', '.join(f'{t:.1f}' for t in runs)})")
    print(f"docker / local: {docker / local:.2f}x")


if __name__ == "__main__":
    main()
