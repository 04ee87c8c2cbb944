"""Shared test fixtures. Docker, browser and root tests skip when their engine, browser or root is missing,
except under CI=true where they fail."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def docker_engine_reachable() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


CHROMIUM = Path("/usr/bin/chromium")
_MISSING = {
    "docker": ("no Docker engine reachable", lambda: not docker_engine_reachable()),
    "browser": (f"headless Chromium ({CHROMIUM}) is not installed", lambda: not CHROMIUM.exists()),
    "root": ("not running as root (needed to mount a tmpfs)", lambda: os.geteuid() != 0),
}


@functools.cache
def missing(marker: str) -> str | None:
    """Why tests with this marker cannot run here, or None when they can (asked once per session)."""
    reason, is_missing = _MISSING[marker]
    return reason if is_missing() else None


def pytest_configure(config):
    config.addinivalue_line("markers", "root: needs root, e.g. to mount a tmpfs (skips without, fails under CI=true)")


def cannot_run(reason: str) -> None:
    """A test that cannot run here skips outside CI; under CI=true it fails, never skips."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(f"{reason} (this test must run under CI=true)")


def pytest_runtest_setup(item):
    for marker in _MISSING:
        if marker in item.keywords and (reason := missing(marker)):
            cannot_run(f"{reason}: {marker} tests must run under CI")


# --- reports: every report.json the suite produces must match the versioned schema ---------------

def assert_valid_report(path) -> dict:
    """Load a report.json and fail with the schema errors if it does not validate; returns the document."""
    import json

    from takehome_harness.harness.report.json_report import validation_errors

    document = json.loads(open(path).read())
    errors = validation_errors(document)
    assert not errors, f"{path} does not match report.schema.json: {errors[:5]}"
    return document


@pytest.fixture(scope="session", autouse=True)
def _every_report_json_validates(tmp_path_factory):
    """After the whole run, validate every report.json written under pytest's temp folders."""
    yield
    for path in sorted(Path(tmp_path_factory.getbasetemp()).rglob("report.json")):
        assert_valid_report(path)


@pytest.fixture
def harness_home(tmp_path, monkeypatch):
    """Per-test grader state: its own secret and bundle registry, never the user's."""
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "harness_home"))
    monkeypatch.setenv("HARNESS_SECRET", "test-secret-" + tmp_path.name)
    return tmp_path / "harness_home"


def fake_sandbox_run(calls: list):
    """Stand-in for takehome_harness.harness.grade._sandbox_run: "runs" a notebook by adding one output per code cell,
    writes predictions for data/test.csv (random, seeded) when data was mounted, and records each call in `calls`."""
    import nbformat
    import numpy as np
    import pandas as pd

    from takehome_harness.harness.sandbox.result import RunResult, Verdict

    def run(*, notebook, workdir, data_dir, limits, backend, on_progress=None, predictions_name="predictions.csv",
            legacy=False, data_ready=None):
        if data_ready is not None:   # as a backend does: the grader may still be writing data_dir
            data_ready()
        calls.append({"notebook": notebook, "workdir": workdir, "data_dir": data_dir, "limits": limits,
                      "backend": backend, "files": sorted(p.name for p in workdir.iterdir()),
                      "data_files": sorted(p.name for p in data_dir.iterdir()) if data_dir else None})
        out = workdir.with_name("fake-run")
        out.mkdir(exist_ok=True)
        nb = nbformat.read(str(notebook), as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        for count, cell in enumerate(code_cells, start=1):
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ran cell {count}\n")]
        executed = out / "executed.ipynb"
        nbformat.write(nb, str(executed))
        predictions = None
        if data_dir is not None:
            test = pd.read_csv(data_dir / "test.csv")
            predictions = out / predictions_name
            pd.DataFrame({test.columns[0]: test.iloc[:, 0],
                          "churn_probability": np.random.default_rng(0).random(len(test))}
                         ).to_csv(predictions, index=False)
        return RunResult(verdict=Verdict.COMPLETED, backend="local", isolated=False, wall_seconds=0.5,
                         message="Every cell ran without error.", limits=limits,
                         cell_seconds=[0.1 if c.cell_type == "code" else None for c in nb.cells],
                         executed_notebook=executed, predictions=predictions, peak_memory_mb=100.0)

    return run


@pytest.fixture
def fake_sandbox(monkeypatch):
    """The stand-in sandbox for fast grade tests (fake_sandbox_run); the list of its calls."""
    calls = []
    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", fake_sandbox_run(calls))
    return calls
