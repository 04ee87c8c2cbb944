"""A Docker engine of the test's own: a second dockerd with its own data root, exec root, pid file, config and
socket, no bridge and no iptables rules, stopped by its own pid (never the shared engine).

With `masked` folders it runs in a mount namespace of its own where each of them is an empty tmpfs: the
grader's checkout, home and temp folders do not exist for it, so a bind mount of a host path cannot work by
accident, as on a remote engine. Its root must then lie outside every masked folder. Its data root is then a
tmpfs of that namespace too: it vanishes with the engine (deleting the ~1 GB image's files from disk took
about two minutes on a busy machine), so such an engine cannot be restarted with its images.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from conftest import cannot_run, missing

START_SECONDS = 60


class OwnEngine:
    def __init__(self, root: Path, *, masked: tuple[Path, ...] = ()) -> None:
        self.root = root
        self.socket = root / "docker.sock"      # unix socket paths are limited to 107 bytes: keep root short
        self.url = f"unix://{self.socket}"
        self.masked = masked
        self.process: subprocess.Popen | None = None
        if any(root.is_relative_to(folder) for folder in masked):
            raise ValueError(f"the engine's root {root} would be hidden by its own masks")

    def command(self) -> list[str]:
        (self.root / "daemon.json").write_text("{}")   # not the shared engine's /etc/docker/daemon.json
        dockerd = ["dockerd", "--config-file", str(self.root / "daemon.json"), "--data-root", str(self.root / "data"),
                   "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "dockerd.pid"),
                   "-H", self.url, "--bridge", "none", "--iptables=false", "--ip6tables=false"]
        if not self.masked:
            return dockerd
        (self.root / "data").mkdir(exist_ok=True)
        mounts = "; ".join([*(f"mount -t tmpfs -o size=64m,mode=0700 takehome-mask {shlex.quote(str(folder))}"
                              for folder in self.masked),
                            f"mount -t tmpfs -o mode=0710 takehome-engine-data {shlex.quote(str(self.root / 'data'))}"])
        # exec: the pid we hold is dockerd's own, so stop() signals the daemon itself
        return ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
                f"{mounts}; exec {shlex.join(dockerd)}"]

    def start(self) -> None:
        with (self.root / "dockerd.log").open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=log)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the test's dockerd exited: {(self.root / 'dockerd.log').read_text()[-2000:]}")
            if subprocess.run(["docker", "-H", self.url, "info"], capture_output=True).returncode == 0:
                return
            time.sleep(0.5)
        pytest.fail(f"the test's dockerd did not answer within {START_SECONDS} s")

    def stop(self) -> None:
        """What `systemctl stop docker` does: SIGTERM to the daemon, by its own pid."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def client(self):
        import docker

        return docker.DockerClient(base_url=self.url, timeout=30)


def require_a_second_engine() -> None:
    """Cannot run (skip; fail under CI=true) unless the shared engine, root, dockerd and the sandbox image are here."""
    from takehome_harness.harness.sandbox.image import image_tag

    if missing("docker"):
        cannot_run("no Docker engine is reachable")
    if os.geteuid() != 0 or not shutil.which("dockerd") or not shutil.which("unshare"):
        cannot_run("a second dockerd cannot be started (needs root, dockerd and unshare)")
    if subprocess.run(["docker", "image", "inspect", image_tag()], capture_output=True).returncode != 0:
        cannot_run(f"the sandbox image {image_tag()} is not built (.ci/run builds it: harness sandbox build --offline)")


def started_engine(parent: str, *, masked: tuple[Path, ...] = ()) -> OwnEngine:
    """A running engine of our own under a fresh folder in `parent`, with the sandbox image copied into it
    from the shared engine through both engines' APIs."""
    from takehome_harness.harness.sandbox.docker_backend import connect_engine, copy_image

    engine = OwnEngine(Path(tempfile.mkdtemp(prefix="harness-engine-", dir=parent)), masked=masked)
    try:
        engine.start()
        target = engine.client()
        try:
            copy_image(source=connect_engine(), target=target, progress=lambda _: None)
        finally:
            target.close()
    except BaseException:
        stop_and_remove(engine)
        raise
    return engine


def stop_and_remove(engine: OwnEngine) -> None:
    engine.stop()
    shutil.rmtree(engine.root, ignore_errors=True)


def containers_on(engine: OwnEngine) -> list:
    from takehome_harness.harness.sandbox.image import LABEL

    client = engine.client()
    try:
        # sparse: no inspect per container, which fails when one is removed in between
        return client.containers.list(all=True, filters={"label": LABEL}, sparse=True)
    finally:
        client.close()
