"""Trace loading and analysis on hand-made events."""
from __future__ import annotations

import json

from takehome_harness.graders._trace import RowSet, analyse, heldout_scores, load_trace
from trace_events import fit, metric, predict, rows


def test_load_trace_skips_malformed_lines(tmp_path):
    path = tmp_path / "trace.jsonl"
    path.write_bytes(b'{"ev": "hook_start"}\nnot json\n[1, 2]\n{"no_ev": 1}\n\xff\xfe\n{"ev": "cell", "n": 1}\n')
    assert [e["ev"] for e in load_trace(path)] == ["hook_start", "cell"]
    assert load_trace(tmp_path / "missing.jsonl") == [] and load_trace(None) == []


def test_load_trace_skips_a_forged_deeply_nested_line(tmp_path):
    trace = tmp_path / "trace.jsonl"
    trace.write_text("[" * 100_000 + "\n" + json.dumps({"ev": "hook_start", "id": 1}) + "\n")
    assert [e["ev"] for e in load_trace(trace)] == ["hook_start"]


def test_numbers_out_of_any_plausible_range_are_read_as_missing_with_a_warning(tmp_path):
    trace = tmp_path / "trace.jsonl"
    lines = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", rows(80, 100))]
    lines = [json.dumps(e) for e in lines] + [
        json.dumps(metric(3, 2, 0.5)).replace("0.5", "1.7e308"),
        json.dumps(metric(4, 2, 0.5)).replace("0.5", "9" * 400),
        json.dumps(metric(5, 2, 0.5)).replace("0.5", "NaN"),
        json.dumps(metric(6, 2, 0.71)),
    ]
    trace.write_text("\n".join(lines) + "\n")
    warnings: list[str] = []
    events = load_trace(trace, warnings)
    assert [e["value"] for e in events if e["ev"] == "metric"] == [None, None, None, 0.71]
    assert len(warnings) == 1 and "3 number(s) outside any plausible range" in warnings[0]
    assert [s.value for s in heldout_scores(events)] == [0.71]


def test_forged_numbers_in_events_are_not_trusted_even_when_they_reach_the_analysis():
    events = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", rows(80, 100)),
              metric(3, 2, float("inf")), metric(4, 2, 10**400), {**metric(5, 2, 0.7), "cell": 10**400}]
    assert [e.value for e in analyse(events).evaluations] == [None, None, 0.7]
    assert analyse(events).evaluations[-1].cell is None


def test_row_sets_compare_at_the_coarser_sampling():
    fine = RowSet.of({"n": 100, "mod": 1, "h": list(range(100))})
    coarse = RowSet.of({"n": 400, "mod": 4, "h": [h for h in range(400) if h % 4 == 0]})
    assert fine.share_in(coarse) == 1.0                  # every sampled row of `fine` (multiples of 4) is in coarse
    assert RowSet.of({"n": 5, "mod": 1, "h": [0, 4]}).share_in(coarse) is None   # too few rows to say


def test_held_out_and_training_set_evaluations_are_told_apart():
    events = [fit(1, "e1", "LogisticRegression", rows(0, 80)),
              predict(2, "e1", "LogisticRegression", rows(0, 80)), metric(3, 2, 0.95),
              predict(4, "e1", "LogisticRegression", rows(80, 100)), metric(5, 4, 0.71)]
    evaluations = analyse(events).evaluations
    assert [(e.heldout, e.overlap) for e in evaluations] == [(False, 1.0), (True, 0.0)]


def test_a_few_duplicate_rows_do_not_make_an_evaluation_a_training_one():
    held = rows(80, 100)
    held["h"][:2] = [0, 1]                       # two duplicates of training rows in the held-out part
    events = [fit(1, "e1", "LogisticRegression", rows(0, 80)), predict(2, "e1", "LogisticRegression", held),
              metric(3, 2, 0.7)]
    (evaluation,) = analyse(events).evaluations
    assert evaluation.heldout is True and evaluation.overlap == 0.1


def test_heldout_scores_for_the_score_check():
    events = [fit(1, "e1", "DummyClassifier", rows(0, 80)), predict(2, "e1", "DummyClassifier", rows(80, 100),
                                                                     constant=True),
              metric(3, 2, 0.5),
              fit(4, "e2", "LogisticRegression", rows(0, 80)), predict(5, "e2", "LogisticRegression", rows(80, 100)),
              metric(6, 5, 0.8)]
    scores = heldout_scores(json.loads(json.dumps(events)))
    assert [(s.metric, s.value, s.heldout, s.is_baseline, s.model) for s in scores] == [
        ("roc_auc", 0.5, True, True, "DummyClassifier"), ("roc_auc", 0.8, True, False, "LogisticRegression")]
