"""`harness bundle`: one zip with everything a candidate needs, and nothing the grader keeps."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import string
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from takehome_harness.harness.atomic_files import write_bytes_atomic
from takehome_harness.harness.bundle_registry import BundleInfo, record_bundle
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import Exercise, load_exercise
from takehome_harness.harness.materialize import render_data_files, store_reference_scores
from takehome_harness.harness.sandbox.packages import PYTHON_VERSION, library_versions
from takehome_harness.harness.scoring import KEY_SEPARATOR, PredictionsContract
from takehome_harness.harness.variants import load_secret, secret_fingerprint, variant_seed

LOCK_FILE = "requirements.lock"
INSTRUCTIONS = "README.md"
STARTER = "starter.ipynb"


def sandbox_lock() -> bytes:
    """The sandbox's pinned requirements, so candidates work with the versions they are graded with."""
    lock = resources.files("takehome_harness.harness.sandbox").joinpath(LOCK_FILE)
    if not lock.is_file():
        raise HarnessError(f"harness/sandbox/{LOCK_FILE} is missing: the sandbox's pinned requirements are "
                           "needed for the bundle's requirements.txt")
    return lock.read_bytes()


def _shared_instructions(name: str) -> str | None:
    """Sections every exercise's instructions include (`{% include "_setting_up_and_submitting.md" %}`)."""
    shared = resources.files("takehome_harness.exercises").joinpath(name)
    return shared.read_text(encoding="utf-8") if name.startswith("_") and shared.is_file() else None


def render_instructions(exercise: Exercise, *, candidate: str) -> bytes:
    source = exercise.file(INSTRUCTIONS)
    if not source.is_file():
        raise HarnessError(f"exercises/{exercise.id}/{INSTRUCTIONS} is missing")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                             loader=jinja2.FunctionLoader(_shared_instructions))
    try:
        text = env.from_string(source.read_text(encoding="utf-8")).render(
            candidate=candidate, exercise=exercise.spec, time_box_hours=exercise.spec["time_box_hours"],
            sandbox_packages=library_versions(), sandbox_python=PYTHON_VERSION)
    except jinja2.TemplateError as exc:
        raise HarnessError(f"exercises/{exercise.id}/{INSTRUCTIONS}: {exc}") from None
    return text.encode("utf-8")


def render_submission_script(exercise: Exercise) -> bytes:
    """make_submission.py checks the same predictions contract the grader's scoring validates against."""
    predictions = PredictionsContract.from_exercise(exercise)
    limits = exercise.limits()
    contract = {
        "notebook": exercise.notebook_name,
        "predictions_file": predictions.file,
        "columns": list(predictions.columns),
        "id_columns": list(predictions.id_columns),
        "key_separator": KEY_SEPARATOR,
        "prediction_column": predictions.prediction_column,
        "min": float("-inf") if predictions.min is None else predictions.min,
        "max": float("inf") if predictions.max is None else predictions.max,
        "train_file": exercise.train_file,
        "test_file": exercise.test_file,
        "writeup_files": exercise.writeup_hints.get("files", []),
        "starter_text": exercise.writeup_hints.get("starter_text", []),
        "total_seconds": limits.total_seconds,
        "cell_seconds": limits.cell_seconds,
        "python": PYTHON_VERSION,
    }
    templates = resources.files("takehome_harness.harness.templates")
    template = templates.joinpath("make_submission.py.tmpl").read_text(encoding="utf-8")
    return string.Template(template).substitute(contract=json.dumps(contract)).encode("utf-8")


def _starter_notebook(exercise: Exercise) -> bytes:
    source = exercise.file(STARTER)
    if not source.is_file():
        raise HarnessError(f"exercises/{exercise.id}/{STARTER} is missing")
    return source.read_bytes()


def bundle_manifest(*, exercise: Exercise, bundle_id: str, created_at: str, files: dict[str, bytes]) -> bytes:
    """bundle.json: identifies the variant only through bundle_id (the seed needs the grader's secret)."""
    manifest = {
        "exercise": exercise.id,
        "exercise_version": exercise.version,
        "bundle_id": bundle_id,
        "created_at": created_at,
        "files": {path: hashlib.sha256(content).hexdigest() for path, content in sorted(files.items())},
    }
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "candidate"


def _write_zip(path: Path, *, folder: str, files: dict[str, bytes], when: datetime) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, content in files.items():
            entry = zipfile.ZipInfo(f"{folder}/{relative}", date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = (0o755 if relative.endswith(".py") else 0o644) << 16
            archive.writestr(entry, content)
    try:
        write_bytes_atomic(path, buffer.getvalue())
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror}") from None


def _prepare_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot use output folder {out_dir}: {exc.strerror}") from None
    if not os.access(out_dir, os.W_OK):
        raise HarnessError(f"cannot use output folder {out_dir}: not writable")
    return out_dir


def create_bundle(*, exercise_id: str, candidate: str, out_dir: Path,
                  on_warning: Callable[[str], None] | None = None) -> BundleInfo:
    """Write <out_dir>/<exercise>-<candidate>-<bundle id>.zip with a fresh per-candidate data variant,
    record it in the bundle registry and return its details. The variant's reference scores go into the
    grader's cache on the way (`on_warning` hears why, when they could not)."""
    candidate = " ".join(candidate.split())
    if not candidate:
        raise HarnessError("candidate name is empty")
    exercise = load_exercise(exercise_id)
    out_dir = _prepare_out_dir(out_dir)
    secret = load_secret()
    bundle_id = secrets.token_urlsafe(12)
    now = datetime.now(UTC).replace(microsecond=0)
    seed = variant_seed(exercise_id=exercise.id, bundle_id=bundle_id, secret=secret)
    data = exercise.generate(seed=seed)

    files = {
        INSTRUCTIONS: render_instructions(exercise, candidate=candidate),
        exercise.notebook_name: _starter_notebook(exercise),
        "requirements.txt": sandbox_lock(),
        "make_submission.py": render_submission_script(exercise),
        **render_data_files(exercise=exercise, data=data),
    }
    files["bundle.json"] = bundle_manifest(exercise=exercise, bundle_id=bundle_id,
                                           created_at=now.isoformat(), files=files)
    if (problem := _cache_reference_scores(exercise=exercise, seed=seed, data=data)) and on_warning:
        on_warning(problem)
    zip_path = out_dir / f"{exercise.id}-{_slug(candidate)}-{bundle_id}.zip"
    _write_zip(zip_path, folder=f"{exercise.id}-take-home", files=files, when=now)

    info = BundleInfo(bundle_id=bundle_id, exercise_id=exercise.id, exercise_version=exercise.version,
                      candidate=candidate, created_at=now.isoformat(), path=str(zip_path.resolve()),
                      secret_fingerprint=secret_fingerprint(secret))
    record_bundle(info)
    return info


def _cache_reference_scores(*, exercise: Exercise, seed: int, data: Any) -> str | None:
    """Fit the variant's reference scores now, while its data are at hand, so its grade does not; None, or why
    not. Only a cache (the grade fits them when they are missing), so no failure here stops a bundle."""
    try:
        store_reference_scores(exercise=exercise, seed=seed, data=data)
    except Exception as exc:
        return (f"the reference scores of this bundle's data could not be computed in advance ({type(exc).__name__}: "
                f"{exc}); grading will compute them")
    return None
