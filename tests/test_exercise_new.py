"""`harness exercise new`: a team's CSV becomes a complete exercise with per-candidate variants; bad input is
one clear line."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from own_data import write_tickets_csv

from takehome_harness.harness.bundle import create_bundle
from takehome_harness.harness.cli import harness
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.materialize import data_files, hidden_labels
from takehome_harness.harness.variants import load_secret, variant_seed


@pytest.fixture
def own_exercises(tmp_path, monkeypatch, harness_home):
    root = tmp_path / "team-exercises"
    monkeypatch.setenv("HARNESS_EXERCISES", str(root))
    csv = write_tickets_csv(tmp_path / "tickets.csv")
    return root, csv


def new(root: Path, csv: Path, exercise_id: str, *extra: str):
    return CliRunner().invoke(harness, ["exercise", "new", exercise_id, "--from", str(csv), "--id", "ticket",
                                        "--drop", "email", "--out", str(root), *extra])


def test_time_split_classification_exercise_is_complete_and_valid(own_exercises):
    root, csv = own_exercises
    result = new(root, csv, "escalation", "--target", "escalated", "--time", "opened", "--drop", "cost")
    assert result.exit_code == 0, result.output
    assert "binary_classification, 1500 rows, time split" in result.output
    exercise = load_exercise("escalation")
    assert exercise.task_type == "binary_classification" and exercise.primary_metric == "roc_auc"
    assert exercise.predictions["columns"] == ["ticket", "escalated_probability"]
    readme = exercise.file("README.md").read_text()
    assert "| `wait_hours` | number | 11% |" in readme and "1 means `yes`" in readme and "email" not in readme
    for name in ("starter.ipynb", "reference_solution.ipynb"):
        nbformat.validate(nbformat.reads(exercise.file(name).read_text(), as_version=4))
    data = exercise.generate(seed=1)
    source = pd.read_csv(csv)
    # the test set is the last period, the same rows for every candidate
    assert pd.to_datetime(data.train["opened"]).max() < pd.to_datetime(data.test["opened"]).min()
    assert len(data.test) == 300 and set(data.labels["escalated"]) == {0, 1}
    assert "email" not in data.train.columns and "cost" not in data.train.columns
    assert set(data.test["opened"]) == set(exercise.generate(seed=2).test["opened"])
    assert set(data.test["opened"]) == set(source.sort_values("opened")["opened"].tail(300))


def test_random_split_regression_exercise(own_exercises):
    root, csv = own_exercises
    result = new(root, csv, "cost", "--target", "cost", "--drop", "escalated")
    assert result.exit_code == 0, result.output
    exercise = load_exercise("cost")
    assert (exercise.task_type, exercise.primary_metric, exercise.time_column) == ("regression", "mae", None)
    data = exercise.generate(seed=3)
    assert len(data.test) == 300 and 0.85 * 1200 < len(data.train) < 0.95 * 1200
    assert pd.api.types.is_numeric_dtype(data.labels["cost"])


def test_two_bundles_differ_in_rows_and_ids_and_each_is_rebuilt_from_its_id_and_the_secret(own_exercises, tmp_path):
    root, csv = own_exercises
    assert new(root, csv, "escalation", "--target", "escalated", "--time", "opened").exit_code == 0
    exercise = load_exercise("escalation")
    bundles = [create_bundle(exercise_id="escalation", candidate=name, out_dir=tmp_path / "b")
               for name in ("Ada", "Alan")]
    contents, trains = [], []
    for info in bundles:
        with zipfile.ZipFile(info.path) as archive:
            files = {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}
        contents.append(files)
        seed = variant_seed(exercise_id="escalation", bundle_id=info.bundle_id, secret=load_secret())
        rebuilt = data_files(exercise=exercise, seed=seed)
        assert files["data/train.csv"] == rebuilt["data/train.csv"] and files["data/test.csv"] == rebuilt["data/test.csv"]
        trains.append(pd.read_csv(io.BytesIO(files["data/train.csv"])))
        labels = hidden_labels(exercise=exercise, seed=seed)
        test = pd.read_csv(io.BytesIO(files["data/test.csv"]))
        assert "escalated" not in test.columns and test["ticket"].tolist() == labels["ticket"].tolist()
        assert not any(name.endswith("source.csv") for name in files)
        pairs = [f"{i},{t}".encode() for i, t in labels.itertuples(index=False)]
        for name, content in files.items():
            assert not any(pair in content for pair in pairs), name
        assert "seed" not in json.loads(files["bundle.json"])
    # different training rows (by their original open time) and different ids, test ids included
    assert set(trains[0]["opened"]) != set(trains[1]["opened"])
    assert not set(trains[0]["ticket"]) & set(pd.read_csv(csv)["ticket"])
    first_test, second_test = (pd.read_csv(io.BytesIO(c["data/test.csv"]))["ticket"] for c in contents)
    assert len(set(first_test) & set(second_test)) < 0.1 * len(first_test)


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("change, args, message", [
    (None, ["--target", "nope"], "--target nope: no such column"),
    (lambda f: f.assign(escalated="no"), ["--target", "escalated"], "the target is constant"),
    (lambda f: f.assign(ticket=f["ticket"].where(f.index != 5, "T00001")), ["--target", "escalated"],
     "--id ticket: ids must be unique"),
    (lambda f: f.head(40), ["--target", "escalated"], "40 rows; an exercise needs at least 100"),
    (lambda f: f.assign(opened=f["opened"].where(f.index != 7, "last tuesday")),
     ["--target", "escalated", "--time", "opened"], "--time opened: 1 value(s) are not dates, e.g. 'last tuesday'"),
    (None, ["--target", "segment"], "3 distinct text values"),
])
def test_bad_input_is_one_clear_line_and_writes_nothing(own_exercises, tmp_path, change, args, message):
    root, csv = own_exercises
    frame = pd.read_csv(csv)
    source = _write(tmp_path, change(frame)) if change else csv
    result = new(root, source, "broken", *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (root / "broken").exists()
