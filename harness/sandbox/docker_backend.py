"""Everything that talks to the Docker engine (the only module that does): building and importing the
sandbox image, its status, prune, and running the notebook runner in a locked-down container.
What goes into the image, without the engine, is harness/sandbox/image.py.

Hardening of a run, all on `containers.create` (never `run`, which would try to pull): no network, memory with
swap equal to it, CPU quota, pids limit, read-only root, sized tmpfs for the working folder, /tmp and
HOME, all capabilities dropped, no-new-privileges, a non-root uid, our own non-dumpable init as pid 1
(harness/sandbox/container_init.py), ulimits, capped logs, optional runtime (e.g. runsc for gVisor).
The host enforces the overall deadline with its own timer and kill().

What the container can write on the host: only the result files the host created in out/ (each capped
by the fsize ulimit); the submission comes in read-only and is copied into the /work tmpfs.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from takehome_harness.harness.errors import HarnessError, SandboxLost, SandboxUnavailable
from takehome_harness.harness.ownership import current_owner, owner_is_gone
from takehome_harness.harness.sandbox.backend import (HOST_GRACE_SECONDS, LEGACY_PATH, MB, BackendRun, BackendSpec,
                                                      BackendStatus, Progress)
from takehome_harness.harness.sandbox.environment import sandbox_environment, thread_count
from takehome_harness.harness.sandbox.image import (BASE_REPOSITORY, ENV_REPOSITORY, LABEL, OFFLINE_BASE, REPOSITORY,
                                                    SANDBOX_UID, build_args, debootstrap_rootfs, env_build_context,
                                                    env_tag, image_tag, scripts_build_context, wheelhouse)
from takehome_harness.harness.sandbox.result import Limits
from takehome_harness.harness.sandbox.run_protocol import RESULT_FILES
from takehome_harness.harness.sandbox.workspace import Workspace

HOME = "/home/sandbox"
WORK = "/work"
INPUT = "/harness-in"
SUBMISSION = f"{INPUT}/submission"      # root-owned, read-only to the sandbox uid
INPUT_READY = f"{INPUT}/ready"          # put last: the submission and the data are all there
OUT = "/harness-out"
DATA = f"{WORK}/data"
IMAGE_PATH = "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin"
LOG_TAIL_LINES = 60
ENGINE_STOPPED = "the Docker engine stopped during the run"
OWNER_LABEL = f"{LABEL}.owner"    # takehome_harness.harness.ownership.current_owner() of the grading process
WORKSPACE_LABEL = f"{LABEL}.workspace"    # the run's temp folder on the grading machine (which run it is)



# Inside one_engine_connection(): the client each process keeps, by (pid, DOCKER_HOST). The pid is in the key
# because a batch's workers are forked inside it: a child must never use its parent's client (their pooled
# sockets are the same connections), so it makes its own.
_kept_clients: dict[tuple[int, str | None], Any] | None = None


@contextlib.contextmanager
def one_engine_connection() -> Iterator[None]:
    """Within, each process connects to the engine once: the leftover sweep, every grade's sandbox and the checks
    for a stopping engine share that client (a grade used to make three). Closed on the way out."""
    global _kept_clients
    if _kept_clients is not None:   # already inside one
        yield
        return
    _kept_clients = {}
    try:
        yield
    finally:
        kept, _kept_clients = _kept_clients, None
        for (pid, _), client in kept.items():
            if pid == os.getpid():
                client.close()


def connect_engine(base_url: str | None = None) -> Any:
    """The engine at base_url, else the one DOCKER_HOST names (the default socket if unset); inside
    one_engine_connection() the client this process already has, after checking that the engine still answers."""
    import docker

    key = (os.getpid(), os.environ.get("DOCKER_HOST"))
    kept = _kept_clients if base_url is None else None
    client = kept.get(key) if kept is not None else None
    try:
        if client is None:
            client = docker.DockerClient(base_url=base_url, timeout=30) if base_url else docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise SandboxUnavailable(
            f"no Docker engine is reachable ({type(exc).__name__}); start Docker, or grade with --sandbox local "
            "(no isolation)") from None
    if kept is not None:
        kept[key] = client
    return client


def release_engine(client: Any) -> None:
    """Done with a client from connect_engine: closed, unless one_engine_connection() keeps it for the next use."""
    if not _kept_clients or client not in _kept_clients.values():
        client.close()


def accepts_new_connections(client: Any) -> bool:
    """Asked on a new connection: a stopping engine closes its socket first (then stops its containers) but
    still answers on connections already open, such as the client's pool. So the client's idle pooled
    connections are closed first (a request still streaming keeps its own) and the ping opens a new one."""
    for adapter in client.api.adapters.values():
        for pools in (getattr(adapter, "pools", None), getattr(adapter, "poolmanager", None)):
            if pools is not None:
                pools.clear()
    try:
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - refused, reset or timed out: not accepting
        return False


def ensure_image(client: Any, *, progress: Progress) -> str:
    """The current image, built if missing: from the registry if possible, else the offline way."""
    tag = image_tag()
    if _has_image(client, tag):
        return tag
    progress(f"the sandbox image {tag} is missing; building it")
    try:
        return build_image(client, offline=False, progress=progress)
    except HarnessError as online_failure:
        progress(f"online build failed ({online_failure}); building offline")
        return build_image(client, offline=True, progress=progress)


def _has_image(client: Any, tag: str) -> bool:
    """One inspect of the tag: listing images by name makes the engine scan all of them (20-50 ms on an engine
    with 180 images, against 2 ms), and every grade asks."""
    import docker.errors

    try:
        client.api.inspect_image(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def offline_base_image(client: Any, *, progress: Progress) -> str:
    """A Debian bookworm image with python3, made with debootstrap (no registry), cached in the engine."""
    if _has_image(client, OFFLINE_BASE):
        progress(f"using cached base image {OFFLINE_BASE}")
        return OFFLINE_BASE
    with debootstrap_rootfs(progress=progress) as rootfs:
        progress(f"importing it as {OFFLINE_BASE}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            repository, tag = OFFLINE_BASE.split(":")
            client.api.import_image(src=tar.stdout, repository=repository, tag=tag, stream_src=True,
                                    changes=[f"LABEL {LABEL}=1"])
        finally:
            tar.stdout.close()
            tar.wait()
    return OFFLINE_BASE


def build_image(client: Any, *, offline: bool, progress: Progress, base_image: str | None = None) -> str:
    """Build the sandbox image unless the engine already has it; return its tag. Its environment (packages,
    user) is built only when missing; the scripts go on top as one small layer."""
    tag = image_tag()
    if _has_image(client, tag):
        progress(f"{tag} is already built")
        return tag
    environment = _environment_image(client, offline=offline, progress=progress, base_image=base_image)
    with scripts_build_context() as ctx:
        _build(client, ctx, tag=tag, buildargs={"ENV_IMAGE": environment}, network="none", progress=progress)
    return tag


def _environment_image(client: Any, *, offline: bool, progress: Progress, base_image: str | None) -> str:
    tag = env_tag()
    if _has_image(client, tag):
        progress(f"using the sandbox environment {tag}")
        return tag
    wheels = wheelhouse(progress=progress) if offline else None
    base = base_image or (offline_base_image(client, progress=progress) if offline else "python:3.11-slim")
    with env_build_context(wheels=wheels) as ctx:
        progress(f"building the environment from {base}")
        # Offline, no step needs a network (and the engine's default bridge may not even exist).
        _build(client, ctx, tag=tag, buildargs=build_args(base=base, offline=offline),
               network="none" if offline else None, progress=progress)
    return tag


def _build(client: Any, context: Path, *, tag: str, buildargs: dict[str, str], network: str | None,
           progress: Progress) -> None:
    import docker.errors

    progress(f"building {tag}")
    try:
        for chunk in client.api.build(path=str(context), tag=tag, buildargs=buildargs, rm=True, forcerm=True,
                                      pull=False, decode=True, labels={LABEL: "1"}, network_mode=network):
            if "error" in chunk:
                raise HarnessError(f"building the sandbox image failed: {chunk['error'].strip()}")
            line = chunk.get("stream", "").strip()
            if line.startswith("Step ") or line.startswith("Successfully"):
                progress(line)
    except docker.errors.APIError as exc:
        raise SandboxUnavailable(f"the Docker engine refused the build: {exc.explanation or exc}") from None


def copy_image(*, source: Any, target: Any, progress: Progress) -> str:
    """The current sandbox image from one engine into another (docker save | docker load, streamed through
    both engines' APIs): for an engine that cannot build it, e.g. one without a registry or a debootstrap host.
    A no-op when the target has it."""
    import docker.errors

    tag = image_tag()
    if _has_image(target, tag):
        progress(f"{tag} is already on the target engine")
        return tag
    if not _has_image(source, tag):
        raise HarnessError(f"the source engine does not have {tag} either: build it there first "
                           "(harness sandbox build --offline)")
    progress(f"copying {tag} to the target engine")
    try:
        target.images.load(source.api.get_image(tag))
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(f"copying the sandbox image failed: {exc}") from None
    return tag


@dataclass
class ImageStatus:
    engine: str                     # engine version
    expected_tag: str
    present: bool
    other_tags: list[str]           # older sandbox images (stale after a change)
    packages: dict[str, str]        # name -> version inside the image (from its requirements.lock)


def image_status(client: Any) -> ImageStatus:
    tag = image_tag()
    tags = sorted({t for image in client.images.list(name=REPOSITORY) for t in image.tags})
    present = tag in tags
    packages = _packages_in(client, tag) if present else {}
    return ImageStatus(engine=client.version().get("Version", "?"), expected_tag=tag,
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


def prune(client: Any, *, images: bool, everything: bool = False) -> PruneReport:
    """Remove labelled containers and stale sandbox images.

    Unless `everything`, a container is kept while its grader lives, whatever its state (before it starts it
    is being filled through the API, after it stops its results are being fetched), and so is a running one
    that names no grader.
    Stale images are older tags of the sandbox, its environment and the offline base image, and the dangling
    intermediate image an offline build leaves (labelled).
    """
    removed_containers, removed_images = 0, []
    import docker.errors

    for container in _listed(client, LABEL):
        owner = _owner(container)
        if everything or owner_is_gone(owner) or (not owner and container.status != "running"):
            try:
                container.remove(force=True, v=True)
                removed_containers += 1
            except docker.errors.APIError:   # its grader removed it at the same moment
                pass
    if images:
        removed_images = _remove_stale_images(client)
    return PruneReport(containers=removed_containers, images=removed_images)


def _listed(client: Any, label: str) -> list[Any]:
    """Containers with `label`, from the listing alone: a full listing inspects each one and fails with
    NotFound when another grader removes one in between."""
    return client.containers.list(all=True, filters={"label": label}, sparse=True)


def _owner(container: Any) -> str:
    return (container.attrs.get("Labels") or {}).get(OWNER_LABEL, "")


def remove_abandoned_containers() -> int:
    """Remove sandbox containers whose grading process is gone (engine crash, SIGKILL, reboot), never one of a
    grader that still runs or of another host; without a reachable engine there is nothing to do."""
    import docker.errors

    try:
        client = connect_engine()
    except SandboxUnavailable:
        return 0
    removed = 0
    for container in _listed(client, OWNER_LABEL):
        if owner_is_gone(_owner(container)):
            try:
                container.remove(force=True, v=True)
                removed += 1
            except docker.errors.APIError:  # removed by another sweep at the same moment
                pass
    release_engine(client)
    return removed


def _remove_stale_images(client: Any) -> list[str]:
    import docker.errors

    found = [ImageEntry(id=image.id, tags=tuple(image.tags))
             for repository in (REPOSITORY, ENV_REPOSITORY, BASE_REPOSITORY)
             for image in client.images.list(name=repository)]
    found += [ImageEntry(id=image.id, tags=()) for image in client.images.list(filters={"dangling": True,
                                                                                       "label": LABEL})]
    removed = []
    for entry in stale_images(found, current={image_tag(), env_tag(), OFFLINE_BASE}):
        try:
            client.images.remove(entry.id, force=True)
        except docker.errors.APIError:   # still the parent of another image (an older sandbox on this engine)
            continue
        removed.extend(entry.tags or [f"<dangling {entry.id.removeprefix('sha256:')[:12]}>"])
    return removed


@dataclass(frozen=True)
class ImageEntry:
    id: str
    tags: tuple[str, ...]


def stale_images(found: list[ImageEntry], *, current: set[str]) -> list[ImageEntry]:
    """The images prune removes: each one once, unless one of its tags is current (untagged ones are dangling)."""
    seen, stale = set(), []
    for entry in found:
        if entry.id not in seen and not current & set(entry.tags):
            seen.add(entry.id)
            stale.append(entry)
    return stale


def container_options(*, limits: Limits, runtime: str | None) -> dict[str, Any]:
    """Everything that locks the container down, as keyword arguments for containers.create."""
    from docker.types import LogConfig, Ulimit

    memory = f"{limits.memory_mb}m"
    file_size = limits.file_size_mb * MB
    options: dict[str, Any] = dict(
        user=f"{SANDBOX_UID}:{SANDBOX_UID}",
        network_mode="none",
        mem_limit=memory,
        memswap_limit=memory,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        read_only=True,
        # tmpfs pages count against the memory limit: a flood ends as ENOSPC or a contained OOM
        tmpfs={"/tmp": f"size={limits.tmpfs_mb}m,mode=1777",
               HOME: f"size={limits.tmpfs_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700",
               WORK: f"size={limits.tmpfs_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        init=False,   # Docker's init could be ptraced into a forged exit code: ours is pid 1 (see the command)
        ipc_mode="private",
        ulimits=[Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="fsize", soft=file_size, hard=file_size),
                 Ulimit(name="core", soft=0, hard=0)],
        log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
        environment=sandbox_environment(home=HOME, tmp="/tmp", cpus=limits.cpus, path=IMAGE_PATH),
        labels={LABEL: "1", OWNER_LABEL: current_owner()},
        stdin_open=False,
        detach=True,
    )
    if runtime:
        options["runtime"] = runtime
    return options


class _PeakMemory(threading.Thread):
    """Best effort: the engine's memory statistics of the container while it runs (about one sample a second;
    cgroup v1 reports the peak so far, v2 only the current use). From the engine, so a remote one works too."""

    def __init__(self, client: Any, container_id: str) -> None:
        super().__init__(daemon=True)   # the stream ends when the container goes; nothing waits for it
        self.client, self.container_id = client, container_id
        self.peak = 0

    def run(self) -> None:
        try:
            for sample in self.client.api.stats(self.container_id, stream=True, decode=True):
                memory = sample.get("memory_stats") or {}
                self.peak = max(self.peak, memory.get("max_usage", 0), memory.get("usage", 0))
        except Exception:  # noqa: BLE001 - the container (or the engine) went away: the peak so far stands
            pass


def _tar_of(folder: Path, *, dest: Path, file_mode: int, dir_mode: int, under: str | None = None,
            last: str | None = None) -> Path:
    """A tar (written to `dest`) of folder's regular files and folders (in a folder `under`, if given), owned by
    root with these modes: the sandbox uid can read them and change nothing. Links are left out, never followed
    on the host (in generic mode the data folder is the submission's own). `last`: an empty file after all of
    them, read-only too (members are extracted in order, so once it exists the rest is complete)."""
    def as_root(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if not (info.isreg() or info.isdir()):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode = dir_mode if info.isdir() else file_mode
        return info

    with tarfile.open(dest, "w") as tar:
        if under is not None:
            tar.add(folder, arcname=under, recursive=False, filter=as_root)
        for child in sorted(folder.iterdir()):
            tar.add(child, arcname=f"{under}/{child.name}" if under else child.name, filter=as_root)
        if last is not None:
            sign = tarfile.TarInfo(last)
            sign.mode, sign.mtime = 0o444, int(time.time())
            tar.addfile(sign)
    return dest


def _data_tar(data_dir: Path, *, ready: Callable[[], None] | None, dest: Path) -> Path:
    if ready is not None:
        ready()
    return _tar_of(data_dir.resolve(), dest=dest, file_mode=0o444, dir_mode=0o555)


class DockerSandbox:
    """A connection to the engine with the current image present; prepares any number of runs.

    Nothing of the host's file system is mounted, so the engine may be another machine (DOCKER_HOST): the
    submission and the data go into the container's own volumes with put_archive, and the results come back with
    get_archive. The empty result files are in the image (scripts.Dockerfile); the engine copies them into the
    new OUT volume.
    """

    def __init__(self, client: Any, image: str, *, progress: Progress, runtime: str | None) -> None:
        self.client, self.image, self.progress, self.runtime = client, image, progress, runtime

    def prepare(self, ws: Workspace, *, data_dir: Path | None, limits: Limits, legacy: bool = False,
                data_ready: Callable[[], None] | None = None) -> DockerRun:
        """The container, created with its volumes (OUT's holds the empty result files); the data and then the
        submission (packed here, with the ready sign last) are put in by run() once the container has started,
        while the kernel starts (and the grader may still be writing the data: `data_ready` is called only then)."""
        command = ["python", "/opt/harness/container_init.py",
                   "python", "/opt/harness/runner.py", "--container", "--input", SUBMISSION, "--work", WORK,
                   "--notebook", ws.notebook_rel, "--out", OUT, "--hook", "/opt/harness/kernel_hook.py",
                   "--input-ready", INPUT_READY,
                   "--cell-seconds", str(limits.cell_seconds), "--total-seconds", str(limits.total_seconds),
                   "--output-bytes", str(limits.output_mb * MB),
                   *(["--legacy", f"/opt/harness/{LEGACY_PATH.name}"] if legacy else [])]
        targets = [INPUT, OUT] + ([DATA] if data_dir is not None else [])
        options = container_options(limits=limits, runtime=self.runtime)
        options["labels"][WORKSPACE_LABEL] = str(ws.root)
        run = DockerRun(self, ws, limits=limits)
        with _engine_errors(self.client):
            try:
                run.container = self.client.containers.create(
                    self.image, command, mounts=[_volume(target) for target in targets], working_dir=WORK, **options)
                if data_dir is not None:
                    run.inputs.append((DATA, lambda: _data_tar(data_dir, ready=data_ready, dest=ws.root / "data.tar")))
                run.inputs.append((INPUT, lambda: _tar_of(ws.input, dest=ws.root / "input.tar", file_mode=0o644,
                                                          dir_mode=0o755, under=Path(SUBMISSION).name,
                                                          last=Path(INPUT_READY).name)))
            except BaseException:
                run.clean_up()
                raise
        return run


def _volume(target: str) -> Any:
    """An anonymous volume of the container (removed with it), on the engine's side: empty and root-owned, except
    OUT's, which starts as a copy of the image's: the empty result files the sandbox uid may write, but not chmod,
    move or remove, nor add to (the engine copies them, which costs less than putting them in)."""
    from docker.types import Mount

    return Mount(target=target, source=None, type="volume", no_copy=target != OUT, labels={LABEL: "1"})


@contextlib.contextmanager
def _engine_errors(client: Any) -> Iterator[None]:
    """An engine that stopped is SandboxLost (the batch stops, a re-run resumes); one that refused is unavailable."""
    import docker.errors

    try:
        yield
    except SandboxLost:
        raise
    except Exception as exc:
        if not accepts_new_connections(client):
            raise SandboxLost(ENGINE_STOPPED) from None
        if isinstance(exc, docker.errors.APIError):
            raise SandboxUnavailable(f"the Docker engine could not run the sandbox: {exc.explanation or exc}") from None
        raise


class DockerRun:
    def __init__(self, sandbox: DockerSandbox, ws: Workspace, *, limits: Limits) -> None:
        self.sandbox, self.ws, self.limits = sandbox, ws, limits
        self.container: Any = None
        self.inputs: list[tuple[str, Callable[[], Path]]] = []   # (where in the container, makes the tar of what goes there)

    def run(self) -> BackendRun:
        limits, container = self.limits, self.container
        self.sandbox.progress(f"starting the sandbox ({self.sandbox.image}, {limits.memory_mb} MB, "
                              f"{thread_count(limits.cpus)} CPU, {limits.total_seconds} s)")
        started = time.monotonic()
        killed = threading.Event()
        with _engine_errors(self.sandbox.client):
            timer = threading.Timer(limits.total_seconds + HOST_GRACE_SECONDS, _kill, (container, killed))
            timer.daemon = True
            container.start()
            timer.start()
            peak = _PeakMemory(self.sandbox.client, container.id)
            peak.start()
            try:
                self._put_inputs()
                exit_code = container.wait()["StatusCode"]
            finally:
                timer.cancel()
            if not accepts_new_connections(self.sandbox.client):  # a stopping engine stops its containers too
                raise SandboxLost(ENGINE_STOPPED)
            wall = time.monotonic() - started
            container.reload()
            oom_killed = bool(container.attrs["State"].get("OOMKilled"))
            log = self.ws.root / "runner.log"
            log.write_bytes(container.logs(stdout=True, stderr=True, tail=LOG_TAIL_LINES))
        return BackendRun(backend=BACKEND.name, isolated=True, exit_code=exit_code, deadline_hit=killed.is_set(),
                          oom_killed=oom_killed, wall_seconds=wall, peak_memory_mb=peak.peak / MB or None,
                          log_path=log, image=self.sandbox.image)

    def _put_inputs(self) -> None:
        """The data, then the submission with the sign that both are complete (the runner reads nothing before it)
        into the started container's volumes: the kernel starts meanwhile."""
        for path, make_tar in self.inputs:
            tar = make_tar()
            with open(tar, "rb") as handle:
                if not self.container.put_archive(path, handle):
                    raise SandboxUnavailable(f"the Docker engine did not accept the files for {path}")
            tar.unlink()

    def collect(self) -> list[str]:
        """The result files from the stopped container into ws.out, through the engine: all of them in one
        archive of OUT as it streams (one round trip, not four), and file by file whatever that archive did not
        give cleanly (a file over the cap, or not a regular file: the candidate's code may have made either). A
        file over the most that run.py could use (output_mb, a third more for base64) is not transferred: reading
        the archive stops at its header (what is in flight, a chunk or two, is dropped)."""
        cap = self.limits.output_mb * MB * 4 // 3 + 64 * 1024
        warnings = []
        with _engine_errors(self.sandbox.client):
            stream, _ = self.container.get_archive(OUT)
            try:
                found = _result_files_of(stream, cap=cap)
            finally:
                stream.close()
            for name in RESULT_FILES:
                data = found.get(name)
                if data is None:
                    data = self._one_file(name, cap=cap, warnings=warnings)
                if data is not None:
                    (self.ws.out / name).write_bytes(data)
        return warnings

    def _one_file(self, name: str, *, cap: int, warnings: list[str]) -> bytes | None:
        stream, info = self.container.get_archive(f"{OUT}/{name}")
        if info["size"] > cap:
            stream.close()
            warnings.append(f"ignored {name}: {name} is {info['size']} bytes, over the {cap}-byte cap")
            return None
        data = _single_file(b"".join(stream), name=name, max_bytes=cap)
        if data is None:
            warnings.append(f"ignored {name}: it is not a regular file")
        return data

    def clean_up(self) -> None:
        if self.container is not None:
            try:
                self.container.remove(force=True, v=True)   # v: its volumes too
            except Exception:  # noqa: BLE001 - a container already removed is the goal; prune catches the rest
                pass
            self.container = None


class _ChunkReader(io.RawIOBase):
    """The engine's archive stream (an iterator of byte chunks) as a file, so tarfile can read it as it arrives."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            self.pending = next(self.chunks, b"")
            if not self.pending:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


def _result_files_of(stream: Iterator[bytes], *, cap: int) -> dict[str, bytes]:
    """{name: content} of the result files in an archive of OUT, read in order until the first member that is not
    a result file, not a regular file, or over the cap: reading stops there."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(stream)), mode="r|") as tar:
            for member in tar:
                name = member.name.partition("/")[2]
                if member.isdir() and not name:
                    continue        # OUT itself
                if name not in RESULT_FILES or name in found or not member.isreg() or member.size > cap:
                    break
                found[name] = tar.extractfile(member).read()
    except tarfile.TarError:    # a cut stream: what was read whole stands, the rest is fetched file by file
        pass
    return found


def _single_file(archive: bytes, *, name: str, max_bytes: int) -> bytes | None:
    """The one regular file `name` in a get_archive tar (untrusted: anything else, or more, is refused)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        members = tar.getmembers()
        if len(members) != 1 or members[0].name != name or not members[0].isreg() or members[0].size > max_bytes:
            return None
        return tar.extractfile(members[0]).read()


def _kill(container: Any, killed: threading.Event) -> None:
    killed.set()
    try:
        container.kill()
    except Exception:  # already gone: the run ended on its own at the same moment
        pass


def connect(*, progress: Progress, runtime: str | None = None) -> DockerSandbox:
    """The engine DOCKER_HOST (or the default socket) names, with the current image (built if missing)."""
    client = connect_engine()
    return DockerSandbox(client, ensure_image(client, progress=progress), progress=progress, runtime=runtime)


def status() -> BackendStatus:
    try:
        client = connect_engine()
    except SandboxUnavailable as exc:
        return BackendStatus(available=False, summary=str(exc), details=[("image", f"{image_tag()} (not checked)")])
    info = image_status(client)
    state = "present" if info.present else "missing (run: harness sandbox build [--offline])"
    details = [("engine", os.environ.get("DOCKER_HOST", "the default socket (DOCKER_HOST unset)")), ("image", f"{info.expected_tag} {state}")]
    if info.other_tags:
        details.append(("stale", f"{', '.join(info.other_tags)} (harness sandbox prune removes them)"))
    # not present is still usable: the first grade builds it
    return BackendStatus(available=True, summary=f"Docker {info.engine}", details=details,
                         packages=info.packages)


BACKEND = BackendSpec(name="docker", isolated=True, connect=connect, status=status, auto_rank=0,
                      description="locked-down container on the engine DOCKER_HOST names (the default socket if unset)")
