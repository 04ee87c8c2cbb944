"""The harness as a user gets it: a wheel installed into a new virtual environment, used outside any checkout.

Builds the wheel from a copy of the tracked files, installs it (dependencies from the package index or pip's
cache) into a venv in a temporary folder that already holds another project's top-level `datasets` package (a
stand-in for Hugging Face's, built here) and, from a folder that is not a checkout: checks both packages still
import, bundles an exercise, lays out both image build contexts from the installed package data, and grades the
example with --sandbox docker (the image built from the installed package is the one of this checkout: same files,
same tag).
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
from takehome_harness.harness.sandbox.image import env_build_context, image_tag, scripts_build_context
with env_build_context(wheels=None) as env, scripts_build_context() as scripts:
    print(json.dumps({"tag": image_tag(), "env": sorted(p.name for p in env.iterdir()),
                      "scripts": sorted(p.relative_to(scripts).as_posix() for p in scripts.rglob("*"))}))
"""

STAND_IN_MARK = "another project's datasets package"

# Another project's `datasets` imported first, then the harness's own data generators: each keeps its own.
SIDE_BY_SIDE = """
import sys, datasets
from takehome_harness.harness.exercise import load_exercise
rows = len(load_exercise("churn").generate(seed=1).train)
print(sys.modules["datasets"].MARK); print(datasets.__file__); print(sys.modules["takehome_harness.datasets"].__file__)
print(rows)
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def build_wheel(project: Path, dist: Path, name: str) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist),
         str(project)], cwd=dist.parent)
    return next(dist.glob(f"{name}-*.whl"))


def stand_in_datasets(folder: Path) -> Path:
    """A tiny project that installs a top-level `datasets` package, as Hugging Face's does."""
    (folder / "datasets").mkdir(parents=True)
    (folder / "datasets" / "__init__.py").write_text(f"MARK = {STAND_IN_MARK!r}\n")
    (folder / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = '
                                           '"setuptools.build_meta"\n\n[project]\nname = "datasets"\n'
                                           'version = "0.0.1"\n\n[tool.setuptools]\npackages = ["datasets"]\n')
    return folder


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
    wheel = build_wheel(source, tmp / "dist", "takehome_harness")
    other = build_wheel(stand_in_datasets(tmp / "stand-in"), tmp / "dist", "datasets")
    run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp)
    # the other project first: installing the harness after it must leave it alone
    for built in (other, wheel):
        run([str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             str(built)], cwd=tmp, timeout=1500)
    outside = tmp / "elsewhere"
    outside.mkdir()
    return tmp / "venv" / "bin", outside


def venv_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HARNESS_HOME": str(tmp / "home"), "HARNESS_SECRET": "wheel-test-secret"}


@pytest.mark.slow
def test_the_wheel_carries_its_version_and_everything_the_sandbox_build_needs(installed):
    bin_dir, outside = installed
    from takehome_harness.harness import __version__

    out = run([str(bin_dir / "python"), "-c", "import takehome_harness.harness as h, importlib.metadata as m; "
               "print(h.__file__); print(m.version('takehome-harness'))"], cwd=outside, env=venv_env(outside))
    location, version = out.split()
    assert str(bin_dir.parent) in location and version == __version__         # the installed copy, one version
    contexts = json.loads(run([str(bin_dir / "python"), "-c", CONTEXTS], cwd=outside, env=venv_env(outside)))
    assert contexts["env"] == ["Dockerfile", "requirements.lock", "wheelhouse"]
    assert contexts["scripts"] == ["Dockerfile", "harness-sandbox", "harness-sandbox/container_init.py",
                                   "harness-sandbox/kernel_hook.py", "harness-sandbox/legacy_compat.py",
                                   "harness-sandbox/run_protocol.py", "harness-sandbox/runner.py"]
    from takehome_harness.harness.sandbox.image import image_tag
    assert contexts["tag"] == image_tag()                                      # the same files as this checkout


@pytest.mark.slow
def test_the_wheel_installs_one_top_level_name_and_leaves_another_projects_datasets_alone(installed):
    bin_dir, outside = installed
    site = next((bin_dir.parent / "lib").glob("python*/site-packages"))
    dist_info = next(site.glob("takehome_harness-*.dist-info"))
    paths = [line.rsplit(",", 2)[0] for line in (dist_info / "RECORD").read_text().splitlines()]
    assert {path.split("/")[0] for path in paths if not path.startswith("../")} == {"takehome_harness", dist_info.name}
    mark, theirs, ours, rows = run([str(bin_dir / "python"), "-c", SIDE_BY_SIDE], cwd=outside,
                                   env=venv_env(outside)).splitlines()
    assert mark == STAND_IN_MARK and Path(theirs) == site / "datasets" / "__init__.py"
    assert Path(ours) == site / "takehome_harness" / "datasets" / "__init__.py" and int(rows) > 5000


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
    example = run([str(bin_dir / "python"), "-c", "import pathlib, takehome_harness.exercises.churn as churn; "
                   "print(pathlib.Path(churn.__file__).parent / 'example_submission' / 'notebook.ipynb')"],
                  cwd=outside, env=env).strip()
    run([str(bin_dir / "harness"), "sandbox", "build", "--offline"], cwd=outside, env=env, timeout=1800)
    run([str(bin_dir / "grade"), example, "--exercise", "churn", "--sandbox", "docker", "--out", "reports",
         "--json"], cwd=outside, env=env, timeout=900)
    report = json.loads(next((outside / "reports").glob("*/report.json")).read_text())
    assert report["outcome"] == "graded" and report["run"]["backend"] == "docker" and report["run"]["isolated"]
    assert report["run"]["verdict"] == "completed"
