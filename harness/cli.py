"""Command line: a thin layer over the library functions. Bad input -> one line, no traceback."""
from __future__ import annotations

import atexit
import functools
import os
import sys
from pathlib import Path

import click

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.sandbox.registry import AUTO, auto_order, backends
from takehome_harness.harness.sandbox.registry import choices as sandbox_choices

SANDBOX_HELP = "; ".join([*(f"{spec.name}: {spec.description}" for spec in backends().values()),
                          f"{AUTO}: the first usable of {', '.join(spec.name for spec in auto_order())}"])


def friendly_errors(func):
    """Turn HarnessError into one clear line and its exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except HarnessError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="takehome-harness")
def harness() -> None:
    """Bundle ML take-home exercises for candidates and manage the grading sandbox.

    Grading itself is the separate `grade` command.
    """


@harness.command("exercises")
@friendly_errors
def exercises_cmd() -> None:
    """List the exercises you can send to candidates."""
    from takehome_harness.harness.exercise import list_exercises

    for ex in list_exercises():
        click.echo(f"{ex.id:12} v{ex.version:6} {ex.task_type:22} {ex.primary_metric:8} "
                   f"{ex.spec['time_box_hours']:>4}h  {ex.title}")


@harness.group("exercise")
def exercise_group() -> None:
    """Make an exercise from your own data, and check that an exercise works before sending it."""


@exercise_group.command("new")
@click.argument("exercise_id", metavar="ID")
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The team's CSV: one row per example, with the target, an id column and the features.")
@click.option("--target", required=True, help="Column to predict (two values: classification; numbers: regression).")
@click.option("--id", "id_column", required=True, help="Column that identifies a row (unique).")
@click.option("--time", "time_column", help="Date column: the test set becomes the last period (else a random split).")
@click.option("--task", type=click.Choice(["binary_classification", "regression"]),
              help="Override the task inferred from the target.")
@click.option("--drop", multiple=True, help="A column never sent to candidates (repeat for several).")
@click.option("--title", help="Title shown to candidates (default: 'Predict TARGET').")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("exercises"),
              show_default=True, help="Folder to create ID/ in; list it in $HARNESS_EXERCISES unless it is the "
                                      "harness's own exercises folder.")
@friendly_errors
def exercise_new_cmd(exercise_id: str, source: Path, target: str, id_column: str, time_column: str | None,
                     task: str | None, drop: tuple[str, ...], title: str | None, out_dir: Path) -> None:
    """Write a complete, gradable exercise from a CSV: exercise.json, instructions with a data dictionary to
    fill in, a starter notebook, a reference solution, and per-candidate variants of the data."""
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.exercise_new import new_exercise

    made = new_exercise(exercise_id=exercise_id, source=source, target=target, id_column=id_column,
                        time=time_column, task=task, drop=list(drop), out_dir=out_dir, title=title)
    click.echo(f"wrote {made.folder}: {made.task_type}, {made.rows} rows, {made.split} split")
    try:
        load_exercise(exercise_id)
    except HarnessError:
        click.echo(f"to use it, add {made.folder.parent.resolve()} to $HARNESS_EXERCISES")
    click.echo(f"next: fill in {made.folder / 'README.md'}, then run: harness exercise check {exercise_id}")


@exercise_group.command("check")
@click.argument("exercise_id", metavar="ID")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/checks"),
              show_default=True, help="Folder for the reference solution's report.")
@click.option("--sandbox", type=click.Choice(sandbox_choices()), default=AUTO, show_default=True,
              help=SANDBOX_HELP)
@friendly_errors
def exercise_check_cmd(exercise_id: str, out_dir: Path, sandbox: str) -> None:
    """Bundle the exercise, grade its reference solution, and report the checks and the scores."""
    from takehome_harness.harness.exercise_check import check_exercise

    result = check_exercise(exercise_id=exercise_id, out_dir=out_dir, sandbox=sandbox)
    for check, status in result.statuses.items():
        click.echo(f"{check:14} {status}")

    def shown(value: float | None) -> str:
        return "-" if value is None else f"{value:.4f}"

    click.echo(f"{result.primary_metric} on the hidden test: reference solution {shown(result.hidden)}, "
               f"baseline {shown(result.baseline)}, reference model {shown(result.reference)}")
    click.echo(f"report: {result.report_dir / 'report.html'}")
    if not result.works:
        click.secho("the reference solution did not grade cleanly; see the report", fg="red", err=True)
        sys.exit(1)


@harness.command("bundle")
@click.argument("exercise_id", metavar="EXERCISE")
@click.option("--candidate", required=True, help="Candidate's name, as it should appear in the instructions.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write the zip into (created if needed).")
@friendly_errors
def bundle_cmd(exercise_id: str, candidate: str, out_dir: Path) -> None:
    """Write a zip for one candidate: instructions, their own data variant, starter notebook."""
    from takehome_harness.harness.bundle import create_bundle
    from takehome_harness.harness.variants import current_secret, issued_under_other_secrets, secret_path

    first_secret = current_secret() is None
    warnings: list[str] = []
    info = create_bundle(exercise_id=exercise_id, candidate=candidate, out_dir=out_dir, on_warning=warnings.append)
    click.echo(f"bundle {info.bundle_id} for {info.candidate}: {info.path}")
    for text in warnings:
        click.secho(f"warning: {text}", fg="yellow", err=True)
    if others := issued_under_other_secrets(current_secret()):
        click.secho(f"warning: {others} earlier bundle(s) in the registry were issued under a different grading "
                    "secret than the one in use now; grading them needs that secret (harness secret import)",
                    fg="yellow", err=True)
    if first_secret:
        click.secho(f"created a new grading secret in {secret_path()}. Back it up now (harness secret export > "
                    "FILE, kept somewhere safe): without it, no bundle can be scored against its hidden labels.",
                    fg="yellow", err=True)


@harness.command("bundles")
@friendly_errors
def bundles_cmd() -> None:
    """List the bundles issued so far (oldest first)."""
    from takehome_harness.harness.bundle_registry import list_bundles, registry_path

    bundles = list_bundles()
    if not bundles:
        click.echo(f"no bundles issued yet ({registry_path()})")
    for b in bundles:
        click.echo(f"{b.created_at}  {b.bundle_id}  {b.exercise_id} v{b.exercise_version}  {b.candidate}  {b.path}")


@harness.group("secret")
def secret_group() -> None:
    """Back up and restore the grading secret that every bundle's hidden labels depend on."""


