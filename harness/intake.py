"""Turn whatever a candidate sent (a .zip, a folder or a bare .ipynb) into a clean folder on disk.

The input is untrusted. Nothing is ever written outside `dest`; symlinks, devices, path tricks and
decompression bombs are refused while streaming (headers are only a first filter); odd-but-harmless
things (a wrapper folder, macOS junk, an old notebook format) are accepted with a plain warning.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import jsonschema
import nbformat

from takehome_harness.harness.errors import HarnessError, SubmissionRejected
from takehome_harness.harness.notebook_io import load_submitted_notebook

JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".ipynb_checkpoints", "__pycache__"}
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst")
CHUNK = 1 << 16
# type bits in a zip's unix mode; many writers store permissions only, so "no type" means a plain file
SPECIAL_FILE_TYPES = {stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK}

BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["exercise", "exercise_version", "bundle_id", "created_at", "files"],
    "properties": {
        "exercise": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"},
        "exercise_version": {"type": "string", "maxLength": 32},
        "bundle_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"},
        "created_at": {"type": "string", "maxLength": 64},
        "files": {
            "type": "object",
            "maxProperties": 1000,
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    },
}


@dataclass(frozen=True)
class IntakeLimits:
    max_total_bytes: int = 200 * 2**20      # everything unpacked together
    max_members: int = 2000                 # files and folders in the archive
    max_ratio: float = 100.0                # uncompressed : compressed, per member ...
    ratio_floor_bytes: int = 2**20          # ... once the member has produced this much
    max_notebook_bytes: int = 50 * 2**20
    max_output_chars: int = 1_000_000       # per saved output string in the submitted notebook
    max_bundle_json_bytes: int = 2**20
    max_name_chars: int = 1024


@dataclass
class Submission:
    dir: Path                               # the unpacked submission (wrapper folder stripped)
    notebook_path: Path                     # rewritten as a clean v4 notebook
    notebook: nbformat.NotebookNode         # as submitted, outputs kept (huge ones cut)
    bundle: dict[str, Any] | None           # parsed bundle.json if present and valid
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Member:
    name: str                               # path inside the submission, "/"-separated, as given
    kind: str                               # "file", "dir", "symlink", "special", "encrypted"
    compressed_size: int | None = None      # None when not compressed (folder input)
    open: Callable[[], IO[bytes]] | None = None


def unpack_submission(*, source: Path, dest: Path, notebook_name: str = "notebook.ipynb",
                      limits: IntakeLimits | None = None) -> Submission:
    """Unpack `source` into the empty (or missing) folder `dest` and load its notebook.

    Raises SubmissionRejected with one plain sentence when nothing gradable is in it.
    """
    limits = limits or IntakeLimits()
    source = Path(source)
    dest = Path(dest)
    if not source.exists():
        raise HarnessError(f"submission not found: {source}")
    _prepare_dest(dest, source)
    warnings: list[str] = []
    if source.is_dir():
        _extract(_folder_members(source, limits), dest=dest, limits=limits, warnings=warnings)
    elif source.suffix.lower() == ".ipynb":
        _copy_bare_notebook(source, dest / notebook_name, limits)
    elif zipfile.is_zipfile(source):
        _unpack_zip(source, dest=dest, limits=limits, warnings=warnings)
    else:
        raise SubmissionRejected(
            f"{source.name} is not a zip archive, a folder or a .ipynb notebook (or the zip is damaged).")
    root = _strip_wrapper(dest)
    notebook_path = _pick_notebook(root, notebook_name=notebook_name, warnings=warnings)
    loaded = load_submitted_notebook(notebook_path, max_bytes=limits.max_notebook_bytes,
                                     max_output_chars=limits.max_output_chars)
    warnings.extend(loaded.warnings)
    nbformat.write(loaded.notebook, str(notebook_path))
    bundle = _read_bundle(root, limits=limits, warnings=warnings)
    if (root / "data").exists():
        warnings.append("The submission contains its own data/ folder; it is kept as evidence but ignored: "
                        "the notebook is run against the grader's copy of the data.")
    return Submission(dir=root, notebook_path=notebook_path, notebook=loaded.notebook, bundle=bundle,
                      warnings=warnings)


def _prepare_dest(dest: Path, source: Path) -> None:
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise HarnessError(f"unpack folder must be empty or missing: {dest}")
    if source.is_dir() and dest.resolve().is_relative_to(source.resolve()):
        raise HarnessError(f"unpack folder {dest} must not be inside the submission folder {source}")
    dest.mkdir(parents=True, exist_ok=True)


def _copy_bare_notebook(source: Path, target: Path, limits: IntakeLimits) -> None:
    size = source.stat().st_size
    if size > limits.max_notebook_bytes:
        raise SubmissionRejected(
            f"{source.name} is {size / 2**20:.1f} MB, over the {limits.max_notebook_bytes / 2**20:.0f} MB "
            "limit for a notebook.")
    member = _Member(name=target.name, kind="file", open=lambda: source.open("rb"))
    _write_member(member, target, limits=limits, budget=_Budget(limits.max_total_bytes))


# --- reading the input -------------------------------------------------------------------------

def _unpack_zip(source: Path, *, dest: Path, limits: IntakeLimits, warnings: list[str]) -> None:
    if source.stat().st_size > limits.max_total_bytes:
        raise SubmissionRejected(
            f"{source.name} is larger than {limits.max_total_bytes / 2**20:.0f} MB; that is too big to grade.")
    _check_central_directory(source, limits)
    try:
        with zipfile.ZipFile(source) as archive:
            _extract(_zip_members(archive, limits), dest=dest, limits=limits, warnings=warnings)
    except UnicodeDecodeError:
        raise SubmissionRejected(
            f"{source.name} marks its file names as UTF-8 but they are not; please re-create the zip.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, zipfile.LargeZipFile) as exc:
        raise SubmissionRejected(f"{source.name} is a damaged or unsupported zip archive ({exc}).") from None


def _check_central_directory(source: Path, limits: IntakeLimits) -> None:
    """Refuse archives whose table of contents alone would cost a lot of memory to read."""
    with source.open("rb") as fp:
        # zipfile's own end-of-archive reader; it reads only the last ~64 KiB
        end = zipfile._EndRecData(fp)  # noqa: SLF001
    if end is None:
        raise SubmissionRejected(f"{source.name} is a damaged zip archive (no end-of-archive record).")
    directory_size = end[zipfile._ECD_SIZE]  # noqa: SLF001
    if directory_size > limits.max_members * limits.max_name_chars:
        raise SubmissionRejected(
            f"{source.name} lists far too many files (more than {limits.max_members}); that is not a submission.")


def _zip_members(archive: zipfile.ZipFile, limits: IntakeLimits) -> Iterator[_Member]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise SubmissionRejected(
            f"the archive has {len(infos)} entries, more than the {limits.max_members} allowed.")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        raise SubmissionRejected(
            f"the archive would unpack to {declared / 2**20:.0f} MB, more than the "
            f"{limits.max_total_bytes / 2**20:.0f} MB allowed (a possible zip bomb).")
    for info in infos:
        mode = info.external_attr >> 16
        if info.flag_bits & 0x1:
            kind = "encrypted"
        elif stat.S_ISLNK(mode):
            kind = "symlink"
        elif info.is_dir():
            kind = "dir"
        elif stat.S_IFMT(mode) in SPECIAL_FILE_TYPES:
            kind = "special"
        else:
            kind = "file"
        yield _Member(name=info.filename, kind=kind, compressed_size=info.compress_size,
                      open=(lambda info=info: archive.open(info)) if kind == "file" else None)


def _folder_members(root: Path, limits: IntakeLimits) -> Iterator[_Member]:
    count = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                count += 1
                if count > limits.max_members:
                    raise SubmissionRejected(
                        f"the submission folder has more than the {limits.max_members} files allowed.")
                path = Path(entry.path)
                name = path.relative_to(root).as_posix()
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    yield _Member(name=name, kind="symlink")
                elif stat.S_ISDIR(mode):
                    yield _Member(name=name + "/", kind="dir")
                    if entry.name not in JUNK_NAMES:
                        stack.append(path)
                elif stat.S_ISREG(mode):
                    yield _Member(name=name, kind="file", open=lambda path=path: _open_no_follow(path))
                else:
                    yield _Member(name=name, kind="special")


def _open_no_follow(path: Path) -> IO[bytes]:
    """Open a regular file, refusing a symlink swapped in since it was listed."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


