"""The legacy profile (generic mode only) brings back what old notebooks rely on, in a fresh interpreter as in the
sandbox's kernel, and leaves an explicit choice of the notebook alone."""
from __future__ import annotations

import subprocess
import sys

from takehome_harness.harness.sandbox.backend import LEGACY_PATH

PROBE = f"""
import runpy
import pandas as pd
import pytest
frame = pd.DataFrame({{"tenure": [1, 5, 9, 2], "charges": [20.0, 50.5, 80.1, 30.0],
                       "gender": ["Female", "Male", "Male", "Female"]}})
with pytest.raises(ValueError, match="Female"):
    frame.corr()                                   # pandas 2+ without the profile
runpy.run_path({str(LEGACY_PATH)!r}, run_name="__harness_legacy__")
frame = pd.DataFrame({{"tenure": [1, 5, 9, 2], "charges": [20.0, 50.5, 80.1, 30.0],
                       "gender": ["Female", "Male", "Male", "Female"]}})
assert list(frame.corr().columns) == ["tenure", "charges"] and frame.cov().shape == (2, 2)
assert frame["gender"].dtype == "object"
with pytest.raises(ValueError, match="Female"):
    frame.corr(numeric_only=False)                 # the notebook's own choice stands
import matplotlib.pyplot as plt
plt.style.use("seaborn-whitegrid")
print("ok")
"""


def test_the_legacy_profile_restores_old_defaults_and_keeps_explicit_choices():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
