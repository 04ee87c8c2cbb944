"""Package layout, the one thing pyproject.toml cannot say: the repository keeps its folders harness/, graders/,
exercises/ and datasets/ at the top, and they install as takehome_harness.<folder> (every sub-folder included),
so the wheel adds one top-level name, its own, and never replaces another project's `datasets` or `harness`."""
from setuptools import find_namespace_packages, setup

NAMESPACE = "takehome_harness"
FOLDERS = ("harness", "graders", "exercises", "datasets")

setup(
    packages=[f"{NAMESPACE}.{name}" for name in find_namespace_packages(include=[f"{f}*" for f in FOLDERS])],
    package_dir={f"{NAMESPACE}.{folder}": folder for folder in FOLDERS},
)
