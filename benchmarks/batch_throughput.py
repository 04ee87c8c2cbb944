"""A batch: `grade --jobs 2` against `--jobs 1` on the same submissions (Docker sandbox, verified bundles, one
per candidate, so every submission is its own data variant), and the floor, a plain nbclient run of each
notebook on its data.

    .venv/bin/python benchmarks/batch_throughput.py [--count 20] [--jobs 2] [--cold-cache]

The submissions alternate the churn example notebook and the reference solution, each from its own bundle.
By default the batch is graded as the product is used: the bundles were issued by the same grader, so each
variant's reference scores are already in its score cache (`harness bundle` fits them). With --cold-cache each
mode starts with an empty score cache instead (as when the bundles were issued on another machine), and each
grade fits its variant's reference models while the sandbox runs.
Prints both throughputs, their ratio, the parallel batch's time per submission against the floor divided by
the number of jobs, the peak RSS and the CPU seconds of each grader process tree (containers excluded; the CPU,
unlike the wall time, hardly moves with the machine's load), how many of the machine's cores each mode kept busy on
average (containers and the engine included: the ceiling of the ratio is the cores over the serial run's) and
whether every report
is identical to the serial run's once timings, timestamps and peak memory are left out (the rules of
tests/corpus/identity.py). Exits 1 when a goal is missed: throughput ratio >= 1.9x, per submission <= 1.15x
floor / jobs, identical reports, grader peak <= 400 MiB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _grading_setup import EXAMPLE, REFERENCE, ROOT, Grader, floor_run, machine_line, submission, unpacked_bundle

sys.path.insert(0, str(ROOT / "tests"))
from corpus.identity import comparable, differences  # noqa: E402  (the report-identity script's own rules)

THROUGHPUT_GOAL = 1.9
FLOOR_GOAL = 1.15
MEMORY_GOAL_MIB = 400


def reports(out: Path) -> dict[str, dict]:
    """Each report.json without what legitimately varies between two runs (timings, timestamps, peak memory)."""
    return {p.parent.name: comparable(json.loads(p.read_text())) for p in sorted(out.glob("*/report.json"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cold-cache", action="store_true",
                        help="empty the score cache before each mode (default: keep what bundling put there)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="batch-throughput-") as tmp:
        root = Path(tmp)
        grader = Grader(root / "grader")
        notebooks = [EXAMPLE if i % 2 == 0 else REFERENCE for i in range(args.count)]
        sources, floors = [], {}
        for i, notebook in enumerate(notebooks):
            bundle = grader.bundle(f"candidate-{i:02d}")
            sources.append(submission(bundle, root / f"sub-{i:02d}.zip", notebook))
            if notebook not in floors:  # the floor of each notebook, twice, on its own variant's data
                folder = unpacked_bundle(bundle, root / f"floor-{i:02d}", notebook)
                floors[notebook] = statistics.mean(floor_run(folder, env=grader.env()).seconds for _ in range(2))
        floor_total = sum(floors[n] for n in notebooks)
        runs, written = {}, {}
        for jobs in (1, args.jobs):
            if args.cold_cache:
                shutil.rmtree(grader.root / "harness_home" / "cache", ignore_errors=True)
            out = root / f"out-jobs{jobs}"
            runs[jobs] = grader.grade(sources, jobs=jobs, out=out)
            written[jobs] = reports(out)
            print(f"--jobs {jobs}: {runs[jobs].seconds:.0f} s for {args.count} submissions, "
                  f"{60 * args.count / runs[jobs].seconds:.2f} per minute, grader peak {runs[jobs].peak_mib:.0f} MiB, "
                  f"grader CPU {runs[jobs].cpu_seconds:.0f} s, the machine's cores busy {runs[jobs].cores_busy:.2f} "
                  f"of {os.cpu_count()} on average")
    serial, parallel = runs[1], runs[args.jobs]
    ratio = serial.seconds / parallel.seconds
    per_submission = parallel.seconds / args.count
    floor_share = floor_total / args.count / args.jobs
    differing = {k: list(differences(written[1][k], written[args.jobs].get(k)))
                 for k in sorted(written[1]) if written[1][k] != written[args.jobs].get(k)}
    complete = len(written[1]) == len(written[args.jobs]) == args.count
    peak = max(serial.peak_mib, parallel.peak_mib)
    print(machine_line())
    print(f"score cache: {'emptied before each mode' if args.cold_cache else 'filled when the bundles were issued'}")
    print(f"floor (nbclient): {', '.join(f'{n.name} {s:.1f} s' for n, s in floors.items())}")
    print(f"throughput --jobs {args.jobs} / --jobs 1: {ratio:.2f}x (goal >= {THROUGHPUT_GOAL}x); the serial run kept "
          f"{serial.cores_busy:.2f} cores busy (the grader's thread beside the sandbox), so with the same work per "
          f"submission {os.cpu_count()} cores allow at most {os.cpu_count() / serial.cores_busy:.2f}x")
    print(f"per submission with --jobs {args.jobs}: {per_submission:.1f} s = {per_submission / floor_share:.2f}x the "
          f"floor / {args.jobs} ({floor_share:.1f} s; goal <= {FLOOR_GOAL}x)")
    print(f"reports identical to the serial run's (timings and timestamps left out): "
          f"{'yes' if complete and not differing else 'NO: ' + ', '.join(differing or ['missing reports'])}")
    for name, found in differing.items():
        print(f"  {name}: " + "; ".join(found[:3]))
    print(f"grader process tree peak RSS: --jobs 1 {serial.peak_mib:.0f} MiB, --jobs {args.jobs} "
          f"{parallel.peak_mib:.0f} MiB (goal <= {MEMORY_GOAL_MIB} MiB)")
    missed = [name for name, miss in (("throughput", ratio < THROUGHPUT_GOAL),
                                      ("per submission", per_submission / floor_share > FLOOR_GOAL),
                                      ("identical reports", differing or not complete),
                                      ("memory", peak > MEMORY_GOAL_MIB)) if miss]
    if missed:
        print(f"GOAL MISSED: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
