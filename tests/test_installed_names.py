"""The folders harness/, graders/, exercises/ and datasets/ install as takehome_harness.<folder> (setup.py), so the
code must never name them by the bare folder name: from a checkout, `python -m pytest` puts the repository on
sys.path and `import harness` would still work here (as a second copy of every module), then fail for every user
of the wheel, or import Hugging Face's `datasets` instead of ours."""
from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("harness", "graders", "exercises", "datasets")
NAMESPACE = "takehome_harness"
_BARE = "|".join(FOLDERS)
# code inside strings (`python -c "from harness.cli import grade"`)
CODE_IN_STRING = re.compile(rf"(?<![\w.])from ({_BARE})(\.\w+)* import\b|(?:^|[;\n])\s*import ({_BARE})\b(?![/-])")
# module names in strings: mock targets, resources.files, import_module, "module:function", f"graders.{check}"
MODULE_NAME = re.compile(rf"^({_BARE})(\.\w+)+(:\w+)?$|^({_BARE})(\.\w+)*\.$")
TAKES_A_MODULE_NAME = {"files", "import_module", "find_spec"}


def _tracked(pattern: str) -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z", pattern], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    return [ROOT / name for name in names.split("\0") if name and (ROOT / name).is_file()]


def _bare_name(node: ast.AST) -> str | None:
    """The bare folder name by which this node refers to a module, if it does."""
    if isinstance(node, ast.Import):
        return next((a.name for a in node.names if a.name.split(".")[0] in FOLDERS), None)
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return node.module if node.module.split(".")[0] in FOLDERS else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if MODULE_NAME.match(node.value) or CODE_IN_STRING.search(node.value) else None
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        head = str(node.values[0].value)
        return head if MODULE_NAME.match(head) else None
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        return node.args[0].value if called in TAKES_A_MODULE_NAME and node.args[0].value in FOLDERS else None
    return None


def _bare_references(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(ROOT)}:{node.lineno}: {name!r}" for node in ast.walk(tree)
            if (name := _bare_name(node)) is not None]


def _python_sources() -> list[Path]:
    scripts = [path for path in _tracked("scripts/*") if path.read_bytes().startswith(b"#!/usr/bin/env python")]
    return [path for path in _tracked("*.py") + _tracked("*.py.tmpl") + scripts if path.name != Path(__file__).name]


def test_no_python_file_names_a_package_by_its_bare_folder_name():
    found = [hit for path in _python_sources() for hit in _bare_references(path)]
    assert not found, f"name them {NAMESPACE}.<folder>, as installed, instead of:\n" + "\n".join(found)


def test_every_shipped_exercise_names_its_generator_by_the_installed_name():
    for spec in _tracked("exercises/*/exercise.json"):
        generator = json.loads(spec.read_text())["data"]["generator"]
        assert generator.startswith(f"{NAMESPACE}.datasets."), (spec.relative_to(ROOT), generator)
