"""Sweep what graders that died (engine crash, SIGKILL, reboot) left behind: their sandbox containers and
temp folders. Each carries its grading process as owner (harness/ownership.py), so what belongs to a
grader that still runs, here or on another host, is never touched."""
from __future__ import annotations

from takehome_harness.harness.ownership import remove_abandoned_temp_dirs

GRADE_TEMP_PREFIX = "harness-grade-"


def remove_abandoned_temp_folders(*, everything: bool = False) -> int:
    from takehome_harness.harness.sandbox import workspace

    return remove_abandoned_temp_dirs((GRADE_TEMP_PREFIX, workspace.TEMP_PREFIX), everything=everything)


def sweep_leftovers(*, sandbox: str) -> None:
    """Run at the start of every `grade`: abandoned temp folders, and containers when Docker may be used."""
    remove_abandoned_temp_folders()
    if sandbox != "local":
        from takehome_harness.harness.sandbox.docker_backend import remove_abandoned_containers

        remove_abandoned_containers()
