"""Listing a submission's files and flagging names that shadow modules."""
from __future__ import annotations

from takehome_harness.harness.submission_files import list_submission_files, shadowed_module, shadowing_warnings


def test_standard_and_installed_module_names_are_flagged_and_helpers_are_not():
    assert shadowed_module("traceback") == "standard library module 'traceback'"
    assert shadowed_module("ipykernel_launcher") == "installed module 'ipykernel_launcher'"
    assert shadowed_module("sklearn") == "installed module 'sklearn'"
    assert shadowed_module("candidate_helpers") is None


def test_only_modules_importable_from_the_notebooks_folder_are_flagged(tmp_path):
    for rel in ("notebook.ipynb", "IPython.py", "numpy/__init__.py", "helpers.py", "src/json.py", "data.csv",
                "pandas.cpython-311-x86_64-linux-gnu.so"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    listed = {f.path: f.shadows for f in list_submission_files(tmp_path, notebook_dir=tmp_path)}
    assert listed == {
        "notebook.ipynb": None, "helpers.py": None, "data.csv": None,
        "src/json.py": None,   # not on the kernel's path: only its folder is
        "IPython.py": "installed module 'IPython'", "numpy/__init__.py": "installed module 'numpy'",
        "pandas.cpython-311-x86_64-linux-gnu.so": "installed module 'pandas'",
    }
    warnings = shadowing_warnings(list_submission_files(tmp_path, notebook_dir=tmp_path))
    assert len(warnings) == 3 and any("IPython.py" in w for w in warnings)
