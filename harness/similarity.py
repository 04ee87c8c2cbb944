"""Shared code across a batch: every pair of notebooks compared with copydetect's winnowed fingerprints
(the MOSS method), after the starter notebook's own code is removed.

copydetect tokenises the code and replaces every name with one letter, so renamed variables still match, and
fingerprints are k-grams of that token stream, so cells moved around still match. The starter's fingerprints
are its "boilerplate": code every candidate was given never counts as shared. A pair is reported when a large
enough share of either notebook's own code is found in the other; which cells match is worked out for those
pairs only, cell against cell. This is evidence for a reviewer, never a verdict.
"""
from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

# copydetect's defaults: a match must be at least NOISE tokens long and any match of GUARANTEE tokens is found
NOISE_TOKENS = 25
GUARANTEE_TOKENS = 30
# A pair is reported from this share of one notebook's own (non-starter) code found in the other. Measured
# on 51 public notebooks written independently on the same datasets (24 on the Telco/bank churn CSVs, 27 on
# scikit-learn's bundled data), the most similar pair shared 0.59 of one notebook's code; disguised copies
# (renamed variables, moved cells, pasted into the starter) share 0.88 or more both ways. 0.75 keeps a
# margin on both sides: a false "shared work" finding costs an honest candidate as much as a missed copy.
SIMILARITY_THRESHOLD = 0.75
# ...and only when at least this many tokens are shared: a few lines of common idiom are not a finding.
MIN_SHARED_TOKENS = 250
# A cell is shown side by side with its best match when this share of it is found there.
CELL_THRESHOLD = 0.3


@dataclass(frozen=True)
class CodeCell:
    index: int           # position among all the notebook's cells (the report's #cell-N anchor)
    source: str


@dataclass
class NotebookCode:
    key: str             # the submission's label
    cells: list[CodeCell]

    @property
    def text(self) -> str:
        return "\n".join(cell.source for cell in self.cells)


@dataclass(frozen=True)
class CellMatch:
    left: CodeCell
    right: CodeCell
    similarity: float    # share of the left cell's own code found in the right one


@dataclass
class CodePair:
    left: str
    right: str
    left_share: float    # share of the left notebook's own code found in the right one
    right_share: float
    shared_tokens: int
    cells: list[CellMatch] = field(default_factory=list)

    @property
    def similarity(self) -> float:
        return max(self.left_share, self.right_share)


def code_cells(notebook: Any) -> list[CodeCell]:
    """The notebook's non-empty code cells, with their positions among all cells."""
    return [CodeCell(index=i, source=str(cell.get("source") or ""))
            for i, cell in enumerate(notebook.get("cells") or [])
            if cell.get("cell_type") == "code" and str(cell.get("source") or "").strip()]


def _stable_kgram_hashes(string: str, k: int) -> Any:
    """copydetect's k-gram hashes use Python's hash(), salted anew in every process: winnowing then keeps other
    fingerprints in every run, the same two notebooks share 87 % in one run and 89 % in the next, and a pair
    near the threshold comes and goes. A fixed hash makes the finding the same in every run."""
    import numpy as np

    return np.array([int.from_bytes(hashlib.blake2b(string[offset:offset + k].encode(), digest_size=8).digest(),
                                    "little", signed=True) for offset in range(len(string) - k + 1)],
                    dtype=np.int64)


def _fingerprint(code: str, *, boilerplate: Any = None, window: int | None = None) -> Any:
    import copydetect.utils
    from copydetect import CodeFingerprint

    copydetect.utils.hashed_kgrams = _stable_kgram_hashes  # the fingerprinting looks it up on each call
    window = window or GUARANTEE_TOKENS - NOISE_TOKENS + 1
    return CodeFingerprint("notebook.py", NOISE_TOKENS, window, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(code))


def starter_boilerplate(starter: Any | None) -> list[int]:
    """Every fingerprint of the starter's code (window 1 keeps them all, as copydetect does for boilerplate)."""
    if starter is None:
        return []
    return sorted(_fingerprint(NotebookCode("starter", code_cells(starter)).text, window=1).hashes)


def _overlap(left: Any, right: Any) -> tuple[int, float, float]:
    from copydetect import compare_files

    if not left.hashes or not right.hashes:
        return 0, 0.0, 0.0
    shared, (left_share, right_share), _ = compare_files(left, right)
    return int(shared), float(left_share), float(right_share)


def similar_pairs(notebooks: list[NotebookCode], *, starter: Any | None,
                  threshold: float = SIMILARITY_THRESHOLD, min_shared: int = MIN_SHARED_TOKENS) -> list[CodePair]:
    """Every pair whose own code overlaps beyond the threshold, most similar first, with the matching cells."""
    # a batch whose notebooks resemble each other compares the same code in many pairs (20 submissions sharing two
    # notebooks: 90 similar pairs, 1,500 cell fingerprints and 5,400 cell comparisons of 17 distinct cells), so each
    # distinct notebook or cell is printed once and each distinct pair of cells compared once
    printed = functools.cache(functools.partial(_fingerprint, boilerplate=starter_boilerplate(starter)))
    prints = {nb.key: printed(nb.text) for nb in notebooks}
    cell_share = functools.cache(lambda left, right: _overlap(printed(left), printed(right))[1])
    pairs = []
    for left, right in combinations(notebooks, 2):
        shared, left_share, right_share = _overlap(prints[left.key], prints[right.key])
        if shared >= min_shared and max(left_share, right_share) >= threshold:
            pairs.append(CodePair(left=left.key, right=right.key, left_share=left_share, right_share=right_share,
                                  shared_tokens=shared, cells=matching_cells(left, right, share=cell_share)))
    return sorted(pairs, key=lambda p: -p.similarity)


def matching_cells(left: NotebookCode, right: NotebookCode, *, share: Callable[[str, str], float]) -> list[CellMatch]:
    """Each left cell with the right cell it shares most with, in the left notebook's order; `share(a, b)` is the
    share of cell code a's own code (the starter's boilerplate removed) found in cell code b."""
    matches = []
    for cell in left.cells:
        best = max(((other, share(cell.source, other.source)) for other in right.cells),
                   key=lambda found: found[1], default=None)
        if best is not None and best[1] >= CELL_THRESHOLD:
            matches.append(CellMatch(left=cell, right=best[0], similarity=best[1]))
    return matches
