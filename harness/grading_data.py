"""What a submission is graded on: the exercise and data variant (bundle.json, --exercise or neither), the grader's
copy of the data (verified against bundle.json's checksums) and the folder the run gets."""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from takehome_harness.harness.errors import HarnessError, SubmissionRejected
from takehome_harness.harness.exercise import Exercise, load_exercise
from takehome_harness.harness.report.model import VariantInfo


@dataclass
class Variant:
    exercise: Exercise | None
    info: VariantInfo
    seed: int | None = None
    secret: bytes | None = None       # the grading secret, for a bundle; None when this grader has none
    labels_allowed: bool = False
    warnings: list[str] = field(default_factory=list)


def resolve_variant(*, bundle: dict[str, Any] | None, chosen: Exercise | None) -> Variant:
    """Which exercise and data: bundle.json wins; --exercise alone means the default data, no hidden labels."""
    from takehome_harness.harness.variants import grading_secret, variant_seed

    if bundle is not None:
        warnings = []
        if chosen and chosen.id != bundle["exercise"]:
            warnings.append(f"--exercise {chosen.id} was ignored: bundle.json says this is "
                            f"'{bundle['exercise']}'.")
        try:
            exercise = load_exercise(bundle["exercise"])
        except HarnessError:
            raise SubmissionRejected(f"bundle.json names the exercise '{bundle['exercise']}', which this "
                                     "grader does not have.") from None
        if bundle["exercise_version"] != exercise.version:
            warnings.append(f"The bundle was made from version {bundle['exercise_version']} of the exercise; "
                            f"it is graded with version {exercise.version}.")
        secret = grading_secret()
        seed = (variant_seed(exercise_id=exercise.id, bundle_id=bundle["bundle_id"], secret=secret)
                if secret is not None else None)
        return Variant(exercise=exercise, seed=seed, secret=secret, warnings=warnings, info=VariantInfo(
            bundle_id=bundle["bundle_id"], verified=False, data="variant",
            note=f"The candidate's own data variant, regenerated from bundle {bundle['bundle_id']}."))
    if chosen:
        return Variant(exercise=chosen, seed=chosen.default_seed, info=VariantInfo(
            bundle_id=None, verified=False, data="default",
            note="No bundle.json: run against the exercise's default data; hidden labels are not used."))
    return Variant(exercise=None, info=VariantInfo(
        bundle_id=None, verified=False, data="submission",
        note="No bundle.json and no --exercise: generic review; the notebook ran on the files it came with."))


def write_grader_data(*, exercise: Exercise, variant: Variant, bundle: dict[str, Any] | None,
                       dest_dir: Path) -> Any:
    """Write the grader's copy of data/; when it matches bundle.json's checksums (a verified bundle), return the
    variant as generated (takehome_harness.datasets.GeneratedData: its hidden labels are the ones to score with).

    Otherwise (another grading secret, an edited bundle.json, no secret at all) the run gets the default
    data and the hidden labels stay unused, because they would belong to different rows: None.
    """
    from takehome_harness.harness.materialize import write_data
    from takehome_harness.harness.variants import SECRET_ENV, secret_path, unverified_reason

    if bundle is None:
        write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
        return None
    if variant.secret is None:
        reason = (f"this grader has no grading secret ({SECRET_ENV} is not set, {secret_path()} does not exist), so "
                  f"it cannot regenerate bundle {bundle['bundle_id']}'s data")
    else:
        data = write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
        if checksums_match(bundle, {p: (dest_dir / p).read_bytes() for p in (exercise.train_file, exercise.test_file)}):
            variant.info.note += " Its data checksums match bundle.json, so the hidden labels were used."
            return data
        shutil.rmtree(dest_dir / "data")
        reason = unverified_reason(bundle_id=bundle["bundle_id"], secret=variant.secret)
    variant.seed = exercise.default_seed
    write_data(exercise=exercise, seed=variant.seed, dest_dir=dest_dir)
    variant.info.data = "default"
    variant.info.note = f"Could not verify the bundle: {reason}; run against the default data, hidden labels not used."
    variant.warnings.append(variant.info.note)
    return None


def checksums_match(bundle: dict[str, Any], files: dict[str, bytes]) -> bool:
    """Whether these data files are the ones bundle.json lists (the data the candidate was sent)."""
    return all(bundle["files"].get(path) == hashlib.sha256(content).hexdigest() for path, content in files.items())


def prepare_workdir(*, submission_dir: Path, dest: Path, exercise: Exercise | None) -> Path:
    """The run's folder: the submission's files, minus what the grader supplies or the run must produce.

    With an exercise, data/ is the grader's read-only copy (mounted by the sandbox) and a shipped
    predictions file is removed so only the clean run's own output is scored.
    """
    ignore = None
    if exercise is not None:
        produced = exercise.predictions["file"]
        ignore = lambda folder, names: [n for n in names if Path(folder) == submission_dir  # noqa: E731
                                        and n in {"data", produced}]
    shutil.copytree(submission_dir, dest, symlinks=False, ignore=ignore)
    return dest
