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
assert pd.Series(["Yes", "No"]).replace({{"Yes": 1, "No": 0}}).dtype == "object"   # pandas 3 without it
runpy.run_path({str(LEGACY_PATH)!r}, run_name="__harness_legacy__")
frame = pd.DataFrame({{"tenure": [1, 5, 9, 2], "charges": [20.0, 50.5, 80.1, 30.0],
                       "gender": ["Female", "Male", "Male", "Female"]}})
assert list(frame.corr().columns) == ["tenure", "charges"] and frame.cov().shape == (2, 2)
assert frame["gender"].dtype == "object"
with pytest.raises(ValueError, match="Female"):
    frame.corr(numeric_only=False)                 # the notebook's own choice stands
# pandas 1 and 2 made the object columns replace filled with numbers numeric, in place or not
churn = pd.DataFrame({{"Churn": ["Yes", "No", "Yes"], "gender": ["Female", "Male", "Male"], "tenure": [1, 5, 9]}})
assert churn["Churn"].replace({{"Yes": 1, "No": 0}}).dtype == "int64"
assert churn.replace({{"Yes": 1.0, "No": 0.0}})["Churn"].dtype == "float64"
churn.replace(to_replace="Yes", value=1, inplace=True)
churn.replace(to_replace="No", value=0, inplace=True)
assert churn["Churn"].dtype == "int64" and churn["gender"].dtype == "object"
assert list(churn.corr().columns) == ["Churn", "tenure"]
assert churn["gender"].replace("Male", "M").tolist() == ["Female", "M", "M"]
assert pd.DataFrame([[1, "a"]], columns=["x", "x"]).replace("a", 2).dtypes.tolist() == ["int64", "int64"]
import matplotlib.pyplot as plt
plt.style.use("seaborn-whitegrid")
print("ok")
"""


def test_the_legacy_profile_restores_old_defaults_and_keeps_explicit_choices():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
