"""The throw-away folders a run uses, and reading its results back out of them.

Layout of one run (a fresh temp dir, prefix TEMP_PREFIX so leftovers can be found (harness/leftovers.py);
mode 0700, owned by the grading user, marked with its grading process in .owner):
  in/     copy of the submission folder: regular files only, without its own data/; the sandbox only
          reads it (Docker: a root-owned copy in a volume) and the runner copies it into the working folder
  work/   the working folder for the local backend (Docker uses a sized tmpfs instead)
  out/    the runner's result files (RESULT_FILES), created empty here and writable by anyone; the
          folder itself is not writable by the sandbox, so the run cannot add files or links to it
          (Docker: the same in a volume; collect() fetches them into here)
  home/, tmp/   HOME and TMPDIR for the local backend (Docker uses tmpfs instead)
"""
from __future__ import annotations

import base64
import binascii
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jsonschema

from takehome_harness.harness.ownership import mark_owned
from takehome_harness.harness.sandbox.readback import Unreadable, copy_regular_file, read_regular_file
from takehome_harness.harness.sandbox.run_protocol import FILES_VERSION, RESULT_FILES, copy_in

TEMP_PREFIX = "takehome-sandbox-"
RUNNER_FILES = ("executed.ipynb", "status.json", "trace.jsonl")   # copied as they are
FILES_SCHEMA = {
    "type": "object",
    "required": ["version", "files", "omitted"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": FILES_VERSION},
        "files": {"type": "array", "maxItems": 1000, "items": {
            "type": "object", "required": ["path", "base64"], "additionalProperties": False,
            "properties": {"path": {"type": "string", "minLength": 1, "maxLength": 1000}, "base64": {"type": "string"}},
        }},
        "omitted": {"type": "array", "maxItems": 1000, "items": {"type": "string", "maxLength": 2000}},
    },
}


@dataclass
class Workspace:
    root: Path
    input: Path
    work: Path
    out: Path
    home: Path
    tmp: Path
    notebook: Path                      # inside input/

    @property
    def notebook_rel(self) -> str:
        return self.notebook.relative_to(self.input).as_posix()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def create_workspace(*, notebook: Path, workdir: Path) -> Workspace:
    """Copy the submission into a fresh run folder and create the result files the runner rewrites."""
    notebook, workdir = notebook.resolve(), workdir.resolve()
    if not notebook.is_relative_to(workdir):
        raise ValueError(f"notebook {notebook} is not inside workdir {workdir}")
    root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    mark_owned(root)   # outside in/ and out/: the sandbox never sees it
    ws = Workspace(root=root, input=root / "in", work=root / "work", out=root / "out", home=root / "home",
                   tmp=root / "tmp", notebook=root / "in" / notebook.relative_to(workdir))
    try:
        copy_in(workdir, ws.input)   # the runner's own filter: regular files and folders, never data/
        for path in ws.input.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)   # readable by the sandbox uid, writable by nobody else
        ws.input.chmod(0o755)
        for folder in (ws.work, ws.out, ws.home, ws.tmp):
            folder.mkdir()
        ws.out.chmod(0o755)
        for name in RESULT_FILES:
            (ws.out / name).touch()
            (ws.out / name).chmod(0o666)   # the sandbox uid writes them but cannot chmod, move or remove them
    except BaseException:
        ws.remove()
        raise
    return ws


@dataclass
class CopiedOut:
    files: dict[str, Path]            # "status.json" etc., or "files/<path>" for what the run wrote -> host copy
    warnings: list[str]


def _safe_relative(path: str) -> PurePosixPath | None:
    rel = PurePosixPath(path)
    if rel.is_absolute() or "\\" in path or "\0" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return rel


def _unpack_files(raw: bytes, dest: Path, *, budget: int) -> tuple[dict[str, Path], list[str]]:
    """Decode files.json into dest/files/<path>, validating every path and size."""
    try:
        listing = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}, ["ignored files.json: not valid JSON"]
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(FILES_SCHEMA).iter_errors(listing))
    if error is not None:
        return {}, [f"ignored files.json: it does not match its schema ({error.message[:200]})"]
    copied: dict[str, Path] = {}
    warnings = [f"a file the run wrote was not kept: {note}" for note in listing["omitted"][:20]]
    for entry in listing["files"]:
        rel = _safe_relative(entry["path"])
        if rel is None or f"files/{rel}" in copied:
            warnings.append(f"ignored a produced file with an unusable name: {entry['path'][:200]!r}")
            continue
        try:
            data = base64.b64decode(entry["base64"], validate=True)
        except (binascii.Error, ValueError):
            warnings.append(f"ignored {rel}: not valid base64")
            continue
        if len(data) > budget:
            warnings.append(f"ignored {rel}: {len(data)} bytes, over what is left of the output cap")
            continue
        target = dest / "files" / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:   # a name that is also a folder's would collide: skip it
                handle.write(data)
        except OSError as exc:
            warnings.append(f"ignored {rel}: {exc.strerror}")
            continue
        budget -= len(data)
        copied[f"files/{rel}"] = target
    return copied, warnings


def copy_results(ws: Workspace, dest: Path, *, max_bytes: int) -> CopiedOut:
    """Copy the runner's files and what the run wrote into dest (a fresh folder), within a total byte budget.

    An empty result file counts as not produced (the host created them all empty).
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied: dict[str, Path] = {}
    warnings: list[str] = []
    budget = max_bytes
    for name in RUNNER_FILES:
        try:
            copy_regular_file(ws.out / name, dest / name, max_bytes=budget)
        except Unreadable as exc:
            warnings.append(f"ignored {name}: {exc}")
            continue
        if (size := (dest / name).stat().st_size) == 0:
            (dest / name).unlink()
            continue
        budget -= size
        copied[name] = dest / name
    try:
        # base64 makes the listing a third bigger than the files it carries
        raw = read_regular_file(ws.out / "files.json", max_bytes=budget * 4 // 3 + 64 * 1024)
    except Unreadable as exc:
        warnings.append(f"ignored the files the run wrote: {exc}")
        raw = b""
    if raw:
        files, notes = _unpack_files(raw, dest, budget=budget)
        copied.update(files)
        warnings.extend(notes)
    return CopiedOut(files=copied, warnings=warnings)
