"""The sandbox backends: every `*_backend.py` module of this package that defines `BACKEND` (a BackendSpec).

Everything that lists backends reads them here: `--sandbox` (plus AUTO), the report schema's `run.backend`
names, `harness sandbox status`. How to add one: docs/sandbox.md ("Adding a backend").
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import cache

from takehome_harness.harness.errors import HarnessError, SandboxUnavailable
from takehome_harness.harness.sandbox.backend import BackendSpec, Progress, Sandbox

AUTO = "auto"
MODULE_SUFFIX = "_backend"
FALLBACK_NOTE = "fell back to the local runner"   # in the run's warnings when auto could not use an isolated one


@cache
def backends() -> dict[str, BackendSpec]:
    """name -> spec, in module-name order."""
    package = importlib.import_module(__package__)
    found: dict[str, BackendSpec] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        if module.endswith(MODULE_SUFFIX):
            spec = getattr(importlib.import_module(f"{__package__}.{module}"), "BACKEND", None)
            if isinstance(spec, BackendSpec):
                found[spec.name] = spec
    return found


def names() -> tuple[str, ...]:
    return tuple(backends())


def choices() -> tuple[str, ...]:
    """What --sandbox accepts."""
    return (AUTO, *names())


def check_choice(name: str) -> None:
    if name not in choices():
        raise HarnessError(f"unknown sandbox backend '{name}' (choose from {', '.join(choices())})")


def auto_order() -> list[BackendSpec]:
    """The backends AUTO tries, first to last."""
    return sorted((s for s in backends().values() if s.auto_rank is not None), key=lambda s: s.auto_rank)


@dataclass
class OpenSandbox:
    """A connected backend and what choosing it needs to say in every run's warnings."""

    spec: BackendSpec
    sandbox: Sandbox
    warnings: list[str] = field(default_factory=list)


def open_sandbox(name: str, *, progress: Progress, runtime: str | None = None) -> OpenSandbox:
    """Connect to backend `name`; AUTO tries the ranked backends in order and says why it fell back.

    Raises SandboxUnavailable when the named backend (or, for AUTO, every ranked one) cannot run here.
    """
    check_choice(name)
    if name != AUTO:
        spec = backends()[name]
        return OpenSandbox(spec, spec.connect(progress=progress, runtime=runtime))
    problems: list[str] = []
    for spec in auto_order():
        try:
            sandbox = spec.connect(progress=progress, runtime=runtime)
        except SandboxUnavailable as exc:
            problems.append(f"{spec.name.capitalize()} is not usable ({exc})")
            continue
        warnings = [] if spec.isolated or not problems else [f"{'; '.join(problems)}; {FALLBACK_NOTE}."]
        return OpenSandbox(spec, sandbox, warnings)
    raise SandboxUnavailable("; ".join(problems) or "no sandbox backend can run here")
