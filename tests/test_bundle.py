"""`harness bundle`, per-candidate variants, the bundle registry and the candidate's make_submission.py."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from takehome_harness.harness import bundle as bundle_module
from takehome_harness.harness.bundle import create_bundle, render_submission_script
from takehome_harness.harness.bundle_registry import list_bundles
from takehome_harness.harness.cli import harness
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files, hidden_labels
from takehome_harness.harness.sandbox.packages import LIBRARIES, PYTHON_VERSION, locked_versions
from takehome_harness.harness.variants import load_secret, secret_path, variant_seed

TOP = "churn-take-home"
STAND_IN_LOCK = b"# stand-in for harness/sandbox/requirements.lock\npandas==3.0.0\nscikit-learn==1.9.0\n"


@pytest.fixture(autouse=True)
def harness_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HARNESS_HOME", str(home))
    monkeypatch.delenv("HARNESS_SECRET", raising=False)
    return home


@pytest.fixture(autouse=True)
def sandbox_lock(monkeypatch):
    """The real lock file once the sandbox ships it; a stand-in until then."""
    try:
        return bundle_module.sandbox_lock()
    except HarnessError:
        monkeypatch.setattr(bundle_module, "sandbox_lock", lambda: STAND_IN_LOCK)
        return STAND_IN_LOCK


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name.removeprefix(f"{TOP}/"): archive.read(name) for name in archive.namelist()}


@pytest.fixture
def two_bundles(tmp_path):
    out = tmp_path / "out"
    return [create_bundle(exercise_id="churn", candidate=name, out_dir=out) for name in ("Ada Lovelace", "Alan Turing")]


def test_zip_contents_and_manifest(two_bundles, sandbox_lock):
    info = two_bundles[0]
    files = zip_files(Path(info.path))
    assert sorted(files) == ["README.md", "bundle.json", "data/test.csv", "data/train.csv", "make_submission.py",
                             "notebook.ipynb", "requirements.txt"]
    manifest = json.loads(files["bundle.json"])
    assert manifest["exercise"] == "churn" and manifest["exercise_version"] == load_exercise("churn").version
    assert manifest["bundle_id"] == info.bundle_id and manifest["created_at"] == info.created_at
    assert manifest["files"] == {name: hashlib.sha256(content).hexdigest()
                                 for name, content in files.items() if name != "bundle.json"}
    assert files["requirements.txt"] == sandbox_lock
    readme = files["README.md"].decode()
    assert "Ada Lovelace" in readme and "5 hours" in readme and "{{" not in readme
    nbformat.validate(nbformat.reads(files["notebook.ipynb"].decode(), as_version=4))


def test_instructions_list_the_sandbox_libraries_from_the_lock_file_and_how_to_add_jupyter(two_bundles):
    readme = zip_files(Path(two_bundles[0].path))["README.md"].decode()
    pinned = locked_versions()
    for name in LIBRARIES:
        assert f"`{name}` {pinned[name]}" in readme
    assert "pip install jupyterlab -c requirements.txt" in readme
    assert f"We run your notebook with Python {PYTHON_VERSION} " in readme and "reuses its quotes" in readme


def test_candidates_get_different_data_each_reproducible_from_bundle_id_and_secret(two_bundles):
    exercise, secret = load_exercise("churn"), load_secret()
    contents = [zip_files(Path(info.path)) for info in two_bundles]
    assert contents[0]["data/train.csv"] != contents[1]["data/train.csv"]
    assert contents[0]["data/test.csv"] != contents[1]["data/test.csv"]
    for info, files in zip(two_bundles, contents, strict=True):
        seed = variant_seed(exercise_id="churn", bundle_id=info.bundle_id, secret=secret)
        regenerated = data_files(exercise=exercise, seed=seed)
        assert files["data/train.csv"] == regenerated["data/train.csv"]
        assert files["data/test.csv"] == regenerated["data/test.csv"]


def test_no_file_in_a_bundle_reveals_the_test_labels(two_bundles):
    exercise, secret = load_exercise("churn"), load_secret()
    for info in two_bundles:
        files = zip_files(Path(info.path))
        seed = variant_seed(exercise_id="churn", bundle_id=info.bundle_id, secret=secret)
        labels = hidden_labels(exercise=exercise, seed=seed)
        test_rows = list(csv.DictReader(io.StringIO(files["data/test.csv"].decode())))
        assert "churned" not in test_rows[0]
        assert [row["customer_id"] for row in test_rows] == labels["customer_id"].tolist()
        label_column = "\n".join(labels["churned"].astype(str))
        id_label_pairs = [f"{i},{t}".encode() for i, t in labels.head(50).itertuples(index=False)]
        for name, content in files.items():
            assert label_column.encode() not in content, name
            assert not any(pair in content for pair in id_label_pairs), name
            assert str(seed).encode() not in content, name
            if name != "data/test.csv":
                assert labels["customer_id"].iloc[0].encode() not in content, name
        assert "seed" not in json.loads(files["bundle.json"])


def test_registry_and_bundles_command_list_what_was_issued(two_bundles):
    assert [(b.candidate, b.bundle_id) for b in list_bundles()] == [(b.candidate, b.bundle_id) for b in two_bundles]
    result = CliRunner().invoke(harness, ["bundles"])
    assert result.exit_code == 0
    assert two_bundles[0].bundle_id in result.output and "Alan Turing" in result.output


def test_bundle_command_writes_zip(tmp_path):
    result = CliRunner().invoke(harness, ["bundle", "churn", "--candidate", "Grace Hopper", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [zip_path] = tmp_path.glob("churn-grace-hopper-*.zip")
    assert str(zip_path) in result.output


# --- the variant's reference scores, fitted when the bundle is issued ------------------------------

def cached_reference_scores(harness_home: Path) -> list[Path]:
    return sorted((harness_home / "cache" / "reference-scores").glob("*.json"))


def test_bundling_caches_the_variants_reference_scores_as_grading_would_fit_them(two_bundles, harness_home):
    from takehome_harness.harness.score_cache import scores_path

    exercise, secret = load_exercise("churn"), load_secret()
    assert len(cached_reference_scores(harness_home)) == 2
    for info in two_bundles:
        seed = variant_seed(exercise_id="churn", bundle_id=info.bundle_id, secret=secret)
        cached = json.loads(scores_path(exercise, seed).read_text())
        assert cached == exercise.generator_module.reference_model_scores(exercise.generate(seed=seed))
        assert cached["reference"]["roc_auc"] > cached["baseline"]["roc_auc"]


def test_a_reference_score_failure_never_stops_a_bundle(tmp_path, harness_home, monkeypatch):
    def broken(data):
        raise RuntimeError("the fit ran out of memory")

    with monkeypatch.context() as patch:
        patch.setattr(load_exercise("churn").generator_module, "reference_model_scores", broken)
        result = CliRunner().invoke(harness, ["bundle", "churn", "--candidate", "Ada", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "a").glob("churn-ada-*.zip"))) == 1
    assert "RuntimeError: the fit ran out of memory" in result.output and "grading will compute them" in result.output
    assert "Traceback" not in result.output
    assert not cached_reference_scores(harness_home)
    (harness_home / "cache").write_text("a file where the cache folder should be")
    warnings = []
    info = create_bundle(exercise_id="churn", candidate="Alan", out_dir=tmp_path / "b", on_warning=warnings.append)
    assert Path(info.path).is_file() and len(warnings) == 1 and "could not be computed in advance" in warnings[0]
    assert [b.candidate for b in list_bundles()] == ["Ada", "Alan"]


# --- variants -----------------------------------------------------------------------------------

def test_variant_seed_depends_on_every_input():
    seed = variant_seed(exercise_id="churn", bundle_id="abc", secret=b"s1")
    assert seed == variant_seed(exercise_id="churn", bundle_id="abc", secret=b"s1")
    assert seed != variant_seed(exercise_id="churn", bundle_id="abd", secret=b"s1")
    assert seed != variant_seed(exercise_id="churn", bundle_id="abc", secret=b"s2")
    assert seed != variant_seed(exercise_id="other", bundle_id="abc", secret=b"s1")
    assert 0 <= seed < 2**63


def test_secret_file_created_once_with_owner_only_permissions(harness_home):
    first = load_secret()
    path = secret_path()
    assert path.is_relative_to(harness_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and load_secret() == first


def test_secret_from_environment_wins(monkeypatch):
    monkeypatch.setenv("HARNESS_SECRET", "from-env")
    assert load_secret() == b"from-env"
    assert not secret_path().exists()


def test_secret_readable_by_others_is_refused():
    load_secret()
    os.chmod(secret_path(), 0o644)
    with pytest.raises(HarnessError, match="chmod 600"):
        load_secret()


# --- bad input through the CLI --------------------------------------------------------------------

def _one_clean_line(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_unknown_exercise_is_one_clear_line(tmp_path):
    line = _one_clean_line(CliRunner().invoke(harness, ["bundle", "nope", "--candidate", "X", "--out", str(tmp_path)]))
    assert "unknown exercise 'nope'" in line and "churn" in line


def test_unwritable_output_folder_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = _one_clean_line(CliRunner().invoke(
        harness, ["bundle", "churn", "--candidate", "X", "--out", str(blocker / "sub")]))
    assert "cannot use output folder" in line
    assert not list(tmp_path.rglob("*.zip"))


def test_empty_candidate_name_is_refused(tmp_path):
    result = CliRunner().invoke(harness, ["bundle", "churn", "--candidate", "  ", "--out", str(tmp_path)])
    line = _one_clean_line(result)
    assert "candidate name is empty" in line


def test_bundle_through_the_real_entry_point_reports_errors_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "takehome_harness.harness", "bundle", "missing-exercise", "--candidate", "X",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "HARNESS_HOME": str(tmp_path / "home")})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "unknown exercise" in result.stderr
    assert "Traceback" not in result.stderr


# --- make_submission.py ---------------------------------------------------------------------------

@pytest.fixture
def unpacked(tmp_path, two_bundles) -> Path:
    """The bundle as the candidate unpacks it, its make_submission.py told that this interpreter's Python is the
    sandbox's (the candidate on the sandbox's version)."""
    with zipfile.ZipFile(two_bundles[0].path) as archive:
        archive.extractall(tmp_path / "work")
    folder = tmp_path / "work" / TOP
    script = folder / "make_submission.py"
    sandbox = f'"python": "{PYTHON_VERSION}"'
    assert sandbox in script.read_text()
    script.write_text(script.read_text().replace(sandbox, f'"python": "{_this_python()}"'))
    return folder


def _this_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def solve(folder: Path, *, rows: list[tuple[str, str]] | None = None, header: str = "customer_id,churn_probability"):
    """A tiny 'solved' exercise: a one-cell notebook and predictions for every test id."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('model')")])
    nbformat.write(notebook, folder / "notebook.ipynb")
    if rows is None:
        with (folder / "data" / "test.csv").open() as handle:
            rows = [(row["customer_id"], f"{k % 10 / 10}") for k, row in enumerate(csv.DictReader(handle))]
    lines = [header] + [f"{i},{p}" for i, p in rows]
    (folder / "predictions.csv").write_text("\n".join(lines) + "\n")
    return rows


