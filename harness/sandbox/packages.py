"""The sandbox's Python packages: the exact pins of requirements.lock, and the ones worth naming.

The same lock file is what bundles ship as requirements.txt and what the image installs; the headline list
is what `scripts/lock-sandbox-requirements` resolves (with every dependency), what `harness sandbox status`
shows and what the candidate's instructions list.
"""
from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

LOCK_PATH = Path(__file__).with_name("requirements.lock")
# The sandbox image's Python (major.minor): the wheelhouse is downloaded for it, the instructions and
# make_submission.py name it. Dockerfile's BASE_IMAGE and the offline base (Debian bookworm) carry it too.
PYTHON_VERSION = "3.11"

# What notebooks import directly (tabulate and jinja2 are the optional dependencies pandas reaches for in ordinary
# notebooks: DataFrame.to_markdown, DataFrame.style), then what runs the notebook; the rest of the lock file is
# their dependencies.
LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "matplotlib", "seaborn", "lightgbm", "xgboost-cpu",
             "imbalanced-learn", "statsmodels", "tabulate", "jinja2", "plotly", "shap", "optuna")
NOTEBOOK_RUNTIME = ("ipykernel", "nbclient", "nbformat")
HEADLINE_PACKAGES = LIBRARIES + NOTEBOOK_RUNTIME


def locked_versions(text: str | None = None) -> dict[str, str]:
    """Canonical package name -> pinned version, from the lock file (or the given text of one)."""
    versions = {}
    for line in (LOCK_PATH.read_text(encoding="utf-8") if text is None else text).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if pins:
            versions[canonicalize_name(requirement.name)] = pins[0]
    return versions


def library_versions() -> list[tuple[str, str]]:
    """(name, pinned version) of the libraries notebooks import, in their order."""
    pinned = locked_versions()
    return [(name, pinned[canonicalize_name(name)]) for name in LIBRARIES if canonicalize_name(name) in pinned]