# --- writing the output ------------------------------------------------------------------------

SKIP_REASONS = {
    "unsafe": "its path points outside the submission folder",
    "bad_name": "its name is empty, too long or contains control characters",
    "symlink": "it is a symbolic link",
    "special": "it is a device, pipe or other special file",
    "encrypted": "it is encrypted",
    "clash": "it appears twice or clashes with another file or folder",
    "archive": "it is an archive inside the archive (kept, not unpacked)",
}


def _extract(members: Iterator[_Member], *, dest: Path, limits: IntakeLimits, warnings: list[str]) -> None:
    skipped: dict[str, list[str]] = defaultdict(list)
    budget = _Budget(limits.max_total_bytes)
    for member in members:
        parts = _safe_parts(member.name, limits)
        if isinstance(parts, str):
            skipped[parts].append(member.name)
            continue
        if not parts or any(p in JUNK_NAMES or p.startswith("._") for p in parts):
            continue
        if member.kind in {"symlink", "special", "encrypted"}:
            skipped[member.kind].append(member.name)
            continue
        target = dest.joinpath(*parts)
        if not target.parent.resolve().is_relative_to(dest.resolve()):
            skipped["unsafe"].append(member.name)
            continue
        try:
            if member.kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_member(member, target, limits=limits, budget=budget)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            skipped["clash"].append(member.name)
            continue
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                skipped["bad_name"].append(member.name)
                continue
            raise
        if parts[-1].lower().endswith(ARCHIVE_SUFFIXES):
            skipped["archive"].append(member.name)
    for reason, names in skipped.items():
        shown = ", ".join(f"'{_printable(n)}'" for n in names[:5]) + (f" and {len(names) - 5} more"
                                                                      if len(names) > 5 else "")
        verb = "Kept" if reason == "archive" else "Skipped"
        warnings.append(f"{verb} {len(names)} file(s) from the submission because {SKIP_REASONS[reason]}: {shown}.")


