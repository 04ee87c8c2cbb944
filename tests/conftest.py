"""Shared test fixtures. Docker tests skip without an engine, except under CI=true where they fail."""
from __future__ import annotations

import os

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


def pytest_collection_modifyitems(config, items):
    if any("docker" in item.keywords for item in items) and not docker_engine_reachable():
        if in_ci():
            for item in items:
                if "docker" in item.keywords:
                    item.add_marker(pytest.mark.usefixtures("_fail_no_docker"))
        else:
            skip = pytest.mark.skip(reason="no Docker engine reachable (they must run under CI=true)")
            for item in items:
                if "docker" in item.keywords:
                    item.add_marker(skip)


@pytest.fixture
def _fail_no_docker():
    pytest.fail("CI=true but no Docker engine is reachable: docker tests must run under CI")
