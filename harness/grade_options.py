"""How to grade: the options of `grade`, checked once when they are made, before anything runs."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import Exercise, load_exercise
from takehome_harness.harness.sandbox.result import Limits
from takehome_harness.harness.sandbox.registry import choices as sandbox_choices


@dataclass(frozen=True)
class LimitOverrides:
    """Limits given on the command line; None keeps the exercise's (or the default) value."""

    total_seconds: int | None = None
    cell_seconds: int | None = None
    memory_mb: int | None = None
    cpus: float | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def apply(self, exercise: Exercise | None) -> Limits:
        """The run's limits: these overrides over the exercise's values over the defaults."""
        return exercise.limits(**self.given()) if exercise else Limits(**self.given())


@dataclass(frozen=True)
class GradeOptions:
    """Bad values raise HarnessError (one clear line) when the options are made, so a batch checks them once;
    `exercise` is the loaded --exercise, if given."""

    exercise_id: str | None = None
    sandbox: str = "auto"
    blind: bool = False
    force: bool = False
    limits: LimitOverrides = field(default_factory=LimitOverrides)
    exercise: Exercise | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sandbox not in sandbox_choices():
            raise HarnessError(f"--sandbox must be one of {', '.join(sandbox_choices())}, not '{self.sandbox}'")
        for name, value in self.limits.given().items():
            if value <= 0:
                raise HarnessError(f"limit {name} must be positive, got {value}")
        object.__setattr__(self, "exercise", load_exercise(self.exercise_id) if self.exercise_id else None)
