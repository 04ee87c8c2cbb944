"""The harness as a user gets it: a wheel installed into a new virtual environment, used outside any checkout.

Builds the wheel from a copy of the tracked files, installs it (dependencies from the package index or pip's
cache) into a venv in a temporary folder and, from a folder that is not a checkout: bundles an exercise, lays out
both image build contexts from the installed package data, and grades the example with --sandbox docker (the
image built from the installed package is the one of this checkout: same files, same tag).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONTEXTS = """
import json
from harness.sandbox.image import env_build_context, image_tag, scripts_build_context
with env_build_context(wheels=None) as env, scripts_build_context() as scripts:
    print(json.dumps({"tag": image_tag(), "env": sorted(p.name for p in env.iterdir()),
                      "scripts": sorted(p.relative_to(scripts).as_posix() for p in scripts.rglob("*"))}))
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the new venv's bin folder, a scratch folder outside the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    tracked = run(["git", "ls-files", "-z"], cwd=ROOT).split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"),
         str(source)], cwd=tmp)
    wheel = next((tmp / "dist").glob("takehome_harness-*.whl"))
    run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp)
    run([str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(wheel)], cwd=tmp, timeout=1500)
    outside = tmp / "elsewhere"
    outside.mkdir()
    return tmp / "venv" / "bin", outside


def venv_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HARNESS_HOME": str(tmp / "home"), "HARNESS_SECRET": "wheel-test-secret"}


@pytest.mark.slow
def test_the_wheel_carries_its_version_and_everything_the_sandbox_build_needs(installed):
    bin_dir, outside = installed
    from harness import __version__

    out = run([str(bin_dir / "python"), "-c", "import harness, importlib.metadata as m; "
               "print(harness.__file__); print(m.version('takehome-harness'))"], cwd=outside, env=venv_env(outside))
    location, version = out.split()
    assert str(bin_dir.parent) in location and version == __version__         # the installed copy, one version
    contexts = json.loads(run([str(bin_dir / "python"), "-c", CONTEXTS], cwd=outside, env=venv_env(outside)))
    assert contexts["env"] == ["Dockerfile", "requirements.lock", "wheelhouse"]
    assert contexts["scripts"] == ["Dockerfile", "harness-sandbox", "harness-sandbox/container_init.py",
                                   "harness-sandbox/kernel_hook.py", "harness-sandbox/runner.py"]
    from harness.sandbox.image import image_tag
    assert contexts["tag"] == image_tag()                                      # the same files as this checkout


@pytest.mark.docker
@pytest.mark.slow
def test_the_wheel_bundles_and_grades_with_docker_outside_a_checkout(installed):
    bin_dir, outside = installed
    env = venv_env(outside)
    run([str(bin_dir / "harness"), "bundle", "churn", "--candidate", "Ada Lovelace", "--out", "bundles"],
        cwd=outside, env=env)
    bundle = next((outside / "bundles").glob("churn-ada-lovelace-*.zip"))
    with zipfile.ZipFile(bundle) as archive:
        assert any(name.endswith("/requirements.txt") for name in archive.namelist())
    example = run([str(bin_dir / "python"), "-c", "import exercises.churn, pathlib; print(pathlib.Path("
                   "exercises.churn.__file__).parent / 'example_submission' / 'notebook.ipynb')"], cwd=outside,
                  env=env).strip()
    run([str(bin_dir / "harness"), "sandbox", "build", "--offline"], cwd=outside, env=env, timeout=1800)
    run([str(bin_dir / "grade"), example, "--exercise", "churn", "--sandbox", "docker", "--out", "reports",
         "--json"], cwd=outside, env=env, timeout=900)
    report = json.loads(next((outside / "reports").glob("*/report.json")).read_text())
    assert report["outcome"] == "graded" and report["run"]["backend"] == "docker" and report["run"]["isolated"]
    assert report["run"]["verdict"] == "completed"
