"""Execution and reproducibility check: run verdicts, hidden state, and unfixed randomness."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from takehome_harness.graders import execution
from takehome_harness.graders._notebook_ast import parse_code_cells
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.sandbox.result import Limits, RunResult, Verdict


def _cell(source: str, count: int | None = None, stdout: str | None = None, result: str | None = None):
    cell = new_code_cell(source, execution_count=count)
    if stdout is not None:
        cell.outputs.append(new_output("stream", name="stdout", text=stdout))
    if result is not None:
        cell.outputs.append(new_output("execute_result", data={"text/plain": result}, execution_count=count))
    return cell


def _nb(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def _run(verdict=Verdict.COMPLETED, **kw) -> RunResult:
    base = dict(verdict=verdict, backend="docker", isolated=True, wall_seconds=12.5, message="ran to the end",
                cell_seconds=[0.1, 9.0, 0.4, 2.0], peak_memory_mb=300.0, limits=Limits())
    return RunResult(**{**base, **kw})


def _ctx(submitted, executed=None, run=None) -> GradingContext:
    return GradingContext(submitted_notebook=submitted, executed_notebook=executed, run=run, trace=[],
                          submission_dir=None, predictions_path=None)


SEEDED = _nb(
    new_markdown_cell("# Model"),
    _cell("import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier", 1),
    _cell("model = RandomForestClassifier(n_estimators=50, random_state=0)\nprint('auc', 0.81234)", 2,
          stdout="auc 0.81234\n"),
    _cell("model", 3, result="RandomForestClassifier(n_estimators=50, random_state=0)"),
)


def test_clean_reproducible_run_passes_with_timings():
    finding = execution.run(_ctx(SEEDED, copy.deepcopy(SEEDED), _run()))
    assert finding.status is Status.PASS, finding.explanation
    assert finding.details["slowest_cells"][0] == {"cell": 1, "seconds": 9.0}
    assert finding.details["cell_seconds"] == [0.1, 9.0, 0.4, 2.0]
    assert "cell 1 9.0 s" in finding.evidence[0].summary


def test_no_run_could_not_check():
    assert execution.run(_ctx(SEEDED)).status is Status.COULD_NOT_CHECK
    not_run = _run(Verdict.NOT_RUN, message="no Docker engine")
    finding = execution.run(_ctx(SEEDED, None, not_run))
    assert finding.status is Status.COULD_NOT_CHECK and "no Docker engine" in finding.explanation


def test_cell_error_fails_with_cell_source_and_clean_traceback():
    run = _run(Verdict.CELL_ERROR, failed_cell=2, error_name="KeyError", error_value="'tenure'",
               traceback="\x1b[0;31mKeyError\x1b[0m Traceback\n----> 1 df['tenure']\n\x1b[31mKeyError\x1b[0m: 'tenure'",
               message="cell 2 raised KeyError")
    finding = execution.run(_ctx(SEEDED, copy.deepcopy(SEEDED), run))
    assert finding.status is Status.FAIL
    assert "cell 2" in finding.explanation and "KeyError" in finding.explanation
    tb = next(e for e in finding.evidence if e.summary.startswith("traceback"))
    assert "\x1b" not in tb.lines and "KeyError: 'tenure'" in tb.lines
    assert any(e.lines and "RandomForestClassifier(n_estimators=50" in e.lines for e in finding.evidence)


@pytest.mark.parametrize("verdict, words", [(Verdict.DEADLINE, "time limit"), (Verdict.OUT_OF_MEMORY, "memory"),
                                            (Verdict.KERNEL_DIED, "kernel died")])
def test_other_failures(verdict, words):
    finding = execution.run(_ctx(SEEDED, None, _run(verdict, failed_cell=1, message="stopped")))
    assert finding.status is Status.FAIL and words in finding.explanation


def test_execution_order_problems():
    nb = _nb(_cell("a = 1", 3), _cell("b = 2", 1), _cell("c = 3", 7), _cell("d = 4", None), _cell("", None))
    order = execution.execution_order(nb)
    assert order["out_of_order"] == [{"cell": 1, "count": 1, "after": 3}]
    assert [g["cell"] for g in order["gaps"]] == [0, 2]
    assert order["never_run"] == [3]  # the empty cell does not count
    finding = execution.run(_ctx(nb, copy.deepcopy(nb), _run()))
    assert finding.status is Status.CONCERN and "not run top to bottom" in finding.explanation
    assert finding.question


def test_cleared_notebook_is_not_hidden_state():
    nb = _nb(_cell("a = 1"), _cell("print(a)"))
    order = execution.execution_order(nb)
    assert order["cleared"] and not order["never_run"]
    finding = execution.run(_ctx(nb, None, _run()))
    assert finding.status is Status.PASS and "without outputs" in finding.explanation


def test_unreproduced_output_is_hidden_state():
    submitted = _nb(_cell("print(score)", 1, stdout="AUC 0.91\n"), _cell("len(df)", 2, result="1000"))
    executed = _nb(_cell("print(score)", 1, stdout="AUC 0.78\n"), _cell("len(df)", 2, result="1000"))
    finding = execution.run(_ctx(submitted, executed, _run()))
    assert finding.status is Status.CONCERN
    assert finding.details["unreproduced"][0]["cell"] == 0
    shown = next(e for e in finding.evidence if e.cell == 0)
    assert "0.91" in shown.lines and "0.78" in shown.lines


@pytest.mark.parametrize("a, b, same", [
    ("AUC 0.812345", "AUC 0.812351", True),
    ("AUC 0.81", "AUC 0.84", False),
    ("rows 1000", "rows 1001", False),
    ("<Model at 0x7f3a2b1c9d90>", "<Model at 0x7f00deadbeef>", True),
    ("CPU times: user 1.2 s\nWall time: 3.4 s\ndone", "CPU times: user 9 s\nWall time: 10 s\ndone", True),
    ("\x1b[1mbold\x1b[0m 1.5e-3", "bold 0.0015", True),
    ("a b", "a  c", False),
])
def test_same_output(a, b, same):
    assert execution.same_output(a, b) is same


def test_volatile_cells_are_not_compared():
    submitted = _nb(_cell("import datetime\nprint(datetime.datetime.now())", 1, stdout="2026-01-01 10:00\n"))
    executed = _nb(_cell("import datetime\nprint(datetime.datetime.now())", 1, stdout="2026-11-25 17:00\n"))
    assert execution.unreproduced_outputs(submitted, executed, ran_cells=1) == []
    shell = _nb(_cell("import os\n!pip install lightgbm", 1, stdout="Collecting lightgbm\n"))
    assert execution.unreproduced_outputs(shell, _nb(_cell("!pip install lightgbm", 1)), ran_cells=1) == []


def test_outputs_cut_by_the_grader_are_not_compared():
    submitted = _nb(_cell("print(big)", 1, stdout="x" * 50 + "\n[... 9,000 more characters cut by the grader]"))
    executed = _nb(_cell("print(big)", 1, stdout="x" * 9050))
    assert execution.unreproduced_outputs(submitted, executed, ran_cells=1) == []


def test_unseeded_randomness_is_a_concern_and_global_seed_covers_it():
    code = ("%matplotlib inline\nfrom sklearn.model_selection import train_test_split, KFold\n"
            "X_tr, X_te = train_test_split(X, test_size=0.2)\n"
            "cv = KFold(5, shuffle=True)\nrf = RandomForestClassifier(n_estimators=10)\n"
            "lr = LogisticRegression()\nsplit = train_test_split(X, shuffle=False)\n"
            "gb = GradientBoostingClassifier(**params)\nsub = df.sample(frac=0.1, random_state=1)")
    nb = _nb(_cell(code, 1))
    rand = execution.randomness(parse_code_cells(nb))
    assert [u["call"] for u in rand["unseeded"]] == ["train_test_split", "KFold", "RandomForestClassifier"]
    assert rand["unseeded"][0]["line"] == "X_tr, X_te = train_test_split(X, test_size=0.2)"
    finding = execution.run(_ctx(nb, copy.deepcopy(nb), _run()))
    assert finding.status is Status.CONCERN and "no fixed seed" in finding.explanation
    assert any(e.source == "static" and e.lines.startswith("rf = RandomForest") for e in finding.evidence)

    seeded = _nb(_cell("import numpy as np\nnp.random.seed(42)", 1), _cell(code, 2))
    assert execution.randomness(parse_code_cells(seeded))["problem"] is False
    assert execution.run(_ctx(seeded, copy.deepcopy(seeded), _run())).status is Status.PASS


def test_numpy_global_draws_and_unseeded_generators():
    draws = _nb(_cell("import numpy as np\nnoise = np.random.rand(10)\nrng = np.random.default_rng(7)", 1))
    rand = execution.randomness(parse_code_cells(draws))
    assert [u["call"] for u in rand["unseeded"]] == ["rand"] and rand["problem"]
    seeded = _nb(_cell("import numpy as np\nnp.random.seed(0)\nnoise = np.random.rand(10)", 1))
    assert execution.randomness(parse_code_cells(seeded))["problem"] is False
    fresh = _nb(_cell("import numpy as np\nnp.random.seed(0)\nrng = np.random.default_rng()", 1))
    rand = execution.randomness(parse_code_cells(fresh))
    assert rand["problem"] and rand["unseeded"][0]["call"] == "default_rng"


def test_cells_that_do_not_parse_are_skipped():
    nb = _nb(_cell("def broken(:\n  pass", 1), _cell("RandomForestClassifier()", 2))
    assert [c.index for c in parse_code_cells(nb)] == [1]


@pytest.mark.slow
def test_real_kernel_rerun_reproduces_ordinary_outputs():
    """A notebook executed twice in fresh kernels: object reprs and numbers normalise to the same output."""
    nb = _nb(_cell("import numpy as np\nrng = np.random.default_rng(0)\nprint(rng.normal(size=3).round(6))"),
             _cell("class Thing: pass\nThing()"),
             _cell("import time\nprint(time.time())"),
             _cell("print(sum(range(10)))"))
    first = copy.deepcopy(nb)
    NotebookClient(first, timeout=60, kernel_name="python3").execute()
    second = copy.deepcopy(nb)
    NotebookClient(second, timeout=60, kernel_name="python3").execute()
    assert " at 0x" in execution.output_text(first.cells[1])
    assert execution.unreproduced_outputs(first, second, ran_cells=4) == []
    first.cells[3].outputs[0]["text"] = "46\n"
    assert [m["cell"] for m in execution.unreproduced_outputs(first, second, ran_cells=4)] == [3]


@pytest.mark.slow
def test_real_local_run_of_a_failing_notebook(tmp_path):
    from takehome_harness.harness.sandbox.run import run_notebook

    nb = _nb(_cell("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})", 1),
             _cell("df['tenure'].mean()", 2, result="3.5"))
    path = tmp_path / "work" / "notebook.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, str(path))
    result = run_notebook(notebook=path, workdir=path.parent, data_dir=None, limits=Limits(total_seconds=120),
                          backend="local")
    executed = nbformat.read(str(result.executed_notebook), as_version=4) if result.executed_notebook else None
    finding = execution.run(_ctx(nb, executed, result))
    assert finding.status is Status.FAIL
    assert "cell 1" in finding.explanation and "KeyError" in finding.explanation
    traceback = next(e for e in finding.evidence if e.summary.startswith("traceback"))
    assert "tenure" in traceback.lines and "\x1b[" not in traceback.lines


def test_line_numbers_survive_leading_blank_lines():
    nb = _nb(_cell("\n\n%matplotlib inline\nrf = RandomForestClassifier()\n", 1))
    (unseeded,) = execution.randomness(parse_code_cells(nb))["unseeded"]
    assert unseeded["line"] == "rf = RandomForestClassifier()"


def test_trace_catches_seeds_the_code_hides():
    """**params looks seeded to the AST; the traced parameters (hook format) show random_state=None."""
    nb = _nb(_cell("\nparams = {'n_estimators': 5}\nmodel = RandomForestClassifier(**params).fit(X, y)", 1))
    trace = [{"ev": "call", "id": 1, "depth": 0, "method": "fit", "cls": "RandomForestClassifier",
              "kind": "classifier", "final_cls": "RandomForestClassifier", "est": "e1", "cell": 0, "line": 2,
              "params": "n_estimators=5, n_jobs=None, random_state=None, verbose=0"}]
    assert execution.randomness(parse_code_cells(nb))["unseeded"] == []
    ctx = _ctx(nb, copy.deepcopy(nb), _run())
    ctx.trace = trace
    finding = execution.run(ctx)
    assert finding.status is Status.CONCERN
    shown = next(e for e in finding.evidence if e.source == "trace")
    assert shown.lines == "model = RandomForestClassifier(**params).fit(X, y)"
    trace[0]["params"] = "n_estimators=5, random_state=3"
    seeded = _ctx(nb, copy.deepcopy(nb), _run())
    seeded.trace = trace
    assert execution.run(seeded).status is Status.PASS
