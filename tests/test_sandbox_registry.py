"""The backend registry: discovery of `*_backend.py` modules, the names every other place takes from it, and
how `auto` chooses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import takehome_harness.harness.sandbox
from takehome_harness.harness.cli import grade, harness as harness_cli
from takehome_harness.harness.errors import HarnessError, SandboxUnavailable
from takehome_harness.harness.report.json_report import report_schema
from takehome_harness.harness.sandbox import registry

SCHEMA_FILE = Path(takehome_harness.harness.__file__).parent / "schemas" / "report.schema.json"

EXTRA_BACKEND = '''
from takehome_harness.harness.errors import SandboxUnavailable
from takehome_harness.harness.sandbox.backend import BackendSpec, BackendStatus


def connect(*, progress, runtime=None):
    raise SandboxUnavailable("the test cluster is not configured")


BACKEND = BackendSpec(name="testcluster", isolated=True, description="a backend added by one module",
                      connect=connect, status=lambda: BackendStatus(available=False, summary="not configured"),
                      auto_rank=1)
'''


@pytest.fixture
def extra_backend(tmp_path, monkeypatch):
    """A third backend, added the documented way: one `*_backend.py` module in the package."""
    (tmp_path / "testcluster_backend.py").write_text(EXTRA_BACKEND)
    monkeypatch.setattr(takehome_harness.harness.sandbox, "__path__", [*takehome_harness.harness.sandbox.__path__, str(tmp_path)])
    registry.backends.cache_clear()
    report_schema.cache_clear()
    yield
    registry.backends.cache_clear()
    report_schema.cache_clear()


def test_the_shipped_backends_are_registered():
    assert registry.names() == ("docker", "local")
    assert registry.choices() == ("auto", "docker", "local")
    assert [spec.name for spec in registry.auto_order()] == ["docker", "local"]
    assert registry.backends()["docker"].isolated and not registry.backends()["local"].isolated


def test_the_schema_file_lists_exactly_the_registered_backends():
    in_file = json.loads(SCHEMA_FILE.read_text())["properties"]["run"]["properties"]["backend"]["enum"]
    assert in_file == [*registry.names(), None]


def test_a_backend_module_is_enough_to_appear_everywhere(extra_backend):
    assert registry.names() == ("docker", "local", "testcluster")
    assert report_schema()["properties"]["run"]["properties"]["backend"]["enum"] == [
        "docker", "local", "testcluster", None]
    from takehome_harness.harness.grade_options import GradeOptions

    assert GradeOptions(sandbox="testcluster").exercise is None
    status = CliRunner().invoke(harness_cli, ["sandbox", "status"])
    assert status.exit_code == 0 and "testcluster (isolated): not usable - not configured" in status.output
    with pytest.raises(SandboxUnavailable, match="not configured"):
        registry.open_sandbox("testcluster", progress=print)


def test_auto_falls_back_past_every_unusable_backend_and_says_why(extra_backend, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    opened = registry.open_sandbox("auto", progress=print)
    assert opened.spec.name == "local"
    [warning] = opened.warnings
    assert warning.startswith("Docker is not usable (no Docker engine is reachable")
    assert "Testcluster is not usable (the test cluster is not configured)" in warning
    assert warning.endswith(f"{registry.FALLBACK_NOTE}.")


def test_unknown_names_are_refused_with_the_choices():
    with pytest.raises(HarnessError, match=r"unknown sandbox backend 'vm' \(choose from auto, docker, local\)"):
        registry.open_sandbox("vm", progress=print)
    result = CliRunner().invoke(grade, ["x.zip", "--sandbox", "vm"])
    assert result.exit_code == 2 and "'vm' is not one of 'auto', 'docker', 'local'" in result.output
