"""Fit the reference scores a parallel batch is missing before its workers start.

A worker that fits a variant's reference scores imports scikit-learn for it and keeps it for the rest of the batch:
in the cold-cache soak of 50 that worker stayed at ~240 MB against the other's ~150 MB. Fitted first, in one child
forked from the batch's small parent (~45 MB) and gone before the workers start, the workers only read the cache.
One child, not one per job: the parent and one fitting child (~220 MB) stay below what the workers reach later,
where two fitting children would not. Whatever this does not fit (a bundle.json the peek misses, a fit that fails)
the workers fit as before, so it costs time at most, never a result.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from takehome_harness.harness import score_cache
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import Exercise
from takehome_harness.harness.grading_data import Variant, checksums_match, resolve_variant
from takehome_harness.harness.intake import peek_bundle


def fit_missing_reference_scores(*, sources: list[Path], chosen: Exercise | None,
                                 on_note: Callable[[str], None] | None = None) -> None:
    """Fit, in one child process, the scores of every verified-looking variant among `sources` not in the cache
    (about a second each, one after the other); `on_note` hears it when there are any."""
    missing = variants_to_fit(sources=sources, chosen=chosen)
    if not missing:
        return
    if on_note:
        on_note(f"fitting the reference models of {len(missing)} data variant(s) first")
    # fork: the parent has imported neither pandas nor scikit-learn, and the child needs nothing re-imported
    child = multiprocessing.get_context("fork").Process(target=_fit_all, args=(missing,), name="reference-prefit")
    child.start()
    try:
        child.join()
    except BaseException:  # Ctrl-C: the batch stops; the kernel lets go of the child's cache lock
        child.terminate()
        child.join()
        raise


def variants_to_fit(*, sources: list[Path], chosen: Exercise | None) -> list[tuple[Variant, dict[str, Any]]]:
    """(variant, bundle.json) of each distinct variant the batch's bundles name whose scores are not cached, in the
    order of the batch; light enough for the batch's parent (no pandas, no scikit-learn)."""
    seen: set[tuple[str, int]] = set()
    missing = []
    for source in sources:
        if (bundle := peek_bundle(source)) is None:
            continue
        try:
            variant = resolve_variant(bundle=bundle, chosen=chosen)
            if variant.exercise is None or variant.seed is None or (variant.exercise.id, variant.seed) in seen:
                continue
            seen.add((variant.exercise.id, variant.seed))
            cached = score_cache.read_scores(score_cache.scores_path(variant.exercise, variant.seed))
        except (HarnessError, OSError, ImportError, ValueError):
            continue  # e.g. an exercise this grader does not have, unreadable code: the grade reports it
        if cached is None:
            missing.append((variant, bundle))
    return missing


def _fit_all(missing: list[tuple[Variant, dict[str, Any]]]) -> None:
    from takehome_harness.harness.materialize import render_data_files, store_reference_scores

    for variant, bundle in missing:
        try:
            data = variant.exercise.generate(seed=variant.seed)
            # only what grading will use: an edited bundle.json names a variant whose labels are never scored
            if checksums_match(bundle, render_data_files(exercise=variant.exercise, data=data)):
                store_reference_scores(exercise=variant.exercise, seed=variant.seed, data=data)
        except Exception:  # noqa: S112 - the grade fits this variant itself and reports what goes wrong there
            continue
