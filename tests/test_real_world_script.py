"""scripts/real-world: how a check's status is compared with a hand label (plain data, no Docker)."""
from importlib.machinery import SourceFileLoader
import sys
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parent.parent / "scripts" / "real-world"
_loader = SourceFileLoader("real_world", str(_path))
real_world = module_from_spec(spec_from_loader("real_world", _loader))
sys.modules["real_world"] = real_world  # dataclasses look their module up there
_loader.exec_module(real_world)
agreement = real_world.agreement


@pytest.mark.parametrize(("check", "label", "status", "agrees"), [
    ("baseline", "yes", "pass", True),
    ("baseline", "yes", "concern", True),
    ("baseline", "yes", "fail", False),
    ("baseline", "no", "fail", True),
    ("baseline", "no", "concern", False),
    ("writeup", "yes", "concern", True),
    ("writeup", "no", "pass", False),
    ("heldout", "proper", "pass", True),
    ("heldout", "proper", "concern", True),
    ("heldout", "leakage", "concern", True),
    ("heldout", "selection_on_test", "fail", True),
    ("heldout", "evaluates_on_train", "pass", False),
    ("heldout", "none", "concern", False),
    ("heldout", "none", "fail", True),
    ("baseline", "yes", None, False),
])
def test_status_agrees_with_label(check, label, status, agrees):
    assert agreement(check, label, status).agrees is agrees


def test_heldout_fail_on_proper_is_a_false_fail():
    verdict = agreement("heldout", "proper", "fail")
    assert (verdict.agrees, verdict.false_fail) == (False, True)


def test_could_not_check_on_proper_disagrees_without_accusing():
    verdict = agreement("heldout", "proper", "could_not_check")
    assert (verdict.agrees, verdict.false_fail, verdict.note) == (False, False, "could not check")


def test_percent_per_check():
    cases = [real_world.Case(Path("a"), {}, verdicts={"baseline": agreement("baseline", "no", s)})
             for s in ("fail", "fail", "pass")]
    assert real_world.percent(cases, "baseline") == "2/3 (67 %)"
