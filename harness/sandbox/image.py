"""What goes into the sandbox image, without the engine: its content-hash tags, the build contexts, the
host wheelhouse and the debootstrap root filesystem of the offline base image.

The image is built in two steps, so that the scripts that change often cost seconds, not minutes:
`takehome-sandbox-env:<hash12>` (Dockerfile: base, pinned packages, user; over the Dockerfile and the lock file)
and on top of it `takehome-sandbox:<hash12>` (scripts.Dockerfile: runner, container init, kernel hook in one
last layer; over every file of both). An image built from older files is never used silently: a change means a
new tag. Everything here ships inside the package, so a wheel builds the image outside any checkout. Building,
importing, inspecting and removing images is engine work: harness/sandbox/docker_backend.py.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import platformdirs

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.sandbox.backend import (HOOK_PATH, INIT_PATH, LEGACY_PATH, PROTOCOL_PATH, RUNNER_PATH,
                                                       Progress)
from takehome_harness.harness.sandbox.packages import LOCK_PATH, PYTHON_VERSION
from takehome_harness.harness.user_dirs import APP_NAME

REPOSITORY = "takehome-sandbox"
ENV_REPOSITORY = "takehome-sandbox-env"
LABEL = "takehome-harness"
SANDBOX_UID = 10001
SANDBOX_DIR = Path(__file__).parent
ENV_DOCKERFILE = SANDBOX_DIR / "Dockerfile"
SCRIPTS_DOCKERFILE = SANDBOX_DIR / "scripts.Dockerfile"
# libgomp1 is the OpenMP runtime lightgbm (and xgboost) load; the tag names the package list, so a cached base
# image made from a shorter list is never reused.
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "libgomp1")
BASE_REPOSITORY = "takehome-sandbox-base"
OFFLINE_BASE = (f"{BASE_REPOSITORY}:bookworm-"
                f"{hashlib.sha256(','.join(BASE_PACKAGES).encode()).hexdigest()[:8]}")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "any")


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "sandbox"


def _image_scripts() -> list[Path]:
    """What the image gets in /opt/harness/ (harness-sandbox/ in the build context)."""
    return [RUNNER_PATH, PROTOCOL_PATH, INIT_PATH, HOOK_PATH, LEGACY_PATH]


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def env_tag() -> str:
    return f"{ENV_REPOSITORY}:{_digest([ENV_DOCKERFILE, LOCK_PATH])}"


def image_tag() -> str:
    return f"{REPOSITORY}:{_digest([ENV_DOCKERFILE, LOCK_PATH, SCRIPTS_DOCKERFILE, *_image_scripts()])}"


def lock_hash() -> str:
    return hashlib.sha256(LOCK_PATH.read_bytes()).hexdigest()[:12]


def _run(command: list[str], *, progress: Progress, what: str) -> None:
    progress(what)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise HarnessError(f"{what} failed: {' | '.join(tail)}")


def wheelhouse(*, progress: Progress) -> Path:
    """Wheels for every pinned package (CPython 3.11, manylinux x86_64), cached per lock file."""
    folder = cache_dir() / f"wheelhouse-{lock_hash()}"
    if (folder / ".complete").is_file():
        progress(f"using cached wheelhouse {folder}")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d", str(folder),
          "--only-binary=:all:", "--python-version", PYTHON_VERSION, *platforms, "--no-deps", "-r", str(LOCK_PATH)],
         progress=progress, what="downloading wheels for the sandbox on the host")
    (folder / ".complete").touch()
    return folder


@contextmanager
def debootstrap_rootfs(*, progress: Progress) -> Iterator[Path]:
    """A Debian bookworm root filesystem with python3 (no registry needed), removed afterwards."""
    if shutil.which("debootstrap") is None:
        raise HarnessError("--offline needs debootstrap to make the base image (apt-get install debootstrap)")
    rootfs = Path(tempfile.mkdtemp(prefix="takehome-sandbox-rootfs-"))
    try:
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", "bookworm",
              str(rootfs), DEBIAN_MIRROR], progress=progress,
             what="making a Debian base image with debootstrap (about a minute)")
        yield rootfs
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def build_args(*, base: str, offline: bool) -> dict[str, str]:
    args = {"BASE_IMAGE": base}
    if offline:
        args["PIP_INSTALL_ARGS"] = "--no-index --find-links /build/wheelhouse"
    return args


@contextmanager
def env_build_context(*, wheels: Path | None) -> Iterator[Path]:
    """A temporary folder with the environment's Dockerfile, the lock file and the wheelhouse (if any), made
    next to the wheelhouse so its wheels can be hard-linked rather than copied."""
    with tempfile.TemporaryDirectory(prefix="takehome-sandbox-context-", dir=wheels.parent if wheels else None) as ctx:
        dest = Path(ctx)
        shutil.copy(ENV_DOCKERFILE, dest / "Dockerfile")
        shutil.copy(LOCK_PATH, dest / "requirements.lock")
        (dest / "wheelhouse").mkdir()
        for wheel in (wheels.glob("*.whl") if wheels else []):
            # Hard links keep a 100+ MB wheelhouse from being copied for every build.
            try:
                (dest / "wheelhouse" / wheel.name).hardlink_to(wheel)
            except OSError:
                shutil.copy(wheel, dest / "wheelhouse" / wheel.name)
        yield dest


@contextmanager
def scripts_build_context() -> Iterator[Path]:
    """A temporary folder with scripts.Dockerfile and the scripts it copies: a few kilobytes to send."""
    with tempfile.TemporaryDirectory(prefix="takehome-sandbox-context-") as ctx:
        dest = Path(ctx)
        shutil.copy(SCRIPTS_DOCKERFILE, dest / "Dockerfile")
        (dest / "harness-sandbox").mkdir()
        for script in _image_scripts():
            shutil.copy(script, dest / "harness-sandbox" / script.name)
        yield dest