def run_script(folder: Path) -> subprocess.CompletedProcess:
    # the bare interpreter, outside any project venv: the script must need only the standard library
    return subprocess.run([sys.executable, "-I", str(folder / "make_submission.py")], cwd=folder.parent,
                          capture_output=True, text=True, timeout=60, check=False)


def test_make_submission_packs_a_valid_submission(unpacked):
    solve(unpacked)
    (unpacked / "NEXT_STEPS.md").write_text("More features.\n")
    (unpacked / ".ipynb_checkpoints").mkdir()
    (unpacked / ".ipynb_checkpoints" / "notebook-checkpoint.ipynb").write_text("{}")
    (unpacked / "scratch").mkdir()
    (unpacked / "scratch" / "train.csv").write_bytes((unpacked / "data" / "train.csv").read_bytes())
    result = run_script(unpacked)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(unpacked / "submission.zip") as archive:
        names = set(archive.namelist())
        assert archive.read("bundle.json") == (unpacked / "bundle.json").read_bytes()
    assert names == {"notebook.ipynb", "predictions.csv", "bundle.json", "NEXT_STEPS.md"}
    assert "left out scratch/train.csv" in result.stdout
    assert "reminder" not in result.stdout


def test_make_submission_reminds_when_it_runs_on_another_python_than_the_sandboxs(unpacked):
    solve(unpacked)
    assert "reminder" not in run_script(unpacked).stdout
    script = unpacked / "make_submission.py"
    script.write_text(script.read_text().replace(f'"python": "{_this_python()}"', '"python": "3.99"'))
    result = run_script(unpacked)
    assert result.returncode == 0, result.stderr
    assert f"reminder: this is Python {_this_python()}; we run your notebook with Python 3.99" in result.stdout


