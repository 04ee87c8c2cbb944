"""The throw-away folders a run uses, and copying results out of them.

Layout of one run (a fresh temp dir, prefix TEMP_PREFIX so `harness sandbox prune` can find leftovers):
  work/   copy of the submission folder: regular files only, without its own data/
  out/    where the runner writes executed.ipynb, status.json, trace.jsonl
  home/, tmp/   HOME and TMPDIR for the local backend (Docker uses tmpfs instead)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.sandbox.readback import Unreadable, copy_regular_file

TEMP_PREFIX = "takehome-sandbox-"
MAX_PRODUCED_FILES = 50
RUNNER_FILES = ("executed.ipynb", "status.json", "trace.jsonl")


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _copy_filter(workdir: Path):
    """shutil.copytree ignore-callback: skip symlinks, FIFOs, sockets, devices and the top-level data/."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names
                   if not (stat.S_ISREG(mode := os.lstat(os.path.join(folder, n)).st_mode) or stat.S_ISDIR(mode))}
        if Path(folder) == workdir:
            skipped.add("data")  # the submission's own data/ is never used: the grader's copy replaces it
        return skipped

    return ignore


@dataclass
class Workspace:
    root: Path
    work: Path
    out: Path
    home: Path
    tmp: Path
    notebook: Path                      # inside work/
    before: dict[str, str] = field(default_factory=dict)   # relpath -> sha256 of what was copied in

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def create_workspace(*, notebook: Path, workdir: Path, sandbox_uid: int | None) -> Workspace:
    """Copy the submission into a fresh run folder the sandbox user may write to."""
    notebook, workdir = notebook.resolve(), workdir.resolve()
    if not notebook.is_relative_to(workdir):
        raise ValueError(f"notebook {notebook} is not inside workdir {workdir}")
    root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    ws = Workspace(root=root, work=root / "work", out=root / "out", home=root / "home", tmp=root / "tmp",
                   notebook=root / "work" / notebook.relative_to(workdir))
    try:
        shutil.copytree(workdir, ws.work, symlinks=True, ignore=_copy_filter(workdir))
        (ws.work / "data").mkdir()
        for folder in (ws.out, ws.home, ws.tmp):
            folder.mkdir()
        ws.before = {str(p.relative_to(ws.work)): _digest(p) for p in ws.work.rglob("*") if p.is_file()}
        _hand_over(ws, sandbox_uid)
    except BaseException:
        ws.remove()
        raise
    return ws


def _hand_over(ws: Workspace, sandbox_uid: int | None) -> None:
    """Let the sandbox user write work/, out/, home/, tmp/ (but not the run root itself)."""
    os.chmod(ws.root, 0o755)
    for folder in (ws.work, ws.out, ws.home, ws.tmp):
        for path in [folder, *folder.rglob("*")]:
            if sandbox_uid is not None and os.geteuid() == 0:
                os.lchown(path, sandbox_uid, sandbox_uid)
            elif path.is_dir():
                os.chmod(path, 0o777)  # not root: cannot chown, so open it up (the run root stays 0755)
    (ws.work / "data").chmod(0o755)


def produced_files(ws: Workspace) -> list[Path]:
    """Regular files under work/ that the run created or changed (not data/), never following links."""
    found = []
    for folder, dirs, files in os.walk(ws.work, followlinks=False):
        if Path(folder) == ws.work and "data" in dirs:
            dirs.remove("data")
        for name in sorted(files):
            path = Path(folder) / name
            rel = str(path.relative_to(ws.work))
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            if rel in ws.before and ws.before[rel] == _digest(path):
                continue
            found.append(path)
    return sorted(found)


@dataclass
class CopiedOut:
    files: dict[str, Path]            # "status.json" etc., or "files/<path>" for what the run wrote -> host copy
    warnings: list[str]


def copy_results(ws: Workspace, dest: Path, *, max_bytes: int) -> CopiedOut:
    """Copy runner files and produced files into dest (a fresh folder), within a total byte budget."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied: dict[str, Path] = {}
    warnings: list[str] = []
    budget = max_bytes
    sources = [(name, ws.out / name, dest / name) for name in RUNNER_FILES]
    produced = produced_files(ws)
    if len(produced) > MAX_PRODUCED_FILES:
        warnings.append(f"the run wrote {len(produced)} files; only the first {MAX_PRODUCED_FILES} were kept")
    for path in produced[:MAX_PRODUCED_FILES]:
        rel = str(path.relative_to(ws.work))
        sources.append((f"files/{rel}", path, dest / "files" / rel))
    for name, source, target in sources:
        if not os.path.lexists(source):
            continue
        try:
            copy_regular_file(source, target, max_bytes=budget)
        except Unreadable as exc:
            warnings.append(f"ignored {name}: {exc}")
            continue
        budget -= target.stat().st_size
        copied[name] = target
    return CopiedOut(files=copied, warnings=warnings)
