"""A batch: `grade --jobs 2` against `--jobs 1` on the same submissions (Docker sandbox, verified bundles, one
per candidate, so every submission is its own data variant), and the floor, a plain nbclient run of each
notebook on its data.

    .venv/bin/python benchmarks/batch_throughput.py [--count 20] [--jobs 2] [--cold-cache] [--rounds 1]

The submissions alternate the churn example notebook and the reference solution, each from its own bundle.
By default the batch is graded as the product is used: the bundles were issued by the same grader, so each
variant's reference scores are already in its score cache (`harness bundle` fits them). With --cold-cache each
mode starts with an empty score cache instead (as when the bundles were issued on another machine): with --jobs 1
each grade fits its variant's reference models while the sandbox runs, a parallel batch fits them all first.
With --rounds N the two modes run N times, in alternating order (serial first, then parallel first), each round
with its own floor runs, and the goals are judged on the medians of the rounds' figures: one round's ratio moved
from 1.72x to 1.82x between runs on the same idle machine.
Prints both throughputs, their ratio, the parallel batch's time per submission against the floor divided by
the number of jobs, the peak RSS and the CPU seconds of each grader process tree (containers excluded; the CPU,
unlike the wall time, hardly moves with the machine's load), how many of the machine's cores each mode kept busy on
average (containers and the engine included, the virtual machine's steal left out), the ratio the parallel run would
reach with every core busy doing the work it did (the serial time over that work spread on all cores: what is left
between it and the ratio is idle cores, what is left above it to the goal is work the serial run hides beside its
sandbox or the parallel run adds) and
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
from dataclasses import dataclass
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
    parser.add_argument("--rounds", type=int, default=1,
                        help="run both modes this many times, alternating which goes first; judge the medians "
                             "(an even number weighs both orders alike)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="batch-throughput-") as tmp:
        root = Path(tmp)
        grader = Grader(root / "grader")
        notebooks = [EXAMPLE if i % 2 == 0 else REFERENCE for i in range(args.count)]
        sources, floor_folders = [], {}
        for i, notebook in enumerate(notebooks):
            bundle = grader.bundle(f"candidate-{i:02d}")
            sources.append(submission(bundle, root / f"sub-{i:02d}.zip", notebook))
            if notebook not in floor_folders:  # the floor of each notebook on its own variant's data
                floor_folders[notebook] = unpacked_bundle(bundle, root / f"floor-{i:02d}", notebook)
        rounds = [run_round(grader, sources, notebooks, floor_folders, args, number=n, root=root)
                  for n in range(args.rounds)]
    print(machine_line())
    print(f"score cache: {'emptied before each mode' if args.cold_cache else 'filled when the bundles were issued'}")
    ratio = statistics.median(r.ratio for r in rounds)
    per_floor = statistics.median(r.per_floor for r in rounds)
    bound = statistics.median(r.bound for r in rounds)
    peak = max(r.peak_mib for r in rounds)
    differing = [name for r in rounds for name in r.differing]
    median_of = f"median of {len(rounds)} rounds, " if len(rounds) > 1 else ""
    print(f"throughput --jobs {args.jobs} / --jobs 1: {ratio:.2f}x ({median_of}goal >= {THROUGHPUT_GOAL}x); with every "
          f"core busy doing the same work, {bound:.2f}x")
    if len(rounds) > 1:  # on a virtual machine the mode that runs second can be the slower one (steal after load)
        by_order = {first: [r.ratio for i, r in enumerate(rounds) if (i % 2 == 0) == (first == "serial")]
                    for first in ("serial", "parallel")}
        print("  by which mode ran first in its round: " + "; ".join(
            f"{first} first {statistics.median(found):.2f}x ({len(found)})" for first, found in by_order.items()))
    print(f"per submission with --jobs {args.jobs}: {per_floor:.2f}x the floor / {args.jobs} ({median_of}goal <= "
          f"{FLOOR_GOAL}x)")
    print(f"reports identical to the serial run's in every round (timings and timestamps left out): "
          f"{'yes' if not differing else 'NO: ' + ', '.join(sorted(set(differing)))}")
    print(f"grader process tree peak RSS, highest of any run: {peak:.0f} MiB (goal <= {MEMORY_GOAL_MIB} MiB)")
    missed = [name for name, miss in (("throughput", ratio < THROUGHPUT_GOAL),
                                      ("per submission", per_floor > FLOOR_GOAL),
                                      ("identical reports", differing),
                                      ("memory", peak > MEMORY_GOAL_MIB)) if miss]
    if missed:
        print(f"GOAL MISSED: {', '.join(missed)}")
    return 1 if missed else 0


@dataclass
class Round:
    ratio: float
    per_floor: float
    bound: float
    peak_mib: float
    differing: list[str]


def run_round(grader: Grader, sources: list[Path], notebooks: list[Path], floor_folders: dict[Path, Path],
              args: argparse.Namespace, *, number: int, root: Path) -> Round:
    """Both modes once (serial first in even rounds, parallel first in odd ones) and each notebook's floor twice."""
    floors = {n: statistics.mean(floor_run(folder, env=grader.env()).seconds for _ in range(2))
              for n, folder in floor_folders.items()}
    runs, written = {}, {}
    for jobs in ((1, args.jobs) if number % 2 == 0 else (args.jobs, 1)):
        if args.cold_cache:
            shutil.rmtree(grader.root / "harness_home" / "cache", ignore_errors=True)
        out = root / f"out-round{number}-jobs{jobs}"
        runs[jobs] = grader.grade(sources, jobs=jobs, out=out)
        written[jobs] = reports(out)
        print(f"round {number + 1}, --jobs {jobs}: {runs[jobs].seconds:.0f} s for {args.count} submissions, "
              f"{60 * args.count / runs[jobs].seconds:.2f} per minute, grader peak {runs[jobs].peak_mib:.0f} MiB, "
              f"grader CPU {runs[jobs].cpu_seconds:.0f} s, the machine's cores busy {runs[jobs].cores_busy:.2f} "
              f"of {os.cpu_count()} on average")
    serial, parallel = runs[1], runs[args.jobs]
    ratio = serial.seconds / parallel.seconds
    per_submission = parallel.seconds / args.count
    floor_share = sum(floors[n] for n in notebooks) / args.count / args.jobs
    differing = {k: list(differences(written[1][k], written[args.jobs].get(k)))
                 for k in sorted(written[1]) if written[1][k] != written[args.jobs].get(k)}
    if len(written[1]) != args.count or len(written[args.jobs]) != args.count:
        differing["missing reports"] = []
    for name, found in differing.items():
        print(f"  {name}: " + "; ".join(found[:3]))
    work = {jobs: run.cores_busy * run.seconds / args.count for jobs, run in runs.items()}  # CPU-s per submission
    bound = serial.seconds / (work[args.jobs] * args.count / os.cpu_count())
    print(f"round {number + 1}: floor (nbclient) {', '.join(f'{n.name} {s:.1f} s' for n, s in floors.items())}; "
          f"throughput {ratio:.2f}x; the machine's CPU per submission {work[1]:.2f} s serial, {work[args.jobs]:.2f} s "
          f"with --jobs {args.jobs}, which with every core busy would give {bound:.2f}x; per submission "
          f"{per_submission:.1f} s = {per_submission / floor_share:.2f}x the floor / {args.jobs} ({floor_share:.1f} s)")
    return Round(ratio=ratio, per_floor=per_submission / floor_share, bound=bound,
                 peak_mib=max(serial.peak_mib, parallel.peak_mib), differing=list(differing))


if __name__ == "__main__":
    sys.exit(main())
