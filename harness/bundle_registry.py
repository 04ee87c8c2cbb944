"""The list of bundles issued: one JSON object per line in <data dir>/bundles.jsonl.

It holds no secret and no seed; grading finds a bundle's variant from bundle.json plus the secret.
"""
from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.user_dirs import data_dir

REGISTRY_NAME = "bundles.jsonl"


@dataclass(frozen=True)
class BundleInfo:
    bundle_id: str
    exercise_id: str
    exercise_version: str
    candidate: str
    created_at: str          # ISO 8601, UTC
    path: str                # where the zip was written


def registry_path() -> Path:
    return data_dir() / REGISTRY_NAME


def record_bundle(info: BundleInfo) -> None:
    path = registry_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            # two `harness bundle` runs at once must not interleave their lines
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(asdict(info), sort_keys=True) + "\n")
    except OSError as exc:
        raise HarnessError(f"cannot record the bundle in {path}: {exc.strerror}") from None


def list_bundles() -> list[BundleInfo]:
    """All bundles issued, oldest first; an unreadable line is reported, not skipped silently."""
    path = registry_path()
    if not path.exists():
        return []
    bundles = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            bundles.append(BundleInfo(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise HarnessError(f"{path} line {number} is damaged ({exc}); fix or delete that line") from None
    return bundles


def find_bundle(bundle_id: str) -> BundleInfo | None:
    return next((b for b in list_bundles() if b.bundle_id == bundle_id), None)
