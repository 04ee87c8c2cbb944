"""The sandbox image: its content-hash tag, building it (online or fully offline), status and prune.

The tag is `takehome-sandbox:<hash12>` over the Dockerfile, the lock file, the runner and the kernel
hook, so an image built from older files is never used silently: a change means a new tag.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from harness.errors import HarnessError, SandboxUnavailable
from harness.sandbox.backend import HOOK_PATH, INIT_PATH, RUNNER_PATH, Progress
from harness.user_dirs import APP_NAME

REPOSITORY = "takehome-sandbox"
LABEL = "takehome-harness"
SANDBOX_UID = 10001
SANDBOX_DIR = Path(__file__).parent
LOCK_PATH = SANDBOX_DIR / "requirements.lock"
DOCKERFILE_PATH = SANDBOX_DIR.parent.parent / "Dockerfile.sandbox"
OFFLINE_BASE = "takehome-sandbox-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# A grading run touches its temp folder at least this often (the longest sensible total limit).
IN_USE_SECONDS = 2 * 3600
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "any")


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "sandbox"


def _image_inputs() -> list[Path]:
    if not DOCKERFILE_PATH.is_file():
        raise HarnessError(f"{DOCKERFILE_PATH.name} not found next to the harness package: build the sandbox "
                           "from a source checkout of the harness")
    return [DOCKERFILE_PATH, LOCK_PATH, RUNNER_PATH, INIT_PATH] + ([HOOK_PATH] if HOOK_PATH.is_file() else [])


def image_tag() -> str:
    digest = hashlib.sha256()
    for path in _image_inputs():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{REPOSITORY}:{digest.hexdigest()[:12]}"


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
          "--only-binary=:all:", "--python-version", "3.11", *platforms, "--no-deps", "-r", str(LOCK_PATH)],
         progress=progress, what="downloading wheels for the sandbox on the host")
    (folder / ".complete").touch()
    return folder


def offline_base_image(client: Any, *, progress: Progress) -> str:
    """A Debian bookworm image with python3, made with debootstrap (no registry), cached in the engine."""
    if client.images.list(name=OFFLINE_BASE):
        progress(f"using cached base image {OFFLINE_BASE}")
        return OFFLINE_BASE
    if shutil.which("debootstrap") is None:
        raise HarnessError("--offline needs debootstrap to make the base image (apt-get install debootstrap)")
    rootfs = Path(tempfile.mkdtemp(prefix="takehome-sandbox-rootfs-"))
    try:
        _run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv,python3-pip", "bookworm",
              str(rootfs), DEBIAN_MIRROR], progress=progress,
             what="making a Debian base image with debootstrap (about a minute)")
        progress(f"importing it as {OFFLINE_BASE}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            repository, tag = OFFLINE_BASE.split(":")
            client.api.import_image(src=tar.stdout, repository=repository, tag=tag, stream_src=True,
                                    changes=[f"LABEL {LABEL}=1"])
        finally:
            tar.stdout.close()
            tar.wait()
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return OFFLINE_BASE


def _build_context(dest: Path, *, wheels: Path | None) -> None:
    shutil.copy(DOCKERFILE_PATH, dest / "Dockerfile")
    shutil.copy(LOCK_PATH, dest / "requirements.lock")
    (dest / "harness-sandbox").mkdir()
    shutil.copy(RUNNER_PATH, dest / "harness-sandbox" / "runner.py")
    shutil.copy(INIT_PATH, dest / "harness-sandbox" / "container_init.py")
    if HOOK_PATH.is_file():
        shutil.copy(HOOK_PATH, dest / "harness-sandbox" / "kernel_hook.py")
    (dest / "wheelhouse").mkdir()
    for wheel in (wheels.glob("*.whl") if wheels else []):
        # Hard links keep a 100+ MB wheelhouse from being copied for every build.
        try:
            (dest / "wheelhouse" / wheel.name).hardlink_to(wheel)
        except OSError:
            shutil.copy(wheel, dest / "wheelhouse" / wheel.name)


def build_image(client: Any, *, offline: bool, progress: Progress, base_image: str | None = None) -> str:
    """Build the sandbox image unless the engine already has it; return its tag."""
    tag = image_tag()
    if client.images.list(name=tag):
        progress(f"{tag} is already built")
        return tag
    wheels = wheelhouse(progress=progress) if offline else None
    base = base_image or (offline_base_image(client, progress=progress) if offline else "python:3.11-slim")
    buildargs = {"BASE_IMAGE": base}
    if offline:
        buildargs["PIP_INSTALL_ARGS"] = "--no-index --find-links /build/wheelhouse"
    with tempfile.TemporaryDirectory(prefix="takehome-sandbox-context-", dir=wheels.parent if wheels else None) as ctx:
        _build_context(Path(ctx), wheels=wheels)
        progress(f"building {tag} from {base}")
        import docker.errors

        try:
            for chunk in client.api.build(path=ctx, tag=tag, buildargs=buildargs, rm=True, forcerm=True,
                                          pull=False, decode=True, labels={LABEL: "1"}):
                if "error" in chunk:
                    raise HarnessError(f"building the sandbox image failed: {chunk['error'].strip()}")
                line = chunk.get("stream", "").strip()
                if line.startswith("Step ") or line.startswith("Successfully"):
                    progress(line)
        except docker.errors.APIError as exc:
            raise SandboxUnavailable(f"the Docker engine refused the build: {exc.explanation or exc}") from None
    return tag


@dataclass
class ImageStatus:
    engine: str | None              # engine version, None if unreachable
    problem: str | None             # why the engine is unreachable
    expected_tag: str
    present: bool
    other_tags: list[str]           # older sandbox images (stale after a change)
    packages: dict[str, str]        # name -> version inside the image (from its requirements.lock)


def image_status(client: Any | None, problem: str | None = None) -> ImageStatus:
    tag = image_tag()
    if client is None:
        return ImageStatus(engine=None, problem=problem, expected_tag=tag, present=False, other_tags=[], packages={})
    tags = sorted({t for image in client.images.list(name=REPOSITORY) for t in image.tags})
    present = tag in tags
    packages = _packages_in(client, tag) if present else {}
    return ImageStatus(engine=client.version().get("Version", "?"), problem=None, expected_tag=tag,
                       present=present, other_tags=[t for t in tags if t != tag], packages=packages)


def _packages_in(client: Any, tag: str) -> dict[str, str]:
    """Ask the image itself (pip's view, as JSON), in a throw-away container without network."""
    container = client.containers.create(tag, ["python", "-m", "pip", "list", "--format", "json",
                                               "--disable-pip-version-check"],
                                         network_mode="none", labels={LABEL: "1"})
    try:
        container.start()
        container.wait()
        listing = json.loads(container.logs(stdout=True, stderr=False))
        return {item["name"]: item["version"] for item in listing}
    except ValueError:
        return {}
    finally:
        container.remove(force=True)


@dataclass
class PruneReport:
    containers: int
    images: list[str]
    temp_dirs: int


def prune(client: Any | None, *, images: bool, everything: bool = False) -> PruneReport:
    """Remove labelled containers, stale sandbox images and leftover temp folders.

    Unless `everything`, what may belong to a grading run still in progress (a running container or
    a temp folder touched within IN_USE_SECONDS) is kept.
    """
    from harness.sandbox.workspace import TEMP_PREFIX

    removed_containers, removed_images = 0, []
    if client is not None:
        for container in client.containers.list(all=True, filters={"label": LABEL}):
            if everything or container.status != "running":
                container.remove(force=True)
                removed_containers += 1
        if images:
            current = image_tag()
            for found in client.images.list(name=REPOSITORY):
                if current not in found.tags:
                    client.images.remove(found.id, force=True)
                    removed_images.extend(found.tags)
    temp_dirs = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        if everything or time.time() - folder.stat().st_mtime > IN_USE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            temp_dirs += 1
    return PruneReport(containers=removed_containers, images=removed_images, temp_dirs=temp_dirs)
