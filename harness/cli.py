"""Command line: a thin layer over the library functions. Bad input -> one line, no traceback."""
from __future__ import annotations

import functools
import sys

import click

from harness.errors import HarnessError


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
    from harness.exercise import list_exercises

    for ex in list_exercises():
        click.echo(f"{ex.id:12} v{ex.version:6} {ex.spec['time_box_hours']:>4}h  {ex.title}")