def test_make_submission_reminds_about_starter_leftovers_without_blocking(unpacked):
    with (unpacked / "data" / "test.csv").open() as handle:
        ids = [row["customer_id"] for row in csv.DictReader(handle)]
    (unpacked / "predictions.csv").write_text("customer_id,churn_probability\n" + "".join(f"{i},0.15\n" for i in ids))
    result = run_script(unpacked)  # the starter notebook, untouched
    assert result.returncode == 0, result.stderr
    assert "still contains the placeholder 'Write your next steps here.'" in result.stdout
    assert "every churn_probability is the same value" in result.stdout
    (unpacked / "NEXT_STEPS.md").write_text("Plans.\n")
    assert "placeholder" not in run_script(unpacked).stdout


def _drop_first(rows):
    return rows[1:]


def _out_of_range(rows):
    return [(rows[0][0], "1.5")] + rows[1:]


def _blank(rows):
    return [(rows[0][0], "")] + rows[1:]


def _duplicate(rows):
    return rows + [rows[0]]


def _not_a_number(rows):
    return [(rows[0][0], "high")] + rows[1:]


@pytest.mark.parametrize("mangle, expected", [
    (_drop_first, "have no prediction"),
    (_out_of_range, "outside [0, 1]"),
    (_blank, "empty churn_probability"),
    (_duplicate, "appear more than once"),
    (_not_a_number, "not numbers"),
])
def test_make_submission_rejects_bad_predictions(unpacked, mangle, expected):
    rows = solve(unpacked)
    solve(unpacked, rows=mangle(rows))
    result = run_script(unpacked)
    assert result.returncode == 1
    assert "NOT SUBMITTED" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (unpacked / "submission.zip").exists()