@secret_group.command("show-path")
@friendly_errors
def secret_show_path_cmd() -> None:
    """Print where the grading secret file is (HARNESS_SECRET, when set, takes its place)."""
    from takehome_harness.harness.variants import SECRET_ENV, current_secret, secret_fingerprint, secret_path

    click.echo(secret_path())
    secret = current_secret()
    where = f"from {SECRET_ENV}" if SECRET_ENV in os.environ else "from the file"
    click.echo(f"in use: {where}, fingerprint {secret_fingerprint(secret)}" if secret else
               "no grading secret yet (the first `harness bundle` creates it)", err=True)


@secret_group.command("export")
@friendly_errors
def secret_export_cmd() -> None:
    """Print the grading secret on stdout, for a backup: harness secret export > FILE."""
    from takehome_harness.harness.variants import current_secret, secret_path

    secret = current_secret()
    if secret is None:
        raise HarnessError(f"there is no grading secret to export ({secret_path()} does not exist)")
    click.echo(secret.decode("utf-8"))


@secret_group.command("import")
@click.argument("source", type=click.File("rb"))
@click.option("--force", is_flag=True, help="Replace a different secret that is already there.")
@friendly_errors
def secret_import_cmd(source, force: bool) -> None:
    """Restore the grading secret from a backup FILE (- for stdin)."""
    from takehome_harness.harness.variants import SECRET_ENV, import_secret, secret_path

    value = source.read()
    matching, recorded = import_secret(value, force=force)
    click.echo(f"grading secret restored to {secret_path()}; it issued {matching} of the {recorded} bundle(s) "
               "whose issuing secret the registry records")
    overriding = os.environ.get(SECRET_ENV)
    if overriding is not None and overriding.strip().encode("utf-8") != value.strip():
        click.secho(f"warning: {SECRET_ENV} is set to a different secret and takes precedence over the file: "
                    f"bundles and grades use {SECRET_ENV} until it is unset", fg="yellow", err=True)
    if recorded and not matching:
        click.secho("warning: none of those bundles were issued under this secret; is it the right backup?",
                    fg="yellow", err=True)


@harness.group("sandbox")
def sandbox_group() -> None:
    """Build, inspect and clean up the Docker sandbox that grading runs notebooks in."""


@sandbox_group.command("build")
@click.option("--offline", is_flag=True,
              help="No registry: Debian base image via debootstrap, Python packages from a host wheelhouse.")
@click.option("--base-image", help="Use this base image instead (must have python3 with venv).")
@click.option("--from-engine", metavar="URL",
              help="Copy the image from the engine at URL (e.g. unix:///var/run/docker.sock) instead of building it.")
