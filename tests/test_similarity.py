"""Shared code across a batch (takehome_harness.harness.similarity): near-copies are found, independent work and the
starter's own code are not. Pure comparison: no sandbox, no Docker."""
from __future__ import annotations

from collections import Counter

from corpus.shared_work import disguised_reference, independent_notebooks, reference, starter, starter_filled_in

from takehome_harness.harness.similarity import NotebookCode, code_cells, similar_pairs


def codes(notebooks: dict) -> list[NotebookCode]:
    return [NotebookCode(key, code_cells(nb)) for key, nb in notebooks.items()]


def test_a_disguised_copy_among_eight_independent_notebooks_is_the_only_pair():
    batch = {**independent_notebooks(), "original": reference(), "disguised": disguised_reference()}
    assert len(batch) == 10
    pairs = similar_pairs(codes(batch), starter=starter())
    assert [(p.left, p.right) for p in pairs] == [("original", "disguised")]
    pair = pairs[0]
    assert pair.left_share > 0.9 and pair.right_share > 0.9
    # the moved cells are matched to where they went: reference cells 3, 7, 9 and 10 sit at 7, 4, 10 and 9
    matched = {m.left.index: m.right.index for m in pair.cells}
    assert (matched[3], matched[7], matched[9], matched[10], matched[16]) == (7, 4, 10, 9, 16)
    assert "X_tr" in next(m.right.source for m in pair.cells if m.left.index == 9)


def test_the_starters_own_code_never_makes_a_pair():
    untouched = {"a": starter(), "b": starter(), "filled": starter_filled_in()}
    assert similar_pairs(codes(untouched), starter=starter(), min_shared=0) == []
    # what keeps them apart is the starter's code being removed: compared as they are, they match in full
    as_given = similar_pairs(codes(untouched), starter=None, min_shared=0)
    assert {(p.left, p.right) for p in as_given} == {("a", "b"), ("a", "filled"), ("b", "filled")}


def test_copied_work_still_counts_when_pasted_into_the_starter():
    copied = starter()
    work = [c for c in reference().cells if c.cell_type == "code"][2:]
    copied.cells[5:6] = work  # the reference's work pasted over the starter's baseline placeholder
    pairs = similar_pairs(codes({"original": reference(), "pasted": copied, **independent_notebooks()}),
                          starter=starter())
    assert [(p.left, p.right) for p in pairs] == [("original", "pasted")]


def test_code_in_many_pairs_is_fingerprinted_once_and_each_pair_of_cells_compared_once(monkeypatch):
    import takehome_harness.harness.similarity as similarity

    made: Counter = Counter()
    compared: list = []
    real_print, real_overlap = similarity._fingerprint, similarity._overlap

    def counting_print(code, **options):
        made[code] += 1
        return real_print(code, **options)

    def counting_overlap(left, right):
        compared.append(1)
        return real_overlap(left, right)

    monkeypatch.setattr(similarity, "_fingerprint", counting_print)
    monkeypatch.setattr(similarity, "_overlap", counting_overlap)
    batch = {"original": reference(), "disguised": disguised_reference(), "again": reference()}
    pairs = similar_pairs(codes(batch), starter=starter())
    assert len(pairs) == 3 and all(p.cells for p in pairs)
    cells = {c.source for nb in batch.values() for c in code_cells(nb)}
    assert {source: made[source] for source in cells} == dict.fromkeys(cells, 1)
    cell_pairs = {(a.source, b.source) for p in pairs
                  for a in code_cells(batch[p.left]) for b in code_cells(batch[p.right])}
    assert len(compared) == 3 + len(cell_pairs)   # the three notebook pairs, then each distinct pair of cells


def test_notebooks_without_code_compare_to_nothing():
    empty = {"md-only": {"cells": [{"cell_type": "markdown", "source": "# hi"}]}, "blank": {"cells": []},
             "ref": reference()}
    assert similar_pairs(codes(empty), starter=starter(), min_shared=0) == []


def test_the_similarity_is_the_same_in_every_process():
    """Python salts str hashes per process; the shares must not depend on it, or a pair near the threshold
    would be flagged in one run and not in the next."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("import json, sys; sys.path.insert(0, 'tests')\n"
              "from corpus.shared_work import independent_notebooks, reference, disguised_reference, starter\n"
              "from takehome_harness.harness.similarity import NotebookCode, code_cells, similar_pairs\n"
              "batch = {**independent_notebooks(), 'original': reference(), 'disguised': disguised_reference()}\n"
              "pairs = similar_pairs([NotebookCode(k, code_cells(nb)) for k, nb in batch.items()],\n"
              "                      starter=starter(), threshold=0.0, min_shared=0)\n"
              "print(json.dumps([[p.left, p.right, p.left_share, p.right_share, p.shared_tokens] for p in pairs]))\n")
    root = Path(__file__).parents[1]
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], cwd=root, check=True, capture_output=True,
                                      text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout)
            for seed in ("1", "2")]
    assert runs[0] == runs[1] and len(runs[0]) == 45