def test_make_submission_rejects_wrong_columns(unpacked):
    rows = solve(unpacked)
    solve(unpacked, rows=rows, header="customer_id,prediction")
    result = run_script(unpacked)
    assert result.returncode == 1 and "exactly the columns customer_id, churn_probability" in result.stderr


def test_make_submission_rejects_missing_or_broken_notebook(unpacked):
    solve(unpacked)
    (unpacked / "notebook.ipynb").unlink()
    result = run_script(unpacked)
    assert result.returncode == 1 and "notebook.ipynb is missing" in result.stderr
    (unpacked / "notebook.ipynb").write_text("{not json")
    result = run_script(unpacked)
    assert result.returncode == 1 and "not a valid notebook" in result.stderr
    assert not (unpacked / "submission.zip").exists()


def test_make_submission_rejects_missing_predictions(unpacked):
    solve(unpacked)
    (unpacked / "predictions.csv").unlink()
    result = run_script(unpacked)
    assert result.returncode == 1 and "predictions.csv is missing" in result.stderr


def _record_many(worker: int) -> None:
    from takehome_harness.harness.bundle_registry import BundleInfo, record_bundle

    for n in range(50):
        record_bundle(BundleInfo(bundle_id=f"w{worker}-{n}", exercise_id="churn", exercise_version="1.0",
                                 candidate="x" * 2000, created_at="2026-01-01T00:00:00+00:00", path="p.zip"))


