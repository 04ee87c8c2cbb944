"""Which submission this is: the hash of what was handed in, its folder name under --out, and whether a report
for exactly these bytes is already there (the skip cache)."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def submission_kind(source: Path) -> str:
    if source.is_dir():
        return "folder"
    suffix = source.suffix.lower()
    return {".zip": "zip", ".ipynb": "notebook"}.get(suffix, "other")


def input_sha256(source: Path) -> str:
    """Hash of what was handed in: the file's bytes, or every file of a folder with its relative path."""
    digest = hashlib.sha256()
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        if source.is_dir():
            digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def submission_label(source: Path, digest: str, *, blind: bool) -> str:
    """Folder name under --out: the submission's name, or an id that reveals nothing when blind."""
    if blind:
        return f"submission-{digest[:10]}"
    stem = source.name if source.is_dir() else source.stem
    return _LABEL_UNSAFE.sub("_", stem).strip("._") or f"submission-{digest[:10]}"


def already_graded(report_dir: Path, digest: str) -> dict[str, Any] | None:
    """The existing report.json if it is for exactly this input (report.json is written last, so it marks
    a complete folder); an internal-error report is never reused, the bug may be fixed by now."""
    try:
        document = json.loads((report_dir / "report.json").read_text())
    except (OSError, ValueError):
        return None
    same_input = document.get("submission", {}).get("input_sha256") == digest
    return document if same_input and document.get("outcome") != "internal_error" else None
