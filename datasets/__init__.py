"""Deterministic dataset generators for the exercises."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only annotations: finding a generator's source file (harness/score_cache.py) imports this package
    import pandas as pd


@dataclass
class GeneratedData:
    """One variant of an exercise's data. `labels` never leaves the grader's side."""

    train: pd.DataFrame            # features + target
    test: pd.DataFrame             # features only (what the candidate gets)
    labels: pd.DataFrame           # [id column, target column] for the test rows
    truth: dict[str, Any] = field(default_factory=dict)  # e.g. true probabilities' AUC (the ceiling)
