"""Every corpus notebook, run through the local runner with the kernel hook, gets its expected statuses;
no clean notebook gets a leakage or training-set finding. docs/corpus-results.md shows the same table."""
from __future__ import annotations

import pytest

from conftest import cannot_run
from corpus import CASES
from corpus.run import grade, make_data, run_case
from takehome_harness.graders.finding import Status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_data(tmp_path_factory.mktemp("corpus-data"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gets_expected_statuses(case, data_dir, tmp_path):
    if not case.runnable:
        cannot_run(f"needs {', '.join(case.requires)} (a dev dependency)")
    findings = grade(case, run_case(case, data_dir=data_dir, work_root=tmp_path))
    got = {check: f.status for check, f in findings.items()}
    assert got == case.expected, {c: findings[c].explanation for c in got if got[c] is not case.expected[c]}
    if case.clean and "heldout" in findings:
        assert findings["heldout"].status not in (Status.FAIL, Status.CONCERN), findings["heldout"].explanation
