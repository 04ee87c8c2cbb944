"""Report identity: grade a fixed set of submissions through the real `grade` CLI, and compare two such runs'
report.json files, so a refactor can show it changed no report.

    scripts/report-identity inputs DIR            # the corpus cases + each exercise's reference solution in a
                                                  # verified bundle + one rejected zip (bundles are random: make once)
    scripts/report-identity grade DIR OUT         # grade DIR's submissions into OUT/reports
    scripts/report-identity compare OUT_A OUT_B   # exit 1 and list the differences unless every report matches

What legitimately varies between two runs of the same code is left out of the comparison: timestamps, timings and
durations (also where the execution check repeats them), peak memory, the tool version and the sandbox image tag.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import nbformat

SECRET = "report-identity-secret"   # fixed, so a bundle made once regenerates the same data on every run
GENERIC = "generic"                 # the folder of cases that name no exercise
BUNDLES = "bundles"                 # verified bundles: hidden labels, hidden and claimed scores
REJECTED = "rejected"

# What differs between two runs of the same code: these keys at any depth (the run details, and the execution
# check's own copy of the run's times), the timestamps, the tool version and the image tag, and durations in text.
VOLATILE_KEYS = frozenset({"wall_seconds", "cell_seconds", "peak_memory_mb", "slowest_cells", "timings"})
VOLATILE_PATHS = frozenset({"started_at", "finished_at", "tool_version", "run.image"})
# Cases whose notebook is random by design (an unseeded model: the point of the case), so their numbers differ from
# run to run; their differences are listed but do not fail the comparison.
UNSEEDED = frozenset({"exec_careless_unseeded"})
_DURATION = re.compile(r"\b\d+(?:\.\d+)? s\b")
_SLOWEST = re.compile(r"slowest cells: .*")


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The report without what legitimately varies from run to run."""
    def strip(value: Any, prefix: str) -> Any:
        if isinstance(value, dict):
            return {key: strip(item, f"{prefix}{key}.") for key, item in value.items()
                    if key not in VOLATILE_KEYS and f"{prefix}{key}" not in VOLATILE_PATHS}
        if isinstance(value, list):
            return [strip(item, prefix) for item in value]
        if isinstance(value, str):
            return _DURATION.sub("<time> s", _SLOWEST.sub("slowest cells: <by time>", value))
        return value

    return strip(document, "")


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Each place where two JSON values differ, as 'path: a != b' (values shortened)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                yield f"{where}: only in {'second' if key not in a else 'first'}"
            else:
                yield from differences(a[key], b[key], where)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {_short(a)} != {_short(b)}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def compare_runs(first: Path, second: Path) -> dict[str, list[str]]:
    """Per report (relative path under reports/): its differences; empty when every report matches (the UNSEEDED
    cases' own differences are listed under a name ending in ' (unseeded by design)')."""
    def reports(root: Path) -> dict[str, Path]:
        base = root / "reports"
        return {p.relative_to(base).as_posix(): p for p in sorted(base.rglob("report.json"))}

    left, right = reports(first), reports(second)
    found: dict[str, list[str]] = {}
    for name in sorted(set(left) | set(right)):
        if name not in right or name not in left:
            found[name] = [f"only in {first if name in left else second}"]
            continue
        diff = list(differences(comparable(json.loads(left[name].read_text())),
                                comparable(json.loads(right[name].read_text()))))
        if diff:
            found[name + (" (unseeded by design)" if Path(name).parent.name in UNSEEDED else "")] = diff
    return found


