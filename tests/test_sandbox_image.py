"""What the built sandbox image holds: every pinned package imports there, as the sandbox user, without network.

Marked `docker`: skipped without an engine, required under CI=true (.ci/run builds the image first).
"""
from __future__ import annotations

import json

import pytest

from takehome_harness.harness.sandbox.packages import locked_versions

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
    from takehome_harness.harness.sandbox.docker_backend import connect_engine, ensure_image

    client = connect_engine()
    return client, ensure_image(client, progress=lambda message: None)


@pytest.mark.docker
@pytest.mark.slow
def test_every_package_of_the_lock_file_imports_in_the_image(image):
    from takehome_harness.harness.sandbox.image import LABEL, SANDBOX_UID

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


def test_prune_picks_older_tags_and_dangling_build_stages_but_never_a_current_image():
    from takehome_harness.harness.sandbox.docker_backend import ImageEntry, stale_images

    current = {"takehome-sandbox:new", "takehome-sandbox-env:new", "takehome-sandbox-base:bookworm-new"}
    found = [ImageEntry("sha256:a", ("takehome-sandbox:new",)),
             ImageEntry("sha256:b", ("takehome-sandbox:old",)),
             ImageEntry("sha256:c", ("takehome-sandbox-env:new", "takehome-sandbox-env:alias")),
             ImageEntry("sha256:d", ("takehome-sandbox-env:old",)),
             ImageEntry("sha256:e", ("takehome-sandbox-base:bookworm",)),
             ImageEntry("sha256:f", ("takehome-sandbox-base:bookworm-new",)),
             ImageEntry("sha256:g", ()),                                    # the offline build's install stage
             ImageEntry("sha256:b", ("takehome-sandbox:old",))]             # listed twice, removed once
    assert [e.id for e in stale_images(found, current=current)] == ["sha256:b", "sha256:d", "sha256:e", "sha256:g"]


def test_both_build_contexts_hold_what_their_dockerfiles_copy():
    from takehome_harness.harness.sandbox.image import env_build_context, scripts_build_context

    with scripts_build_context() as ctx:
        assert sorted(p.relative_to(ctx).as_posix() for p in ctx.rglob("*")) == [
            "Dockerfile", "harness-sandbox", "harness-sandbox/container_init.py", "harness-sandbox/kernel_hook.py",
            "harness-sandbox/legacy_compat.py", "harness-sandbox/run_protocol.py",
            "harness-sandbox/runner.py"]
        assert "FROM ${ENV_IMAGE}" in (ctx / "Dockerfile").read_text()
    with env_build_context(wheels=None) as ctx:
        assert sorted(p.name for p in ctx.iterdir()) == ["Dockerfile", "requirements.lock", "wheelhouse"]
        assert "libgomp1" in (ctx / "Dockerfile").read_text()
