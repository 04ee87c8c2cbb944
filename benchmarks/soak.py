"""Soak test: grade a batch of mixed submissions (half hostile) with `grade --jobs 2` and count what leaks.

    .venv/bin/python benchmarks/soak.py [--count 50] [--jobs 2] [--timeout 20] [--memory 512] [--warm-cache] [--keep]

Needs a Docker engine (the batch runs with --sandbox docker). Prints: reports written (of N), the
outcome of each kind, containers left behind, temp files left behind, peak memory of the grader
process tree, and total wall time. Nothing here is timed against a fixed number: the figures are
for reading (docs/SECURITY.md quotes the last run).

The bundle is issued under another harness home than the grader's, so its reference scores are not in the grader's
score cache and the batch fits them (in one child process before its workers start, harness/reference_prefit.py);
with --warm-cache the grader issues it itself, as when it grades the bundles it issued.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile import archives, attacks, notebooks  # noqa: E402
from hostile.grading import (  # noqa: E402
    GRADE_SCRIPT, IsolatedGrader, docker_containers, make_bundle, submission_from_bundle,
)

CONTAINER_LABEL = "takehome-harness"
EXAMPLE = ROOT / "exercises" / "churn" / "example_submission" / "notebook.ipynb"
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"


def sandbox_attack(notebook: bytes) -> Callable[[Path, Path], Path]:
    return lambda bundle, dest: submission_from_bundle(bundle, dest, notebook)


def archive_attack(build: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    return lambda bundle, dest: archives.write(dest, build(notebooks.simple()))


HOSTILE: dict[str, Callable[[Path, Path], Path]] = {
    "infinite-loop": sandbox_attack(attacks.single_cell(attacks.INFINITE_LOOP)),
    "ignores-sigint": sandbox_attack(attacks.single_cell(attacks.IGNORES_SIGINT)),
    "memory-bomb": sandbox_attack(attacks.single_cell(attacks.MEMORY_BOMB)),
    "fork-bomb": sandbox_attack(attacks.single_cell(attacks.FORK_BOMB)),
    "many-threads": sandbox_attack(attacks.single_cell(attacks.MANY_THREADS)),
    "os-exit": sandbox_attack(attacks.single_cell(attacks.OS_EXIT)),
    "segfault": sandbox_attack(attacks.single_cell(attacks.SEGFAULT)),
    "stdout-flood": sandbox_attack(attacks.single_cell(attacks.STDOUT_FLOOD)),
    "fill-disks": sandbox_attack(attacks.fill_disks(max_gb=0.5)),
    "forge-and-kill": sandbox_attack(attacks.forge_status_then_kill_everything()),
    "snoop": sandbox_attack(attacks.snoop(host_addresses=[], port=9, canary_path="/nonexistent",
                                          label_word="churned")),
    "report-injection": sandbox_attack(attacks.report_injection()),
    "zip-slip": archive_attack(archives.zip_slip),
    "links-and-devices": archive_attack(archives.links_and_devices),
    "zip-bomb": archive_attack(archives.ratio_bomb),
    "truncated-zip": archive_attack(lambda nb: archives.truncated(archives.zip_bytes([archives.Entry("notebook.ipynb", nb)]))),
    "not-json": lambda bundle, dest: submission_from_bundle(bundle, dest, notebooks.not_json()),
    "nested-archive": archive_attack(archives.nested_archive),
}
BENIGN: dict[str, Callable[[Path, Path], Path]] = {
    "example": lambda bundle, dest: submission_from_bundle(bundle, dest, EXAMPLE.read_bytes()),
    "reference": lambda bundle, dest: submission_from_bundle(bundle, dest, REFERENCE.read_bytes()),
}


def build_batch(bundle: Path, folder: Path, count: int) -> list[tuple[str, Path]]:
    folder.mkdir(parents=True)
    hostile, benign = sorted(HOSTILE), sorted(BENIGN)
    batch = []
    for i in range(count):
        kinds, table = (hostile, HOSTILE) if i % 2 else (benign, BENIGN)
        kind = kinds[(i // 2) % len(kinds)]
        batch.append((kind, table[kind](bundle, folder / f"{i:02d}-{kind}.zip")))
    return batch


class PeakMemory:
    """Polls the RSS of a process and all its descendants; keeps the highest total seen."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            try:
                procs = [self.process, *self.process.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.Error:
                continue
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=20)
    parser.add_argument("--memory", type=int, default=512)
    parser.add_argument("--warm-cache", action="store_true",
                        help="issue the bundle under the grader's harness home, so its reference scores are cached")
    parser.add_argument("--keep", action="store_true", help="keep the work folder for inspection")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="soak-"))
    grader = IsolatedGrader(root / "grader")
    bundle = make_bundle(grader.root if args.warm_cache else root / "bundle", secret=grader.secret)
    batch = build_batch(bundle, root / "submissions", args.count)

    cmd = [sys.executable, "-c", GRADE_SCRIPT, *[str(p) for _, p in batch], "--out", str(grader.out),
           "--sandbox", "docker", "--jobs", str(args.jobs), "--timeout", str(args.timeout),
           "--memory", str(args.memory), "--json"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=grader.root / "cwd", env=grader.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc.pid)
    stdout, stderr = proc.communicate()
    peak_mb = memory.stop()
    wall = time.monotonic() - start

    outcomes: Counter[str] = Counter()
    written = 0
    for kind, source in batch:
        report = grader.out / source.stem / "report.json"
        if report.is_file():
            written += 1
            document = json.loads(report.read_text())
            outcomes[f"{kind}: {document['outcome']}/{document['run']['verdict']}"] += 1
        else:
            outcomes[f"{kind}: NO REPORT"] += 1
    left_containers = docker_containers(CONTAINER_LABEL, mounting=grader.root)
    left_files = grader.leftovers()

    print(f"grade exit code:          {proc.returncode}")
    print(f"reports written:          {written} of {len(batch)}")
    print(f"containers left behind:   {len(left_containers)}")
    print(f"temp files left behind:   {len(left_files)}" + (f" ({', '.join(left_files[:5])})" if left_files else ""))
    scores = "cached" if args.warm_cache else "fitted in the batch"
    print(f"peak memory (grader tree): {peak_mb:.0f} MB (reference scores {scores})")
    print(f"total wall time:          {wall:.0f} s ({wall / len(batch):.1f} s per submission, --jobs {args.jobs})")
    print("outcomes:")
    for line, n in sorted(outcomes.items()):
        print(f"  {n:3d}  {line}")
    if proc.returncode not in (0,):
        print("grade stderr (tail):\n" + stderr[-2000:])
    if args.keep:
        print(f"work folder kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    ok = written == len(batch) and not left_containers and not left_files
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
