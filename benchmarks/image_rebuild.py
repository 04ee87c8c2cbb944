"""Rebuilding the sandbox image after a change to the kernel hook, caches warm: a baseline revision against this tree.

    .venv/bin/python benchmarks/image_rebuild.py --baseline REV [--repeat 1]

For each source tree (REV exported with `git archive`, and this working tree as it is), in a temporary copy: a
first `harness sandbox build --offline` warms everything up (base image, wheelhouse, Docker's layer cache; it is
instant when the image exists), then a comment is appended to the copy's kernel hook and the same command is
timed. The images the benchmark produced are removed afterwards (only those, by tag). Prints the seconds
of each and the ratio this tree / baseline. Run it with this checkout's .venv (the copies use its packages).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ["-c", "from takehome_harness.harness.cli import harness; harness()", "sandbox", "build", "--offline"]
TAG = ["-c", "from takehome_harness.harness.sandbox.image import image_tag; print(image_tag())"]


def export(rev: str | None, dest: Path) -> Path:
    """A copy of the source tree at `rev` (None: this working tree, uncommitted changes included)."""
    dest.mkdir()
    if rev is None:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                                capture_output=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            if (ROOT / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, dest / name)
        return dest
    archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(dest, filter="data")
    return dest


def run_in(copy: Path, args: list[str]) -> subprocess.CompletedProcess:
    """Run with the copy's own code: its folders as takehome_harness.<folder>, found ahead of this checkout's
    editable install (and, for revisions from before that name, as the bare folder names their code imports)."""
    namespace = copy / ".installed-names" / "takehome_harness"
    if not namespace.is_dir():
        namespace.mkdir(parents=True)
        for folder in ("harness", "graders", "exercises", "datasets"):
            (namespace / folder).symlink_to(copy / folder, target_is_directory=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(namespace.parent), str(copy)])}
    done = subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[2:]) or args} failed in {copy}:\n{done.stderr[-2000:]}")
    return done


def touched_rebuild(copy: Path) -> tuple[float, str]:
    hook = copy / "harness" / "sandbox" / "kernel_hook.py"
    hook.write_text(hook.read_text() + f"\n# touched by benchmarks/image_rebuild.py {uuid.uuid4().hex}\n")
    started = time.perf_counter()
    run_in(copy, BUILD)
    return time.perf_counter() - started, run_in(copy, TAG).stdout.strip()


def measure(rev: str | None, *, repeat: int, workdir: Path) -> list[float]:
    import docker

    client = docker.from_env()
    copy = export(rev, workdir / (rev or "worktree").replace("/", "_"))
    untouched = run_in(copy, TAG).stdout.strip()
    existed = bool(client.images.list(name=untouched))
    run_in(copy, BUILD)  # warm-up: the untouched tree's image (instant when it exists)
    times = []
    for _ in range(repeat):
        seconds, tag = touched_rebuild(copy)
        times.append(seconds)
        client.images.remove(tag)
    if not existed:
        client.images.remove(untouched)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. the commit before a change)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="image-rebuild-") as tmp:
        before = measure(args.baseline, repeat=args.repeat, workdir=Path(tmp))
        after = measure(None, repeat=args.repeat, workdir=Path(tmp))
    b, a = statistics.median(before), statistics.median(after)
    print(f"baseline {args.baseline}: rebuild after a hook change {b:.1f} s ({', '.join(f'{t:.1f}' for t in before)})")
    print(f"this tree: rebuild after a hook change {a:.1f} s ({', '.join(f'{t:.1f}' for t in after)})")
    print(f"this tree / baseline: {a / b:.2f}x")


if __name__ == "__main__":
    main()
