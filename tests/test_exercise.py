"""The churn exercise definition, its notebooks, and loading exercises from an installed package."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

import takehome_harness.harness.exercise as exercise_module
from takehome_harness.datasets.churn import score_probabilities
from takehome_harness.exercises.churn import notebooks
from takehome_harness.harness.cli import harness
from takehome_harness.harness.errors import HarnessError
from takehome_harness.harness.exercise import list_exercises, load_exercise, parse_exercise
from takehome_harness.harness.materialize import hidden_labels, reference_scores, write_data

ROOT = Path(__file__).resolve().parents[1]
CHURN_JSON = ROOT / "exercises" / "churn" / "exercise.json"


def broken_spec_folder(tmp_path: Path, mutate) -> Path:
    folder = tmp_path / "churn"
    folder.mkdir()
    spec = json.loads(CHURN_JSON.read_text())
    mutate(spec)
    (folder / "exercise.json").write_text(json.dumps(spec))
    return folder


def test_churn_loads_with_the_agreed_contract():
    exercise = load_exercise("churn")
    assert (exercise.id_columns, exercise.target_column) == (("customer_id",), "churned")
    assert exercise.predictions["columns"] == ["customer_id", "churn_probability"]
    assert exercise.leak_columns == ["cancellation_reason"]
    data = exercise.generate(seed=exercise.default_seed)
    assert set(exercise.leak_columns) <= set(data.test.columns)
    assert exercise.time_column in data.train.columns


@pytest.mark.parametrize("mutate, field", [
    (lambda s: s.pop("target_column"), "(top level)"),
    (lambda s: s["predictions"].update(columns="customer_id"), "predictions/columns"),
    (lambda s: s["sandbox"].update(memory_mb=1), "sandbox/memory_mb"),
    (lambda s: s["data"].update(generator="not a generator"), "data/generator"),
])
def test_broken_exercise_file_names_the_field(tmp_path, mutate, field):
    folder = broken_spec_folder(tmp_path, mutate)
    with pytest.raises(HarnessError) as caught:
        parse_exercise((folder / "exercise.json").read_text(), folder=folder, source="churn/exercise.json")
    assert f"field '{field}'" in str(caught.value)


def test_exercise_file_that_is_not_json_says_where(tmp_path):
    with pytest.raises(HarnessError, match=r"not valid JSON \(line 1"):
        parse_exercise("{oops", folder=tmp_path, source="x/exercise.json")


def test_broken_exercise_file_through_the_cli_is_one_line(tmp_path, monkeypatch):
    folder = broken_spec_folder(tmp_path, lambda s: s.pop("metrics"))
    monkeypatch.setattr(exercise_module, "_exercise_folders", lambda: {"churn": folder})
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    for args in (["bundle", "churn", "--candidate", "X", "--out", str(tmp_path / "out")], ["exercises"]):
        result = CliRunner().invoke(harness, args)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert result.output.strip().count("\n") == 0
        assert "exercises/churn/exercise.json" in result.output and "metrics" in result.output


def test_exercises_command_lists_each_with_task_metric_and_time_box():
    result = CliRunner().invoke(harness, ["exercises"])
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()}
    assert rows["churn"][2:5] == ["binary_classification", "roc_auc", "5h"]
    assert rows["delivery"][2:5] == ["regression", "mae", "4h"]


NOTEBOOK_SOURCES = {ex.id: importlib.import_module(f"takehome_harness.exercises.{ex.id}.notebooks")
                    for ex in list_exercises()
                    if importlib.util.find_spec(f"takehome_harness.exercises.{ex.id}.notebooks") is not None}


@pytest.mark.parametrize("exercise_id, relative", [(e, r) for e, m in NOTEBOOK_SOURCES.items() for r in m.NOTEBOOKS])
def test_committed_notebooks_are_built_from_the_source(exercise_id, relative):
    source = NOTEBOOK_SOURCES[exercise_id]
    committed = (ROOT / "exercises" / exercise_id / relative).read_text(encoding="utf-8")
    assert committed == source.render(source.NOTEBOOKS[relative]()), \
        f"run: .venv/bin/python -m takehome_harness.exercises.{exercise_id}.notebooks"


@pytest.mark.parametrize("exercise", list_exercises(), ids=lambda e: e.id)
def test_every_exercise_ships_what_bundles_and_grading_need(exercise):
    for name in ("README.md", "starter.ipynb", "reference_solution.ipynb", "example_submission/notebook.ipynb"):
        assert exercise.file(name).is_file(), name
    data = exercise.generate(seed=exercise.default_seed)
    assert exercise.target_column in data.train.columns and exercise.target_column not in data.test.columns
    assert list(data.labels.columns) == [*exercise.id_columns, exercise.target_column]
    assert set(exercise.leak_columns) <= set(data.train.columns) & set(data.test.columns)
    assert exercise.time_column is None or exercise.time_column in data.train.columns


def test_declared_metric_direction_must_match_the_metric(tmp_path):
    folder = broken_spec_folder(tmp_path, lambda s: s["metrics"].update(higher_is_better=False))
    with pytest.raises(HarnessError, match="metrics/higher_is_better"):
        parse_exercise((folder / "exercise.json").read_text(), folder=folder, source="churn/exercise.json")


def test_a_generator_named_as_before_the_packages_moved_gets_its_new_name(tmp_path):
    before = load_exercise("churn").spec["data"]["generator"].removeprefix("takehome_harness.")
    folder = broken_spec_folder(tmp_path, lambda s: s["data"].update(generator=before))
    with pytest.raises(HarnessError, match=re.escape(f"field 'data/generator' is {before}")) as caught:
        parse_exercise((folder / "exercise.json").read_text(), folder=folder, source="churn/exercise.json")
    assert str(caught.value).endswith(f"write takehome_harness.{before}")


def test_starter_has_the_sections_and_the_exact_placeholder():
    exercise = load_exercise("churn")
    starter = nbformat.reads(exercise.file("starter.ipynb").read_text(), as_version=4)
    headings = [line.lstrip("# ").strip().lower() for cell in starter.cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")]
    for section in ["exploration", "baseline", "evaluation", "model", "predictions", "next steps"]:
        assert section in headings
    next_steps = next(c for c in starter.cells if c.cell_type == "markdown" and "Next steps" in c.source)
    assert exercise.writeup_hints["starter_text"] == [notebooks.STARTER_NEXT_STEPS]
    assert notebooks.STARTER_NEXT_STEPS in next_steps.source
    code = "\n".join(c.source for c in starter.cells if c.cell_type == "code")
    assert 'read_csv("data/train.csv")' in code and 'read_csv("data/test.csv")' in code
    assert 'to_csv("predictions.csv", index=False)' in code


def run_notebook_here(notebook_path: Path, workdir: Path, seed: int) -> pd.DataFrame:
    """Execute a notebook on a variant's data (in-process kernel, no sandbox) and score its predictions."""
    exercise = load_exercise("churn")
    write_data(exercise=exercise, seed=seed, dest_dir=workdir)
    notebook = nbformat.read(notebook_path, as_version=4)
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(workdir)}}).execute()
    predictions = pd.read_csv(workdir / "predictions.csv")
    assert list(predictions.columns) == ["customer_id", "churn_probability"]
    assert predictions["churn_probability"].between(0, 1).all()
    return predictions.merge(hidden_labels(exercise=exercise, seed=seed), on="customer_id", validate="one_to_one")