@friendly_errors
def sandbox_build_cmd(offline: bool, base_image: str | None, from_engine: str | None) -> None:
    """Build the sandbox image on the engine DOCKER_HOST names (a no-op if the current one exists)."""
    from takehome_harness.harness.sandbox.commands import build

    build(offline=offline, base_image=base_image, from_engine=from_engine)


@sandbox_group.command("status")
@friendly_errors
def sandbox_status_cmd() -> None:
    """Is a Docker engine reachable, which sandbox image is present, and what is in it."""
    from takehome_harness.harness.sandbox.commands import status

    status()


@sandbox_group.command("prune")
@click.option("--images/--no-images", default=True, show_default=True,
              help="Also remove sandbox images other than the current one.")
@click.option("--all", "everything", is_flag=True,
              help="Also remove running sandbox containers and recent temp folders (stops grading in progress).")
@friendly_errors
def sandbox_prune_cmd(images: bool, everything: bool) -> None:
    """Remove containers, stale images and temp folders the harness left behind."""
    from takehome_harness.harness.sandbox.commands import prune

    prune(images=images, everything=everything)


GRADE_EPILOG = """\b
Exit codes:
  0  report(s) written (a failing notebook or a rejected zip still gets a report)
  2  bad input: nothing gradable (e.g. a path that does not exist, an unknown exercise)
  3  sandbox unavailable: no reachable Docker engine for --sandbox docker, or the engine
     stopped during the batch (finished reports, index and CSV kept; re-run to grade the rest)
  4  internal error (a report saying so is written for each affected submission)
  5  the output folder is full or not writable (finished reports kept; re-run to grade the rest)
  130 interrupted (Ctrl-C); finished reports and the index are kept
"""


@click.command("grade", epilog=GRADE_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--exercise", "exercise_id", metavar="ID",
              help="Exercise for a notebook that did not come from a bundle (bundle.json wins otherwise).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/reports"),
              show_default=True, help="Folder for <submission>/report.html, report.json, executed.ipynb.")
@click.option("--sandbox", type=click.Choice(sandbox_choices()), default=AUTO, show_default=True, help=SANDBOX_HELP)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded in parallel.")
@click.option("--blind", is_flag=True, help="Leave candidate names and identifying details out of every report.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout instead of text.")
@click.option("--force", is_flag=True, help="Grade again even if a report for the same input exists.")
@click.option("--timeout", type=click.IntRange(min=1), help="Limit on the whole run, seconds.")
@click.option("--cell-timeout", type=click.IntRange(min=1), help="Limit per cell, seconds.")
@click.option("--memory", type=click.IntRange(min=64), help="Memory limit, MB.")
@click.option("--cpus", type=click.FloatRange(min=0.1), help="CPU limit (cores).")
@friendly_errors
def grade(paths: tuple[Path, ...], exercise_id: str | None, out_dir: Path, sandbox: str, jobs: int, blind: bool,
          as_json: bool, force: bool, timeout: int | None, cell_timeout: int | None, memory: int | None,
          cpus: float | None) -> None:
    """Grade submissions (a .zip, an unpacked folder or a bare .ipynb) into one report folder each."""
    from takehome_harness.harness.grade_options import GradeOptions, LimitOverrides
    from takehome_harness.harness.grade_output import print_batch, run_with_progress

    options = GradeOptions(exercise_id=exercise_id, sandbox=sandbox, blind=blind, force=force,
                           limits=LimitOverrides(total_seconds=timeout, cell_seconds=cell_timeout, memory_mb=memory,
                                                 cpus=cpus))
    try:
        result = run_with_progress(sources=list(paths), out_dir=out_dir, options=options, jobs=jobs,
                                   show_progress=not as_json)
    except HarnessError:
        raise
    except Exception as exc:  # not the submission's fault: say so plainly, exit 4
        click.secho(f"internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        sys.exit(4)
    print_batch(result, as_json=as_json, sandbox=sandbox)
    if result.interrupted:
        sys.exit(130)
    if result.sandbox_lost:
        sys.exit(3)
    if result.internal_errors:
        sys.exit(4)


def grade_main() -> None:
    """The `grade` console script: the command, then an exit that skips the interpreter's teardown.

    Tearing down a grade's modules (pandas, matplotlib, numpy, the Docker client) took 0.2-0.4 s after the last
    report and the index were written (measured 2026-12-02 on the 2-core machine), and every `grade` waited for it.
    What a normal exit does that matters here is done first: the atexit handlers (temporary folders,
    multiprocessing, logging) and flushing the standard streams. A grade's own threads have ended by then
    (GraderSide.finish, the batch's worker pool).
    """
    try:
        grade()   # click's standalone mode always ends in SystemExit
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (grade ... | head): nothing left to say there
            pass
    os._exit(code)
