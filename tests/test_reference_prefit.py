"""A parallel batch fits the reference scores it is missing in one child before its workers start, so no worker
imports scikit-learn for them; what it cannot fit ahead the workers fit as before."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import assert_valid_report

from takehome_harness.harness import materialize, score_cache
from takehome_harness.harness.batch import grade_batch
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.exercise_check import submission_from_bundle
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.intake import peek_bundle
from takehome_harness.harness.reference_prefit import fit_missing_reference_scores, variants_to_fit

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "exercises" / "churn" / "example_submission" / "notebook.ipynb"
BUNDLE = {"exercise": "churn", "exercise_version": "1", "bundle_id": "b1", "created_at": "2026-12-02T00:00:00Z",
          "files": {"data/train.csv": "0" * 64}}


@pytest.fixture
def issued(harness_home, tmp_path):
    """A churn bundle this grader issued, with its reference scores taken out of the cache again (as when it was
    issued on another machine); the scores it had, for comparison."""
    from takehome_harness.harness.bundle import create_bundle

    bundle = Path(create_bundle(exercise_id="churn", candidate="Ada Lovelace", out_dir=tmp_path / "bundles").path)
    cache = harness_home / "cache"
    [stored] = (cache / "reference-scores").glob("*.json")
    scores = json.loads(stored.read_text())
    shutil.rmtree(cache)
    materialize._reference_scores_cached.cache_clear()
    return bundle, scores


def submissions(bundle: Path, folder: Path, names: str) -> list[Path]:
    """One submission of the example notebook per letter of `names`, all from `bundle`."""
    return [submission_from_bundle(bundle, folder / f"{name}.zip", EXAMPLE.read_bytes()) for name in names]


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_peek_reads_bundle_json_at_the_top_or_in_one_wrapper_folder_of_a_zip_or_folder(tmp_path):
    raw = json.dumps(BUNDLE).encode()
    assert peek_bundle(zip_with(tmp_path / "top.zip", {"bundle.json": raw, "notebook.ipynb": b"{}"})) == BUNDLE
    assert peek_bundle(zip_with(tmp_path / "wrapped.zip", {"churn-take-home/bundle.json": raw})) == BUNDLE
    folder = tmp_path / "folder" / "churn-take-home"
    folder.mkdir(parents=True)
    (folder / "bundle.json").write_bytes(raw)
    assert peek_bundle(folder.parent) == BUNDLE and peek_bundle(folder) == BUNDLE


@pytest.mark.parametrize("members", [
    {"notebook.ipynb": b"{}"},                                                     # no bundle.json
    {"a/bundle.json": b"{}", "b/bundle.json": b"{}"},                              # which one?
    {"a/b/bundle.json": json.dumps(BUNDLE).encode()},                              # deeper than a wrapper
    {"bundle.json": b"{not json"},
    {"bundle.json": json.dumps({**BUNDLE, "bundle_id": "../x"}).encode()},       # not what bundle.json says
])
def test_peek_finds_nothing_where_unpacking_would_not_find_a_valid_bundle_json(tmp_path, members):
    assert peek_bundle(zip_with(tmp_path / "s.zip", members)) is None


def test_peek_never_raises_on_what_is_not_a_readable_archive(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + os.urandom(64))
    (tmp_path / "notebook.ipynb").write_text("{}")
    truncated = zip_with(tmp_path / "t.zip", {"bundle.json": json.dumps(BUNDLE).encode() * 50})
    truncated.write_bytes(truncated.read_bytes()[:-40])
    for source in ("broken.zip", "notebook.ipynb", "t.zip", "missing.zip"):
        assert peek_bundle(tmp_path / source) is None


def record_fits(monkeypatch, log: Path) -> None:
    """The churn scorer, also writing 'fit' to `log` (forked processes inherit the patch)."""
    module = load_exercise("churn").generator_module

    def fit(data, _fit=module.reference_model_scores):
        with log.open("a") as out:
            out.write("fit\n")
        return _fit(data)

    monkeypatch.setattr(module, "reference_model_scores", fit)


def test_a_parallel_batch_fits_a_missing_variant_once_before_any_notebook_runs(issued, tmp_path, monkeypatch,
                                                                                fake_sandbox):
    bundle, stored = issued
    log = tmp_path / "events.log"
    record_fits(monkeypatch, log)
    import takehome_harness.harness.grade as grade_module

    run = grade_module._sandbox_run

    def logged_run(**kwargs):
        with log.open("a") as out:
            out.write("run\n")
        return run(**kwargs)

    monkeypatch.setattr(grade_module, "_sandbox_run", logged_run)
    sources = submissions(bundle, tmp_path, "abc")
    notes = []
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(), jobs=2,
                         on_note=notes.append)

    assert log.read_text().split() == ["fit", "run", "run", "run"]   # without the prefit: runs first, a worker fits
    assert notes == ["fitting the reference models of 1 data variant(s) first"]
    for outcome in result.outcomes:
        report = assert_valid_report(outcome.report_dir / "report.json")
        assert report["variant"]["verified"]
        assert (report["scores"]["baseline"], report["scores"]["reference"]) == (stored["baseline"],
                                                                                 stored["reference"])


def test_a_bundle_json_whose_data_checksums_do_not_match_is_not_fitted_ahead(issued, tmp_path, monkeypatch):
    bundle, _ = issued
    with zipfile.ZipFile(bundle) as archive:
        [name] = [n for n in archive.namelist() if n.endswith("bundle.json")]
        edited = json.loads(archive.read(name))
    edited["files"] = {path: "0" * 64 for path in edited["files"]}
    source = zip_with(tmp_path / "edited.zip", {"bundle.json": json.dumps(edited).encode()})
    log = tmp_path / "fits.log"
    record_fits(monkeypatch, log)

    assert len(variants_to_fit(sources=[source], chosen=None)) == 1   # looks like a variant this grader issued ...
    fit_missing_reference_scores(sources=[source], chosen=None)
    assert not log.exists()                                            # ... but its labels would never be scored
    assert not list((tmp_path / "harness_home" / "cache").rglob("*.json"))


def test_a_cached_variant_is_not_fitted_again_and_each_variant_is_fitted_once(issued, tmp_path, monkeypatch):
    bundle, stored = issued
    sources = submissions(bundle, tmp_path, "ab")
    log = tmp_path / "fits.log"
    record_fits(monkeypatch, log)
    assert [v.exercise.id for v, _ in variants_to_fit(sources=sources, chosen=None)] == ["churn"]
    fit_missing_reference_scores(sources=sources, chosen=None)
    assert log.read_text().split() == ["fit"]
    [written] = (tmp_path / "harness_home" / "cache" / "reference-scores").glob("*.json")
    assert json.loads(written.read_text()) == stored
    assert variants_to_fit(sources=sources, chosen=None) == []


def test_planning_skips_what_it_cannot_work_out_and_never_stops_the_batch(issued, tmp_path, monkeypatch):
    bundle, _ = issued
    [good] = submissions(bundle, tmp_path, "g")
    unknown = zip_with(tmp_path / "unknown.zip", {"bundle.json": json.dumps({**BUNDLE, "exercise": "nope"}).encode()})
    assert [v.exercise.id for v, _ in variants_to_fit(sources=[unknown, good], chosen=None)] == ["churn"]

    def unreadable(exercise, seed):
        raise OSError("the generator's code cannot be read")

    monkeypatch.setattr(score_cache, "scores_path", unreadable)
    assert variants_to_fit(sources=[unknown, good], chosen=None) == []


_PLAN_THEN_LIST_MODULES = """
import sys
from pathlib import Path
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.reference_prefit import variants_to_fit
from takehome_harness.harness.score_cache import variant_key
planned = variants_to_fit(sources=[Path(sys.argv[1])], chosen=None)
print(len(planned), variant_key(load_exercise('churn'), 11))
print(sorted(m for m in ('sklearn', 'scipy', 'pandas', 'numpy', 'matplotlib') if m in sys.modules))
"""


def test_working_out_what_to_fit_imports_no_data_library_in_the_batchs_parent(issued, tmp_path):
    """The parent's size is counted again in every worker it forks and in the child it forks to fit; the cache key
    it works out without importing the generator is the one a process that imported it writes under."""
    bundle, _ = issued
    [source] = submissions(bundle, tmp_path, "a")
    done = subprocess.run([sys.executable, "-c", _PLAN_THEN_LIST_MODULES, str(source)], capture_output=True,
                          text=True, check=True, env=os.environ.copy())
    first, modules = done.stdout.splitlines()
    planned, key = first.split()
    assert (planned, modules) == ("1", "[]")
    exercise = load_exercise("churn")
    assert exercise.generator_module.__name__ in sys.modules   # imported here
    assert key == score_cache.variant_key(exercise, 11)