@pytest.mark.slow
def test_reference_solution_is_honest_and_near_the_reference_score(tmp_path):
    seed = 11
    scored = run_notebook_here(ROOT / "exercises" / "churn" / "reference_solution.ipynb", tmp_path, seed)
    assert len(scored) == 2000
    auc = score_probabilities(scored["churned"], scored["churn_probability"])["roc_auc"]
    expected = reference_scores(exercise=load_exercise("churn"), seed=seed)
    assert expected["reference"]["roc_auc"] - 0.02 <= auc <= expected["ceiling"]["roc_auc"]
    source = "\n".join(c.source for c in notebooks.reference_solution().cells)
    for must in ["DummyClassifier", "roc_auc_score", "HistGradientBoostingClassifier", "'cancellation_reason'",
                 "random_state=RANDOM_STATE", "make_pipeline"]:
        assert must in source


@pytest.mark.slow
def test_example_submission_runs_and_beats_the_baseline(tmp_path):
    scored = run_notebook_here(ROOT / "exercises" / "churn" / "example_submission" / "notebook.ipynb", tmp_path, 12)
    assert score_probabilities(scored["churned"], scored["churn_probability"])["roc_auc"] > 0.7


@pytest.mark.slow
def test_non_editable_install_finds_exercises_and_templates(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", str(ROOT), "--target", str(target), "--no-deps",
                    "--quiet", "--disable-pip-version-check"], check=True, timeout=300,
                   capture_output=True)
    probe = (
        "from takehome_harness import harness, datasets\n"
        "from takehome_harness.harness.exercise import load_exercise\n"
        "from takehome_harness.harness.bundle import render_submission_script, render_instructions\n"
        "ex = load_exercise('churn')\n"
        "assert ex.file('starter.ipynb').is_file() and ex.file('reference_solution.ipynb').is_file()\n"
        "assert ex.file('example_submission').joinpath('notebook.ipynb').is_file()\n"
        "assert b'CONTRACT' in render_submission_script(ex)\n"
        "assert b'Ada' in render_instructions(ex, candidate='Ada')\n"
        "print(harness.__file__, datasets.__file__, len(ex.generate(seed=1).train))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    harness_file, datasets_file, rows = result.stdout.split()
    assert harness_file.startswith(str(target)) and datasets_file.startswith(str(target))
    assert int(rows) > 5000


def test_reference_scores_are_cached_on_disk_per_variant(harness_home, monkeypatch):
    from takehome_harness.harness import materialize

    exercise = load_exercise("churn")
    materialize._reference_scores_cached.cache_clear()   # other tests' variants stay out of this one
    first = reference_scores(exercise=exercise, seed=5)
    cached = list((harness_home / "cache" / "reference-scores").glob("*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text()) == first

    calls = []
    scorer = exercise.generator_module.reference_model_scores
    monkeypatch.setattr(exercise.generator_module, "reference_model_scores",
                        lambda data: calls.append(data) or scorer(data))
    materialize._reference_scores_cached.cache_clear()
    assert reference_scores(exercise=exercise, seed=5) == first and calls == []   # read back, not refitted
    materialize._reference_scores_cached.cache_clear()
    other = reference_scores(exercise=exercise, seed=6)
    assert len(calls) == 1 and other != first                                        # another variant is fitted
    cached[0].write_text("{not json")
    materialize._reference_scores_cached.cache_clear()
    assert reference_scores(exercise=exercise, seed=5) == first and len(calls) == 2  # a broken file is recomputed


def test_a_change_to_the_metric_code_is_a_new_cache_key(tmp_path, monkeypatch):
    """The metrics are the harness's own code (no library version to key on): changed, the cached reference
    scores are scored again."""
    from takehome_harness.harness import score_cache

    exercise = load_exercise("churn")
    before = score_cache.variant_key(exercise, 5)
    edited = tmp_path / "metric_functions.py"
    edited.write_text(score_cache.metric_code().read_text() + "# fixed\n")
    monkeypatch.setattr(score_cache, "metric_code", lambda: edited)
    assert score_cache.variant_key(exercise, 5) != before
