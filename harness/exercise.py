"""Load and validate exercise definitions (exercises/<id>/exercise.json)."""
from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.metrics import higher_is_better
from takehome_harness.harness.sandbox.result import Limits


OLD_TOP_LEVEL_NAMES = ("harness", "graders", "exercises", "datasets")


@cache
def exercise_schema() -> dict[str, Any]:
    return json.loads(resources.files("takehome_harness.harness.schemas").joinpath("exercise.schema.json").read_text())


@dataclass(frozen=True)
class Exercise:
    spec: dict[str, Any]
    folder: Traversable

    @property
    def id(self) -> str:
        return self.spec["id"]

    @property
    def title(self) -> str:
        return self.spec["title"]

    @property
    def version(self) -> str:
        return self.spec["version"]

    @property
    def task_type(self) -> str:
        return self.spec["task_type"]

    @property
    def id_columns(self) -> tuple[str, ...]:
        """The column identifying a test row, or the columns that do together (store, product, date)."""
        key = self.spec["id_column"]
        return (key,) if isinstance(key, str) else tuple(key)

    @property
    def target_column(self) -> str:
        return self.spec["target_column"]

    @property
    def notebook_name(self) -> str:
        return self.spec.get("notebook", "notebook.ipynb")

    @property
    def predictions(self) -> dict[str, Any]:
        return self.spec["predictions"]

    @property
    def primary_metric(self) -> str:
        return self.spec["metrics"]["primary"]

    @property
    def metrics(self) -> list[str]:
        return list(self.spec["metrics"]["all"])

    @property
    def leak_columns(self) -> list[str]:
        return list(self.spec["traps"].get("leak_columns", []))

    @property
    def time_column(self) -> str | None:
        return self.spec["traps"].get("time_column")

    @property
    def writeup_hints(self) -> dict[str, Any]:
        return self.spec.get("writeup", {})

    def limits(self, **overrides: Any) -> Limits:
        """Sandbox limits: exercise values over defaults, then non-None overrides."""
        values = {**self.spec.get("sandbox", {}), **{k: v for k, v in overrides.items() if v is not None}}
        return Limits(**values)

    def file(self, name: str) -> Traversable:
        return self.folder.joinpath(name)

    @property
    def train_file(self) -> str:
        return self.spec["data"]["train_file"]

    @property
    def test_file(self) -> str:
        return self.spec["data"]["test_file"]

    @property
    def default_seed(self) -> int:
        """The data of a notebook that did not come from a bundle."""
        return self.spec["data"]["default_seed"]

    @property
    def generator_module_name(self) -> str:
        return self.spec["data"]["generator"].partition(":")[0]

    @property
    def generator_module(self) -> ModuleType:
        """The data generator's module; it may also offer helpers such as reference_model_scores."""
        return importlib.import_module(self.generator_module_name)

    def generate(self, seed: int) -> Any:
        """Run the exercise's data generator; returns takehome_harness.datasets.GeneratedData. A generator that derives
        the data from a team's own file (`data.source`) is also given the exercise, to find that file."""
        generator = getattr(self.generator_module, self.spec["data"]["generator"].partition(":")[2])
        return generator(seed=seed, exercise=self) if "source" in self.spec["data"] else generator(seed=seed)


def validate_spec(spec: Any, *, source: str) -> None:
    errors = sorted(jsonschema.Draft202012Validator(exercise_schema()).iter_errors(spec), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise HarnessError(f"{source}: field '{where}' is invalid: {err.message}")


def parse_exercise(text: str, *, folder: Traversable, source: str) -> Exercise:
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    validate_spec(spec, source=source)
    if spec["id"] != folder.name:
        raise HarnessError(f"{source}: field 'id' is '{spec['id']}' but the folder is '{folder.name}'")
    if spec["metrics"]["primary"] not in spec["metrics"]["all"]:
        raise HarnessError(f"{source}: field 'metrics/primary' ({spec['metrics']['primary']}) is not in 'metrics/all'")
    generator = spec["data"]["generator"]
    if generator.split(".")[0] in OLD_TOP_LEVEL_NAMES:
        # what `harness exercise new` wrote before the packages moved under one name; Hugging Face's `datasets`
        # would be imported in its place
        raise HarnessError(f"{source}: field 'data/generator' is {generator}, a name from before the harness's "
                           f"packages moved under takehome_harness: write takehome_harness.{generator}")
    declared = spec["metrics"].get("higher_is_better")
    if declared is not None and declared != higher_is_better(spec["metrics"]["primary"]):
        raise HarnessError(f"{source}: field 'metrics/higher_is_better' is {str(declared).lower()}, but for "
                           f"{spec['metrics']['primary']} it is the other way round")
    return Exercise(spec=spec, folder=folder)


EXTRA_EXERCISES_ENV = "HARNESS_EXERCISES"


def exercise_roots() -> list[Traversable]:
    """The shipped exercises, then the folders listed in $HARNESS_EXERCISES (os.pathsep-separated), where
    `harness exercise new` writes a team's own exercises; a shipped id wins over a same-named folder."""
    extra = [Path(p) for p in os.environ.get(EXTRA_EXERCISES_ENV, "").split(os.pathsep) if p.strip()]
    return [resources.files("takehome_harness.exercises"), *extra]


def _exercise_folders() -> dict[str, Traversable]:
    found: dict[str, Traversable] = {}
    for root in exercise_roots():
        if not root.is_dir():
            continue
        for p in root.iterdir():
            if p.is_dir() and p.joinpath("exercise.json").is_file():
                found.setdefault(p.name, p)
    return found


def _load(folder: Traversable) -> Exercise:
    return parse_exercise(folder.joinpath("exercise.json").read_text(), folder=folder,
                          source=f"exercises/{folder.name}/exercise.json")


def list_exercises() -> list[Exercise]:
    folders = _exercise_folders()
    return [_load(folders[name]) for name in sorted(folders)]


def load_exercise(exercise_id: str) -> Exercise:
    folders = _exercise_folders()
    if exercise_id not in folders:
        known = ", ".join(sorted(folders)) or "none"
        raise HarnessError(f"unknown exercise '{exercise_id}' (known: {known})")
    return _load(folders[exercise_id])
