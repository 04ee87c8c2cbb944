"""What the grading benchmarks share: a grader with its own HARNESS_HOME and secret, a verified bundle of the
churn exercise, submissions made from it, the `grade` command as a child process, a plain nbclient run of a
notebook (the floor), and the peak RSS of a process tree (the OS's own accounting, containers excluded: they
are children of the engine, not of the grader)."""
from __future__ import annotations

import os
import resource
import secrets
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "exercises" / "churn" / "example_submission" / "notebook.ipynb"
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"
GRADE_SCRIPT = "from takehome_harness.harness.cli import grade_main; grade_main()"  # what the console script runs
# The floor: what running the notebook costs with nothing around it (same interpreter start, same kernel).
FLOOR_SCRIPT = """
import sys, nbformat
from nbclient import NotebookClient
path, folder = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
nbformat.write(nb, path + ".executed.ipynb")
"""


class Grader:
    """A grading setup under `root`: its own HARNESS_HOME, secret, matplotlib config and output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.secret = "benchmark-secret-" + secrets.token_hex(16)
        for name in ("harness_home", "mplconfig", "out"):
            (root / name).mkdir(parents=True, exist_ok=True)

    @property
    def out(self) -> Path:
        return self.root / "out"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        env.update(HARNESS_HOME=str(self.root / "harness_home"), HARNESS_SECRET=self.secret,
                   MPLCONFIGDIR=str(self.root / "mplconfig"))
        return env

    def bundle(self, name: str = "bundle") -> Path:
        """A real churn bundle issued with this grader's secret (so its submissions are verified)."""
        folder = self.root / "bundles" / name
        done = subprocess.run([sys.executable, "-c", "from takehome_harness.harness.cli import harness; harness()", "bundle", "churn",
                               "--candidate", f"Benchmark {name}", "--out", str(folder)],
                              env=self.env(), capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"harness bundle failed:\n{done.stderr}")
        return next(folder.glob("*.zip"))

    def grade(self, sources: list[Path], *, jobs: int = 1, out: Path | None = None) -> Measured:
        """Run `grade --sandbox docker --force` on `sources`; wall time and peak RSS of its process tree."""
        cmd = [sys.executable, "-c", GRADE_SCRIPT, *map(str, sources), "--out", str(out or self.out), "--sandbox",
               "docker", "--force", "--jobs", str(jobs), "--json"]
        return run_measured(cmd, env=self.env(), cwd=self.root)


def submission(bundle: Path, dest: Path, notebook: Path) -> Path:
    from takehome_harness.harness.exercise_check import submission_from_bundle

    return submission_from_bundle(bundle, dest, notebook.read_bytes())


def unpacked_bundle(bundle: Path, dest: Path, notebook: Path) -> Path:
    """The bundle unpacked as the candidate has it (their data/ included), with `notebook` as notebook.ipynb."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(dest)
    folder = next(p for p in dest.iterdir() if p.is_dir())
    (folder / "notebook.ipynb").write_bytes(notebook.read_bytes())
    return folder


def floor_run(folder: Path, *, env: dict[str, str]) -> Measured:
    """The notebook run with plain nbclient in its own folder, in a fresh interpreter."""
    cmd = [sys.executable, "-c", FLOOR_SCRIPT, str(folder / "notebook.ipynb"), str(folder)]
    return run_measured(cmd, env=env, cwd=folder)


def container_floor_run(folder: Path) -> float:
    """The floor inside a plain container of the sandbox image with the sandbox's one CPU (no hook, no
    hardening, no grading): on an engine whose containers share one CPU weight against the host's processes,
    this is the floor a sandbox run can reach. Seconds from create to exit."""
    import docker

    from takehome_harness.harness.sandbox.image import image_tag

    client = docker.from_env()
    start = time.perf_counter()
    container = client.containers.create(
        image_tag(), ["python", "-c", FLOOR_SCRIPT, "/w/notebook.ipynb", "/w"], user="0:0", working_dir="/w",
        volumes={str(folder): {"bind": "/w", "mode": "rw"}}, nano_cpus=int(1e9), network_mode="none",
        environment={"HOME": "/tmp", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "agg"},
        labels={"takehome-harness.benchmark": "1"})
    try:
        container.start()
        status = container.wait()["StatusCode"]
        seconds = time.perf_counter() - start
        if status != 0:
            sys.exit(f"the container floor run failed:\n{container.logs(tail=30).decode(errors='replace')}")
        return seconds
    finally:
        container.remove(force=True)
        client.close()


@dataclass
class Measured:
    seconds: float
    peak_mib: float     # peak summed RSS of the process tree
    stdout: str
    cpu_seconds: float = 0.0   # user + system CPU of the process tree (containers excluded): less load-sensitive
    # the whole machine's busy CPU (containers and the engine included) over the wall time: how many of its cores
    # the run kept busy on average
    cores_busy: float = 0.0


def _machine_busy_seconds() -> float:
    """CPU time the machine spent working. Not steal (a virtual machine's core wanted to run and the host ran someone
    else: 0.3 s a submission in the serial batch on this machine, next to none with two jobs) nor guest (counted in
    user already)."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakTreeMemory:
    """Polls the summed RSS of a process and all its descendants; keeps the highest total seen."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def run_measured(cmd: list[str], *, env: dict[str, str], cwd: Path) -> Measured:
    start, cpu_before, busy_before = time.perf_counter(), _children_cpu(), _machine_busy_seconds()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = PeakTreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    busy = _machine_busy_seconds() - busy_before
    peak = memory.stop()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} ... exited {proc.returncode}:\n{stderr[-3000:]}")
    return Measured(seconds, peak, stdout, cpu_seconds=_children_cpu() - cpu_before, cores_busy=busy / seconds)


def machine_line() -> str:
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
            f"(1 / 5 / 15 min), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