def _safe_parts(name: str, limits: IntakeLimits) -> list[str] | str:
    """The path components to write, or the key of the reason to skip the member."""
    if not name or len(name) > limits.max_name_chars or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "bad_name"
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "unsafe"
    parts = [p for p in PurePosixPath(posix).parts if p not in {"", "."}]
    if ".." in parts:
        return "unsafe"
    return parts


@dataclass
class _Budget:
    """Bytes still allowed to be written for the whole submission."""

    left: int


def _write_member(member: _Member, target: Path, *, limits: IntakeLimits, budget: _Budget) -> None:
    """Stream one file to disk, counting real bytes against the total budget and the bomb ratio."""
    assert member.open is not None
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out, member.open() as src:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            budget.left -= len(chunk)
            if budget.left < 0:
                raise SubmissionRejected(
                    f"the submission unpacks to more than {limits.max_total_bytes / 2**20:.0f} MB; "
                    "that is too big to grade (a possible zip bomb).")
            if (member.compressed_size is not None and written > limits.ratio_floor_bytes
                    and written > limits.max_ratio * max(member.compressed_size, 1)):
                raise SubmissionRejected(
                    f"'{_printable(member.name)}' in the archive expands more than {limits.max_ratio:.0f} times "
                    "its compressed size (a zip bomb); the submission was not unpacked.")
            out.write(chunk)


def _printable(name: str) -> str:
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)
    return shown if len(shown) <= 120 else shown[:117] + "..."


# --- what is in it -------------------------------------------------------------------------------

def _strip_wrapper(dest: Path) -> Path:
    """A zip of a folder has one top-level folder and nothing else: grade what is inside it."""
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name != "data":
        return entries[0]
    return dest