def test_concurrent_bundles_never_interleave_registry_lines(tmp_path, monkeypatch):
    import multiprocessing

    monkeypatch.setenv("HARNESS_HOME", str(tmp_path))
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_record_many, range(4))
    assert sorted(b.bundle_id for b in list_bundles()) == sorted(f"w{w}-{n}" for w in range(4) for n in range(50))


def write_notebook(folder: Path, *sources: str) -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]),
                   folder / "notebook.ipynb")


WRITE_PREDICTIONS = ("import csv\n"
                     "ids = [row['customer_id'] for row in csv.DictReader(open('data/test.csv'))]\n"
                     "with open('predictions.csv', 'w') as f:\n"
                     "    f.write('customer_id,churn_probability\\n' + ''.join(f'{i},0.5\\n' for i in ids))")


def run_script_with(folder: Path, *args: str, total: int | None = None, cell: int | None = None):
    if total is not None:  # the same script, made for an exercise with shorter limits
        exercise = load_exercise("churn")
        exercise = dataclasses.replace(exercise, spec={**exercise.spec, "sandbox": {**exercise.spec["sandbox"],
                                                                                     "total_seconds": total,
                                                                                     "cell_seconds": cell}})
        (folder / "make_submission.py").write_bytes(render_submission_script(exercise))
    return subprocess.run([sys.executable, "-I", str(folder / "make_submission.py"), *args], cwd=folder.parent,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.slow
def test_make_submission_run_names_the_first_failing_cell_and_does_not_pack(unpacked):
    solve(unpacked)
    write_notebook(unpacked, "import pandas as pd", "x = 1", "# a comment\n", "y = x + 1",
                   "train = pd.read_csv('data/train.csv')\ntrain['no_such_column'].mean()", "print('never')")
    result = run_script_with(unpacked, "--run")
    assert result.returncode == 1
    assert "failed in cell 5 (\"train = pd.read_csv('data/train.csv')\"): KeyError" in result.stderr
    assert "no_such_column" in result.stderr and not (unpacked / "submission.zip").exists()


@pytest.mark.slow
def test_make_submission_run_says_when_the_notebook_runs_past_the_time_limit(unpacked):
    solve(unpacked)
    write_notebook(unpacked, "import time", "time.sleep(120)")
    result = run_script_with(unpacked, "--run", total=20, cell=200)
    assert result.returncode == 1
    assert "went past the time limit of 20 s in cell 2 ('time.sleep(120)')" in result.stderr
    assert result.stderr.count("\n") == 1                                # one sentence, no kernel chatter
    assert not (unpacked / "submission.zip").exists()


@pytest.mark.slow
def test_make_submission_run_packs_a_good_notebook_as_without_run(unpacked):
    solve(unpacked)
    write_notebook(unpacked, WRITE_PREDICTIONS)
    (unpacked / "predictions.csv").unlink()               # the clean run makes its own; the folder's is still needed
    result = run_script_with(unpacked, "--run")
    assert result.returncode == 1 and "predictions.csv is missing" in result.stderr
    solve(unpacked)
    write_notebook(unpacked, WRITE_PREDICTIONS)
    result = run_script_with(unpacked, "--run")
    assert result.returncode == 0, result.stderr
    assert "clean run: every cell ran in" in result.stdout and "valid predictions.csv (" in result.stdout
    assert "differs from the one the clean run wrote" in result.stdout   # solve() wrote other probabilities
    with zipfile.ZipFile(unpacked / "submission.zip") as archive:
        assert set(archive.namelist()) == {"notebook.ipynb", "predictions.csv", "bundle.json"}
    assert not list(unpacked.glob("*.partial"))
