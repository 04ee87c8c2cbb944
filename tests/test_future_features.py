"""Features made from the target with later days' values (forecasting exercises): read from the code, a concern
for the target only, never for a column known in advance, and nothing for other task types."""
from __future__ import annotations

from pathlib import Path

import pytest
from nbformat import v4

from takehome_harness.graders import heldout
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.exercise import load_exercise

LOAD = "import pandas as pd\ntrain = pd.read_csv('data/train.csv')"


def _ctx(code: str, exercise_id: str = "demand") -> GradingContext:
    notebook = v4.new_notebook(cells=[v4.new_code_cell(LOAD), v4.new_code_cell(code)])
    return GradingContext(submitted_notebook=notebook, executed_notebook=None, run=None, trace=[],
                          submission_dir=Path("."), predictions_path=None, exercise=load_exercise(exercise_id))


@pytest.mark.parametrize("code, how", [
    ("train['smooth'] = train.groupby(['store_id', 'product_id'])['units'].transform(\n"
     "    lambda s: s.rolling(7, center=True).mean())", "a centred rolling window"),
    ("train['next_week'] = train['units'].shift(-7)", "a shift into the future"),
    ("train['next_week'] = train['units'].shift(periods=-7)", "a shift into the future"),
    ("train['filled'] = train['units'].bfill()", "a backward fill"),
    ("train['filled'] = train['units'].fillna(method='backfill')", "a backward fill"),
])
def test_target_with_later_values_is_a_concern_naming_the_cell(code, how):
    finding = heldout.run(_ctx(code))
    assert finding.status is Status.CONCERN
    assert f"Cell 1 computes a feature from units with {how}" in finding.explanation
    assert any(e.cell == 1 and e.source == "static" for e in finding.evidence)


@pytest.mark.parametrize("code", [
    "train['lag_28'] = train.groupby(['store_id', 'product_id'])['units'].shift(28)",
    "train['trailing'] = train['units'].rolling(7).mean()",
    "train['price_smooth'] = train['price'].rolling(7, center=True).mean()",
    "train['price_next'] = train['price'].shift(-1)",
])
def test_past_values_and_columns_known_in_advance_are_not_flagged(code):
    finding = heldout.run(_ctx(code))
    assert "later days' values" not in finding.explanation
    assert not heldout.future_feature_issues(_ctx(code).cells, load_exercise("demand"))


def test_only_forecasting_exercises_are_read_this_way():
    code = "train['smooth'] = train['delivery_minutes'].rolling(5, center=True).mean()"
    assert not heldout.future_feature_issues(_ctx(code, "delivery").cells, load_exercise("delivery"))
