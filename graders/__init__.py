"""Checks a senior reviewer makes. One module per check; each exposes

    CHECK_ID: str, TITLE: str, ORDER: int, and run(ctx: GradingContext) -> Finding

Adding a check means adding a module (and its tests); `all_checks()` finds it.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

from takehome_harness.graders.finding import Evidence, Finding, GradingContext, Status

__all__ = ["Evidence", "Finding", "GradingContext", "Status", "all_checks", "load_trace", "run_checks"]

_NOT_CHECKS = {"finding"}


def load_trace(path: Path | None, warnings: list[str]) -> list[dict[str, Any]]:
    """The kernel hook's events from the run's trace file ([] without one); what was unreadable goes to
    `warnings`."""
    from takehome_harness.graders._trace import load_trace as load

    return load(path, warnings)


def all_checks() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _NOT_CHECKS:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "CHECK_ID") and callable(getattr(mod, "run", None)):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.CHECK_ID))


def run_checks(ctx: GradingContext) -> list[Finding]:
    """Run every check; a check that raises becomes a could-not-check finding, never a crash."""
    findings = []
    for mod in all_checks():
        try:
            findings.append(mod.run(ctx))
        except Exception as exc:  # one broken check must not lose the whole report
            findings.append(Finding(
                check=mod.CHECK_ID, title=getattr(mod, "TITLE", mod.CHECK_ID),
                status=Status.COULD_NOT_CHECK,
                explanation=f"The check itself failed ({type(exc).__name__}: {exc}); review this part by hand.",
            ))
    return findings
