"""Per-candidate data variants: seed = HMAC-SHA256(secret, exercise id + bundle id), and the secret itself.

The bundle carries only the bundle id, so a candidate cannot regenerate the hidden labels; the
grader, holding the secret, can. Losing the secret loses every bundle issued under it, so it is never
replaced silently: while the bundle registry lists bundles, a missing secret is an error that says how
to restore it, and each registry entry records the fingerprint of the secret that issued it.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from takehome_harness.harness.atomic_files import write_bytes_atomic
from takehome_harness.harness.bundle_registry import BundleInfo, find_bundle, list_bundles, registry_path
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.user_dirs import config_dir

SECRET_ENV = "HARNESS_SECRET"
SECRET_FILE_NAME = "variant-secret"
FINGERPRINT_MESSAGE = b"takehome-harness grading secret fingerprint v1"


def secret_path() -> Path:
    return config_dir() / SECRET_FILE_NAME


def secret_fingerprint(secret: bytes) -> str:
    """Names a secret without revealing it: an HMAC of a constant under the secret (one-way)."""
    return hmac.new(secret, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def current_secret() -> bytes | None:
    """The secret from $HARNESS_SECRET, else from its 0600 file; None when neither exists."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env is not None:
        if not from_env.strip():
            raise HarnessError(f"{SECRET_ENV} is set but empty")
        return from_env.encode("utf-8")
    path = secret_path()
    if not path.exists():
        return None
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise HarnessError(f"the grading secret {path} is readable by other users; run: chmod 600 {path}")
    value = path.read_text().strip()
    if not value:
        raise HarnessError(f"the grading secret {path} is empty; restore it from your backup "
                           "(harness secret import FILE), or delete it only if no bundle was sent yet")
    return value.encode("utf-8")


def refuse_if_secret_lost() -> None:
    """Missing secret + issued bundles: making a new one would orphan them all, so stop and say how to fix it."""
    if current_secret() is not None:
        return
    issued = list_bundles()
    if issued:
        raise HarnessError(
            f"the grading secret is missing ({secret_path()} does not exist, {SECRET_ENV} is not set) and "
            f"{len(issued)} bundle(s) in {registry_path()} depend on it: restore it with "
            f"`harness secret import BACKUP_FILE` or set {SECRET_ENV}; a new secret would leave them unverifiable")


def load_secret() -> bytes:
    """The secret for issuing bundles, created on first use (never while bundles depend on a lost one)."""
    refuse_if_secret_lost()
    if (secret := current_secret()) is not None:
        return secret
    path = secret_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return load_secret()
    except OSError as exc:
        raise HarnessError(f"cannot create the grading secret {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return load_secret()


def grading_secret() -> bytes | None:
    """The secret for grading: never created here (a new one verifies nothing); None when there is none."""
    refuse_if_secret_lost()
    return current_secret()


def import_secret(value: bytes, *, force: bool) -> tuple[int, int]:
    """Install `value` as the secret file; returns (bundles it issued, bundles with a recorded fingerprint)."""
    value = value.strip()
    if not value:
        raise HarnessError("the secret to import is empty")
    path = secret_path()
    if path.exists() and path.read_bytes().strip() != value and not force:
        raise HarnessError(f"{path} already holds a different secret; export it first, then import with --force")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, value + b"\n", mode=0o600)
    except OSError as exc:
        raise HarnessError(f"cannot write the grading secret {path}: {exc.strerror}") from None
    recorded = sum(1 for b in list_bundles() if b.secret_fingerprint)
    return recorded - issued_under_other_secrets(value), recorded


def issued_under_other_secrets(secret: bytes) -> int:
    """How many registry bundles a different secret issued (they cannot be verified with this one)."""
    fingerprint = secret_fingerprint(secret)
    return sum(1 for b in list_bundles() if b.secret_fingerprint and b.secret_fingerprint != fingerprint)


def unverified_reason(*, bundle_id: str, secret: bytes) -> str:
    """Why a bundle's data checksums do not match: another secret and an edited bundle.json are told apart
    by the fingerprint the registry recorded when the bundle was issued."""
    issued: BundleInfo | None = find_bundle(bundle_id)
    if issued is None or not issued.secret_fingerprint:
        return (f"bundle {bundle_id} is not in this grader's registry with a secret fingerprint, so the cause cannot "
                "be told: a different grading secret, or an edited bundle.json")
    if issued.secret_fingerprint != secret_fingerprint(secret):
        return (f"bundle {bundle_id} was issued under a different grading secret (fingerprint "
                f"{issued.secret_fingerprint}; the current one is {secret_fingerprint(secret)}): restore that "
                "secret (harness secret import) and grade again")
    return (f"bundle.json was edited: bundle {bundle_id} was issued under the current grading secret, but its "
            "data checksums differ from what that secret regenerates")


def variant_seed(*, exercise_id: str, bundle_id: str, secret: bytes) -> int:
    """A 63-bit seed; the ':' keeps ('ab', 'c') and ('a', 'bc') apart."""
    digest = hmac.new(secret, f"{exercise_id}:{bundle_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
