"""The list of bundles issued: one JSON object per line in <data dir>/bundles.jsonl.

It holds no secret and no seed; grading finds a bundle's variant from bundle.json plus the secret. Each
entry records the fingerprint of the secret that issued it (takehome_harness.harness.variants.secret_fingerprint), so a
grader with another secret can say so. The file is rewritten whole under a lock and renamed into place.
"""
from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from takehome_harness.harness.atomic_files import write_bytes_atomic
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.user_dirs import data_dir

REGISTRY_NAME = "bundles.jsonl"


@dataclass(frozen=True)
class BundleInfo:
    bundle_id: str
    exercise_id: str
    exercise_version: str
    candidate: str
    created_at: str          # ISO 8601, UTC
    path: str                # where the zip was written
    secret_fingerprint: str | None = None   # of the issuing secret; None in entries from before it was kept


def registry_path() -> Path:
    return data_dir() / REGISTRY_NAME


def record_bundle(info: BundleInfo) -> None:
    path = registry_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.with_name(path.name + ".lock").open("a") as lock:
            # two `harness bundle` runs at once must not lose each other's line
            fcntl.flock(lock, fcntl.LOCK_EX)
            existing = path.read_bytes() if path.exists() else b""
            if existing and not existing.endswith(b"\n"):
                existing += b"\n"
            write_bytes_atomic(path, existing + (json.dumps(asdict(info), sort_keys=True) + "\n").encode())
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
