"""What the built sandbox image holds: every pinned package imports there, as the sandbox user, without network.

Marked `docker`: skipped without an engine, required under CI=true (.ci/run builds the image first).
"""
from __future__ import annotations

import json

import pytest

from harness.sandbox.packages import locked_versions

# Imports every top-level module of every distribution in the lock file and reports what failed, as JSON.
IMPORT_EVERYTHING = r"""
import importlib, importlib.metadata, json, re, sys, traceback
pins = {}
for line in open('/opt/harness/requirements.lock'):
    line = line.split('#')[0].strip()
    if line:
        name, version = line.split('==')
        pins[re.sub(r'[-_.]+', '-', name).lower()] = version
modules = {}
for module, dists in importlib.metadata.packages_distributions().items():
    for dist in dists:
        modules.setdefault(re.sub(r'[-_.]+', '-', dist).lower(), []).append(module)
report = {"versions": {}, "modules": {}, "failed": {}}
for name in pins:
    try:
        report["versions"][name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        report["versions"][name] = None
    report["modules"][name] = sorted(m for m in modules.get(name, []) if not m.startswith('_') and m.isidentifier())
    for module in report["modules"][name]:
        try:
            importlib.import_module(module)
        except BaseException as exc:
            report["failed"][f"{name}: {module}"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def image():
    from harness.sandbox.docker_backend import connect_engine, ensure_image

    client = connect_engine()
    return client, ensure_image(client, progress=lambda message: None)


@pytest.mark.docker
@pytest.mark.slow
def test_every_package_of_the_lock_file_imports_in_the_image(image):
    from harness.sandbox.image import LABEL, SANDBOX_UID

    client, tag = image
    container = client.containers.create(tag, ["python", "-c", IMPORT_EVERYTHING], user=f"{SANDBOX_UID}",
                                         network_mode="none", environment={"MPLBACKEND": "Agg"},
                                         labels={LABEL: "1"})
    try:
        container.start()
        status = container.wait(timeout=300)["StatusCode"]
        output = container.logs(stdout=True, stderr=False).decode()
        errors = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    assert status == 0, errors[-2000:]
    report = json.loads(output.strip().splitlines()[-1])
    assert report["failed"] == {}
    assert report["versions"] == locked_versions()                   # exactly the pins, nothing missing
    assert all(report["modules"][name] for name in report["modules"]), report["modules"]
    for name, module in (("lightgbm", "lightgbm"), ("imbalanced-learn", "imblearn"), ("statsmodels", "statsmodels"),
                         ("tabulate", "tabulate"), ("jinja2", "jinja2")):
        assert module in report["modules"][name]
