"""What the host and the notebook runner agree on: the result files, how a run ended (the runner's exit code),
the version of files.json, and which files of a submission go into a run.

Standard library only: runner.py imports it inside the sandbox image (both are copied to /opt/harness/), and the
host reads it without importing the runner's nbformat, jupyter_client and nbclient (a grade's start-up).
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

RESULT_FILES = ("executed.ipynb", "status.json", "trace.jsonl", "files.json")
FILES_VERSION = 1
# The final state of a run -> the runner's exit code. Python itself exits 1 on an uncaught exception
# and 2 on bad arguments; a signal shows as 128+n (container) or -n (local): none of these collide.
EXIT_CODES = {"completed": 0, "cell_error": 10, "cell_timeout": 11, "deadline": 12, "kernel_died": 13,
              "runner_error": 14}


def copy_in(source: Path, work: Path) -> None:
    """The submission into the working folder: regular files and folders only, never its own data/."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if not (stat.S_ISREG(mode := os.lstat(os.path.join(folder, n)).st_mode)
                                            or stat.S_ISDIR(mode))}
        return skipped | ({"data"} if Path(folder) == source else set())

    shutil.copytree(source, work, symlinks=True, ignore=ignore, dirs_exist_ok=True)
