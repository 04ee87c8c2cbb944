"""One submission: `grade` (Docker sandbox, verified bundle, so hidden scoring included) against the floor, a
plain nbclient run of the same notebook on the same data, alternated in one run.

    .venv/bin/python benchmarks/grade_vs_floor.py [--pairs 5] [--notebook PATH]

Both are fresh processes (interpreter start included). Prints each pair, the medians, the median of the
per-pair ratios grade / floor, how much of a grade is its sandbox run (from the report), and the peak RSS of the grader's process tree (containers excluded). Exits 1
when the goals are missed: ratio <= 1.15x, grader peak <= 200 MiB. The first grade (image build, the
variant's cached scores) is a warm-up, reported apart.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _grading_setup import (EXAMPLE, Grader, Measured, container_floor_run, floor_run, machine_line, submission,
                            unpacked_bundle)

RATIO_GOAL = 1.15
MEMORY_GOAL_MIB = 200


def run_seconds(grade: Measured) -> float:
    """The sandbox run's own wall time, from the report the grade wrote."""
    document = json.loads(grade.stdout)
    report = json.loads((Path(document["reports"][0]["report_dir"]) / "report.json").read_text())
    return report["run"]["wall_seconds"]


def phase_seconds(grade: Measured) -> dict[str, float]:
    """The grade's own timing of each phase (data, sandbox, checks, report...), from `grade --json`."""
    return json.loads(grade.stdout)["reports"][0]["timings"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--notebook", type=Path, default=EXAMPLE)
    parser.add_argument("--container-floor", action="store_true",
                        help="also time the floor in a plain container of the sandbox image with one CPU (context "
                             "for a shared engine; the goal stays against the plain floor)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="grade-vs-floor-") as tmp:
        grader = Grader(Path(tmp) / "grader")
        bundle = grader.bundle()
        source = submission(bundle, Path(tmp) / "submission.zip", args.notebook)
        folder = unpacked_bundle(bundle, Path(tmp) / "floor", args.notebook)
        warmup = grader.grade([source])
        document = json.loads(warmup.stdout)
        report = json.loads((Path(document["reports"][0]["report_dir"]) / "report.json").read_text())
        if not report["variant"]["verified"] or not report["scores"]["hidden"]:
            sys.exit(f"the benchmark's submission was not graded as a verified bundle: {report['message']}")
        print(f"warm-up grade {warmup.seconds:.1f} s (outcome {report['outcome']}, run {report['run']['verdict']})")
        floors, grades, sandbox, boxed = [], [], [], []
        for i in range(args.pairs):
            # alternate which goes first, so a load change hits both alike
            order = ("floor", "grade") if i % 2 == 0 else ("grade", "floor")
            pair = {}
            for what in order:
                pair[what] = floor_run(folder, env=grader.env()) if what == "floor" else grader.grade([source])
            floors.append(pair["floor"])
            grades.append(pair["grade"])
            sandbox.append(run_seconds(pair["grade"]))
            if args.container_floor:
                boxed.append(container_floor_run(folder))
            print(f"pair {i + 1}: floor {pair['floor'].seconds:5.1f} s   grade {pair['grade'].seconds:5.1f} s "
                  f"(its sandbox run {sandbox[-1]:5.1f} s)   ratio {pair['grade'].seconds / pair['floor'].seconds:.2f}x"
                  f"   grader peak {pair['grade'].peak_mib:.0f} MiB"
                  + (f"   floor in a plain container {boxed[-1]:5.1f} s" if boxed else ""))
    floor = statistics.median(m.seconds for m in floors)
    grade = statistics.median(m.seconds for m in grades)
    ratio = statistics.median(g.seconds / f.seconds for f, g in zip(floors, grades))
    peak = max(m.peak_mib for m in grades)
    floor_peak = max(m.peak_mib for m in floors)
    print(machine_line())
    print(f"floor (nbclient): median {floor:.1f} s; grade (docker, verified bundle): median {grade:.1f} s")
    print(f"grade / floor: median of {args.pairs} pair ratios {ratio:.2f}x (goal <= {RATIO_GOAL}x)")
    print(f"of a grade: the sandbox run (container start to results) median {statistics.median(sandbox):.1f} s, the "
          f"grader's own work around it median {statistics.median(g.seconds - s for g, s in zip(grades, sandbox)):.1f} s")
    phases = [phase_seconds(g) for g in grades]
    print("grade phases, median s (grade --json): "
          + ", ".join(f"{name} {statistics.median(p[name] for p in phases):.2f}" for name in phases[0]))
    if boxed:
        print(f"floor in a plain container (sandbox image, one CPU, no hook): median {statistics.median(boxed):.1f} s; "
              f"grade / that: {grade / statistics.median(boxed):.2f}x")
    print(f"grader process tree peak RSS: {peak:.0f} MiB (goal <= {MEMORY_GOAL_MIB} MiB; "
          f"the floor's tree, kernel included: {floor_peak:.0f} MiB)")
    missed = [text for text, miss in (("time ratio", ratio > RATIO_GOAL), ("memory", peak > MEMORY_GOAL_MIB)) if miss]
    if missed:
        print(f"GOAL MISSED: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
