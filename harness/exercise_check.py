"""`harness exercise check`: run an exercise's reference solution through a real bundle and `grade`, so an
author sees that the exercise works (and what a good solution scores) before sending it to anyone."""
from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import load_exercise

REFERENCE = "reference_solution.ipynb"
CHECK_CANDIDATE = "exercise check (reference solution)"


@dataclass
class ExerciseCheck:
    exercise_id: str
    report_dir: Path
    statuses: dict[str, str]
    primary_metric: str
    hidden: float | None
    baseline: float | None
    reference: float | None

    @property
    def works(self) -> bool:
        return self.hidden is not None and "fail" not in self.statuses.values()


def submission_from_bundle(bundle_zip: Path, dest: Path, notebook: bytes,
                           extra: dict[str, bytes] | None = None) -> Path:
    """The bundle as a candidate would send it back: the notebook (and any `extra` files) swapped in, data/ left
    out."""
    with zipfile.ZipFile(bundle_zip) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        wrapper = src.infolist()[0].filename.partition("/")[0]
        for info in src.infolist():
            rel = info.filename.partition("/")[2]
            if rel.startswith("data/") or rel == "notebook.ipynb":
                continue
            out.writestr(info, src.read(info))
        for name, data in {"notebook.ipynb": notebook, **(extra or {})}.items():
            out.writestr(f"{wrapper}/{name}", data)
    return dest


def check_exercise(*, exercise_id: str, out_dir: Path, sandbox: str = "auto") -> ExerciseCheck:
    from takehome_harness.harness.bundle import create_bundle
    from takehome_harness.harness.grade import grade_submission
    from takehome_harness.harness.grade_options import GradeOptions

    exercise = load_exercise(exercise_id)
    reference = exercise.file(REFERENCE)
    if not reference.is_file():
        raise HarnessError(f"exercise '{exercise_id}' has no {REFERENCE} to check")
    with tempfile.TemporaryDirectory(prefix="harness-exercise-check-") as tmp:
        bundle = create_bundle(exercise_id=exercise_id, candidate=CHECK_CANDIDATE, out_dir=Path(tmp))
        submission = submission_from_bundle(Path(bundle.path), Path(tmp) / "submission.zip", reference.read_bytes())
        outcome = grade_submission(source=submission, out_dir=out_dir, options=GradeOptions(sandbox=sandbox, force=True),
                                   label=f"{exercise_id}-reference-check")
    row = outcome.row
    return ExerciseCheck(exercise_id=exercise_id, report_dir=outcome.report_dir, statuses=dict(row.statuses),
                         primary_metric=exercise.primary_metric, hidden=row.hidden, baseline=row.baseline,
                         reference=row.reference)