def _pick_notebook(root: Path, *, notebook_name: str, warnings: list[str]) -> Path:
    found = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".ipynb")
    if (root / notebook_name) in found:
        if len(found) > 1:
            others = ", ".join(p.name for p in found if p.name != notebook_name)
            warnings.append(f"Graded {notebook_name}; the other notebook(s) were not run: {others}.")
        return root / notebook_name
    if len(found) == 1:
        warnings.append(f"No {notebook_name} in the submission; graded {found[0].name}, the only notebook in it.")
        return found[0]
    if found:
        listed = ", ".join(_printable(p.name) for p in found[:10])
        raise SubmissionRejected(
            f"the submission has several notebooks ({listed}) and none is named {notebook_name}; "
            f"rename the one to grade to {notebook_name}.")
    deeper = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ipynb")
                    if not any(part in JUNK_NAMES for part in p.parts))
    named = [d for d in deeper if PurePosixPath(d).name == notebook_name]
    chosen = named if len(named) == 1 else deeper if len(deeper) == 1 else []
    if chosen:
        # a small project (notebooks/analysis.ipynb, data/, src/): the runner starts the kernel in the notebook's
        # own folder, so ../data/x.csv and sys.path.append('..') work as they did for the candidate
        warnings.append(f"The notebook is in a sub-folder ({_printable(chosen[0])}); it was run from its own "
                        "folder with the rest of the submission laid out around it as sent.")
        return root / chosen[0]
    if deeper:
        listed = ", ".join(_printable(d) for d in deeper[:10])
        raise SubmissionRejected(
            f"the submission has no notebook at its top level and several in sub-folders ({listed}); put the one "
            f"to grade at the top level as {notebook_name}, or name it {notebook_name}.")
    raise SubmissionRejected("the submission has no notebook (.ipynb) in it.")


def _read_bundle(root: Path, *, limits: IntakeLimits, warnings: list[str]) -> dict[str, Any] | None:
    path = root / "bundle.json"
    if not path.is_file():
        return None
    if path.stat().st_size > limits.max_bundle_json_bytes:
        warnings.append("bundle.json is too large to be genuine; the submission is graded without it.")
        return None
    return _parse_bundle(path.read_bytes(), warnings=warnings)


def _parse_bundle(raw: bytes, *, warnings: list[str]) -> dict[str, Any] | None:
    try:
        bundle = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also a 4300+ digit number
        warnings.append(f"bundle.json is not readable JSON ({type(exc).__name__}); the submission is graded "
                        "without it.")
        return None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(BUNDLE_SCHEMA).iter_errors(bundle))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        warnings.append(f"bundle.json was altered or damaged (at {where}: {error.message[:200]}); the "
                        "submission is graded without it.")
        return None
    return bundle


def peek_bundle(source: Path, *, limits: IntakeLimits | None = None) -> dict[str, Any] | None:
    """The bundle.json of a .zip or folder submission, read without unpacking it: at its top level or in its one
    wrapper folder, as valid as unpack_submission would find it; None for anything else. Only for planning a batch
    (harness/reference_prefit.py): the grade itself reads what unpack_submission finds, so a peek that misses or
    errs costs time, never a result."""
    limits = limits or IntakeLimits()
    try:
        raw = _peek_bundle_bytes(Path(source), max_bytes=limits.max_bundle_json_bytes)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        return None
    return _parse_bundle(raw, warnings=[]) if raw is not None else None


def _peek_bundle_bytes(source: Path, *, max_bytes: int) -> bytes | None:
    if source.is_dir():
        found = [p for p in [source / "bundle.json", *source.glob("*/bundle.json")]
                 if p.is_file() and not p.is_symlink()]
        return found[0].read_bytes() if len(found) == 1 and found[0].stat().st_size <= max_bytes else None
    if not zipfile.is_zipfile(source):
        return None
    with zipfile.ZipFile(source) as archive:
        found_in_zip = [m for m in archive.infolist() if not m.is_dir()
                        and PurePosixPath(m.filename).name == "bundle.json"
                        and len(PurePosixPath(m.filename).parts) <= 2]
        # zipfile stops at the header's size and checks the CRC, so a header that lies cannot make this read more
        return (archive.read(found_in_zip[0]) if len(found_in_zip) == 1 and found_in_zip[0].file_size <= max_bytes
                else None)

