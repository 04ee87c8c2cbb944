"""Per-candidate data variants: seed = HMAC-SHA256(secret, exercise id + bundle id).

The bundle carries only the bundle id, so a candidate cannot regenerate the hidden labels; the
grader, holding the secret, can.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat

from harness.errors import HarnessError
from harness.user_dirs import config_dir

SECRET_ENV = "HARNESS_SECRET"
SECRET_FILE_NAME = "variant-secret"


def secret_path():
    return config_dir() / SECRET_FILE_NAME


def load_secret() -> bytes:
    """The secret from $HARNESS_SECRET, else from a 0600 file in the config dir (created on first use)."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env is not None:
        if not from_env.strip():
            raise HarnessError(f"{SECRET_ENV} is set but empty")
        return from_env.encode("utf-8")
    path = secret_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise HarnessError(f"cannot create the variant secret {path}: {exc.strerror}") from None
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise HarnessError(f"the variant secret {path} is readable by other users; run: chmod 600 {path}")
    value = path.read_text().strip()
    if not value:
        raise HarnessError(f"the variant secret {path} is empty; delete it only if no bundle was sent yet")
    return value.encode("utf-8")


def variant_seed(*, exercise_id: str, bundle_id: str, secret: bytes) -> int:
    """A 63-bit seed; the ':' keeps ('ab', 'c') and ('a', 'bc') apart."""
    digest = hmac.new(secret, f"{exercise_id}:{bundle_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