def write_inputs(dest: Path, *, names: tuple[str, ...] = ()) -> None:
    """Submissions to grade: every runnable corpus case (or those named), by exercise; each exercise's reference
    solution sent back in a bundle issued under dest/home; and one zip with no notebook in it."""
    from corpus import CASES

    from takehome_harness.harness.bundle import create_bundle
    from takehome_harness.harness.exercise import list_exercises
    from takehome_harness.harness.exercise_check import REFERENCE, submission_from_bundle

    if dest.exists():
        raise click.ClickException(f"{dest} exists; the inputs are made once and reused by every grade run")
    os.environ.update(HARNESS_HOME=str(dest / "home"), HARNESS_SECRET=SECRET)
    for case in (c for c in CASES if c.runnable and (not names or c.name in names)):
        folder = dest / (case.exercise or GENERIC) / case.name
        folder.mkdir(parents=True)
        nbformat.write(case.notebook, str(folder / "notebook.ipynb"))
        for name, text in case.files.items():
            (folder / name).write_text(text)
    (dest / BUNDLES).mkdir(parents=True)
    for exercise in list_exercises():
        reference = exercise.file(REFERENCE)
        if not reference.is_file():
            continue
        bundle = create_bundle(exercise_id=exercise.id, candidate=f"{exercise.id} reference", out_dir=dest / "issued")
        submission_from_bundle(Path(bundle.path), dest / BUNDLES / f"{exercise.id}-reference.zip",
                               reference.read_bytes())
    (dest / REJECTED).mkdir()
    with zipfile.ZipFile(dest / REJECTED / "no-notebook.zip", "w") as empty:
        empty.writestr("README.md", "no notebook here\n")


def grade_inputs(inputs: Path, out: Path, *, sandbox: str, jobs: int) -> None:
    """`grade` each group of inputs through the real CLI, in a child process with a copy of the inputs' home."""
    home = out / "home"
    shutil.copytree(inputs / "home", home)
    env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_SECRET": SECRET}
    for group in sorted(p for p in inputs.iterdir() if p.is_dir() and p.name not in {"home", "issued"}):
        paths = sorted(group.iterdir())
        if not paths:
            continue
        exercise = [] if group.name in {GENERIC, BUNDLES, REJECTED} else ["--exercise", group.name]
        command = [sys.executable, "-c", "from takehome_harness.harness.cli import grade; grade()", *map(str, paths), *exercise,
                   "--out", str(out / "reports" / group.name), "--sandbox", sandbox, "--jobs", str(jobs),
                   "--force", "--timeout", "300"]
        click.echo(f"grading {len(paths)} submission(s) of {group.name}", err=True)
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            raise click.ClickException(f"grade exited {done.returncode} on {group.name}")


@click.group()
def main() -> None:
    """Show that a change leaves every report.json as it was."""


@main.command("inputs")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--case", "names", multiple=True, help="Only this corpus case (repeat for several).")
def inputs_cmd(dest: Path, names: tuple[str, ...]) -> None:
    """Write the submissions to grade into DEST (once; every grade run reuses them)."""
    write_inputs(dest, names=names)


@main.command("grade")
@click.argument("inputs", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sandbox", default="auto", show_default=True)
@click.option("--jobs", default=2, show_default=True)
def grade_cmd(inputs: Path, out: Path, sandbox: str, jobs: int) -> None:
    """Grade INPUTS into OUT/reports with the code installed in this venv."""
    if out.exists():
        raise click.ClickException(f"{out} exists; give a new folder")
    grade_inputs(inputs, out, sandbox=sandbox, jobs=jobs)


@main.command("compare")
@click.argument("first", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("second", type=click.Path(exists=True, file_okay=False, path_type=Path))
def compare_cmd(first: Path, second: Path) -> None:
    """Compare two grade runs' report.json files; exit 1 when any differs."""
    found = compare_runs(first, second)
    count = len({p.relative_to(root / "reports") for root in (first, second)
                 for p in (root / "reports").rglob("report.json")})
    for name, diff in found.items():
        click.echo(f"{name}:")
        for line in diff:
            click.echo(f"  {line}")
    ignored = ", ".join(sorted(VOLATILE_KEYS | VOLATILE_PATHS))
    click.echo(f"{count - len(found)} of {count} report(s) identical (ignoring {ignored} and durations in text)")
    sys.exit(1 if [name for name in found if not name.endswith("(unseeded by design)")] else 0)


if __name__ == "__main__":
    main()
