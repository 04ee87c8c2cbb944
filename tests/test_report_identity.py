"""The report-identity comparison: two runs match when only timestamps, timings and the like differ, and every
real difference is named with its place in the report."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from corpus.identity import compare_runs, comparable, differences

from takehome_harness.harness.report.build import rejected_report
from takehome_harness.harness.report.json_report import report_document
from takehome_harness.harness.report.model import SubmissionInfo


def _report(**run: object) -> dict:
    """A real report document (it must validate: every report.json under pytest's temp folders is checked)."""
    info = SubmissionInfo(label="case", kind="zip", input_sha256="0" * 64, source_name="case.zip")
    document = report_document(rejected_report(info=info, started="2026-01-01T10:00:00+00:00",
                                               message="no notebook", blind=False))
    document["run"].update({"backend": "docker", "wall_seconds": 8.2, "peak_memory_mb": 310.0,
                            "cell_seconds": [0.1, 2.5], "image": "takehome-sandbox:abc", **run})
    document["scores"].update(hidden={"roc_auc": 0.81}, claimed_primary=0.83)
    return document


def _write(root: Path, name: str, document: dict) -> None:
    path = root / "reports" / name / "report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document))


def test_runs_that_differ_only_in_times_are_identical(tmp_path):
    first, second = _report(), _report(wall_seconds=11.0, cell_seconds=[0.3, 4.0], image="takehome-sandbox:def")
    second["started_at"] = "2026-02-02T09:00:00+00:00"
    runs = ((first, 19, "cell 9 5.0 s, cell 14 4.7 s"), (second, 38, "cell 14 9.1 s, cell 9 8.0 s"))
    for document, seconds, slowest in runs:
        finding = document["findings"][0]
        finding["explanation"] = f"The notebook ran top to bottom in a clean environment in {seconds} s."
        finding["details"] = {"wall_seconds": seconds, "slowest_cells": [{"cell": 9, "seconds": seconds / 4}]}
        finding["evidence"][0]["summary"] = f"slowest cells: {slowest}"
    assert comparable(first) == comparable(second)
    assert "started_at" not in comparable(first) and "wall_seconds" not in comparable(first)["run"]
    _write(tmp_path / "a", "churn/case", first)
    _write(tmp_path / "b", "churn/case", second)
    assert compare_runs(tmp_path / "a", tmp_path / "b") == {}


def test_every_real_difference_is_named(tmp_path):
    first = _report()
    second = copy.deepcopy(first)
    second["findings"][0]["status"] = "concern"
    second["scores"]["hidden"]["roc_auc"] = 0.79
    second["run"]["backend"] = "local"
    assert list(differences(comparable(first), comparable(second))) == [
        'findings[0].status: "fail" != "concern"', 'run.backend: "docker" != "local"',
        "scores.hidden.roc_auc: 0.81 != 0.79"]
    _write(tmp_path / "a", "churn/case", first)
    _write(tmp_path / "b", "churn/case", second)
    _write(tmp_path / "a", "churn/gone", first)
    _write(tmp_path / "a", "churn/exec_careless_unseeded", first)
    _write(tmp_path / "b", "churn/exec_careless_unseeded", second)
    found = compare_runs(tmp_path / "a", tmp_path / "b")
    assert set(found) == {"churn/case/report.json", "churn/gone/report.json",
                          "churn/exec_careless_unseeded/report.json (unseeded by design)"}
    assert found["churn/gone/report.json"] == [f"only in {tmp_path / 'a'}"]


def test_lists_of_other_lengths_and_missing_keys_differ():
    assert list(differences({"debrief": [1, 2]}, {"debrief": [1]})) == ["debrief: [1, 2] != [1]"]
    assert list(differences({"a": 1}, {"b": 1})) == ["a: only in first", "b: only in second"]
