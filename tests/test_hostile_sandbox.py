"""Hostile notebooks through the real `grade` command with the Docker sandbox.

Every case asserts the same contract: the grader process survives and exits normally, report.json
says in plain words what happened, the wall time stays within the deadline plus a margin, no
container and no temp folder is left behind, nothing is written outside the output folder, and the
hidden labels are never readable from inside the run.
"""
from __future__ import annotations

import json
import re

import nbformat
import pytest
from hostile import attacks, notebooks
from hostile.grading import (
    IsolatedGrader, Listener, docker_containers, make_bundle, submission_from_bundle, this_machines_addresses,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TOTAL_SECONDS = 20
SKLEARN_SECONDS = 90   # for attacks that import pandas and scikit-learn first (slow on a loaded machine)
MEMORY_MB = 512
# container start, kernel start, the host's grace period after the runner's own deadline, report writing
MARGIN_SECONDS = 45
CONTAINER_LABEL = "takehome-harness"


@pytest.fixture(scope="module")
def grader(tmp_path_factory) -> IsolatedGrader:
    return IsolatedGrader(tmp_path_factory.mktemp("hostile-grader"))


@pytest.fixture(scope="module")
def bundle_zip(grader, tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("hostile-bundle"), secret=grader.secret)


def grade_case(grader: IsolatedGrader, bundle_zip, tmp_path, notebook: bytes, *,
               total_seconds: int = TOTAL_SECONDS, **extra: bytes):
    source = submission_from_bundle(bundle_zip, tmp_path / f"{tmp_path.name}.zip", notebook, extra=extra or None)
    run = grader.grade(source, total_seconds=total_seconds, memory_mb=MEMORY_MB,
                       kill_after=total_seconds + MARGIN_SECONDS + 60)
    assert run.returncode == 0, f"grader failed: {run.stderr[-2000:]}"
    assert run.report is not None and run.html is not None, "no report written"
    assert run.report["outcome"] == "graded", run.report["message"]
    assert run.report["run"]["backend"] == "docker" and run.report["run"]["isolated"] is True
    assert run.report["run"]["message"].strip()
    assert run.wall_seconds < total_seconds + MARGIN_SECONDS, f"took {run.wall_seconds:.0f} s"
    assert docker_containers(CONTAINER_LABEL, mounting=grader.root) == [], "a sandbox container was left behind"
    assert grader.leftovers() == [], "the grader left files outside its output folder"
    assert grader.secret not in run.all_text()
    return run


VERDICT_CASES = {
    "infinite_loop": (attacks.INFINITE_LOOP, {"deadline"}),
    "loop_ignoring_sigint_and_sigterm": (attacks.IGNORES_SIGINT, {"deadline"}),
    "sleep_forever": (attacks.SLEEP_FOREVER, {"deadline"}),
    "memory_bomb": (attacks.MEMORY_BOMB, {"out_of_memory"}),
    # each forked kernel copy costs memory too, so the memory limit may be what ends it
    "fork_bomb": (attacks.FORK_BOMB, {"deadline", "cell_error", "kernel_died", "out_of_memory"}),
    "many_threads": (attacks.MANY_THREADS, {"cell_error", "deadline", "out_of_memory", "kernel_died"}),
    "os_exit": (attacks.OS_EXIT, {"kernel_died"}),
    "segfault": (attacks.SEGFAULT, {"kernel_died"}),
    "stdout_flood": (attacks.STDOUT_FLOOD, {"completed", "deadline", "out_of_memory", "kernel_died"}),
}


@pytest.mark.parametrize("case", sorted(VERDICT_CASES))
def test_attack_ends_with_a_plain_verdict(grader, bundle_zip, tmp_path, case):
    source, verdicts = VERDICT_CASES[case]
    run = grade_case(grader, bundle_zip, tmp_path, attacks.single_cell(source))
    assert run.report["run"]["verdict"] in verdicts, run.report["run"]["message"]
    if run.report["run"]["verdict"] != "completed" and "none was used" not in run.report["run"]["message"]:
        assert run.report["run"]["failed_cell"] == 1    # the attack cell, after the harmless first one
    elif run.report["run"]["verdict"] != "completed":
        # the runner itself was killed (out-of-memory killer, host timer): nothing it wrote is believed
        assert run.report["run"]["failed_cell"] is None


def test_filling_disks_and_a_huge_predictions_file_are_contained(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.fill_disks(max_gb=1.5))
    copied = sum(p.stat().st_size for p in run.report_dir.rglob("*") if p.is_file())
    assert copied < 200 * 2**20, f"the report folder holds {copied / 2**20:.0f} MB"
    # /tmp and HOME are tmpfs, whose pages count against the memory limit
    assert run.report["run"]["verdict"] in {"completed", "cell_error", "deadline", "out_of_memory"}
    assert "filled " in run.outputs_text()          # the working-folder attack ran before anything ended it


def test_forged_status_then_killing_everything_is_not_reported_as_completed(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.forge_status_then_kill_everything())
    assert run.report["run"]["verdict"] != "completed", run.report["run"]["message"]


def test_forged_trace_does_not_break_grading(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.forge_trace())
    assert run.report["run"]["verdict"] == "completed"
    assert "trace forged" in run.outputs_text()


def test_snooping_finds_no_labels_secrets_socket_network_or_host_files(grader, bundle_zip, tmp_path):
    canary = tmp_path / "host-canary.txt"
    canary_text = "host-canary-" + grader.secret[-12:]
    canary.write_text(canary_text)
    listener = Listener()
    try:
        notebook = attacks.snoop(host_addresses=this_machines_addresses(), port=listener.port,
                                 canary_path=str(canary), label_word="churned")
        # walking the whole image's file system takes ~15 s on a quiet machine: give it room under load
        run = grade_case(grader, bundle_zip, tmp_path, notebook, total_seconds=90)
    finally:
        listener.close()
    found = attacks.parse_findings(run.outputs_text())
    assert found is not None, "the snooping notebook did not report (did it run?)"
    assert found["label_files"] == [] and found["secret_files"] == []
    assert found["secret_env"] == [] and found["proc_environ_secrets"] == []
    assert found["docker_socket"] == []
    assert found["interfaces"] == ["lo"]
    assert found["connected"] == [] and listener.connections == []
    assert canary_text not in run.all_text()
    assert canary.read_text() == canary_text
    assert not re.search(r"^root:[^:\n]*:\d+:", run.all_text(), re.M)   # /etc/shadow via a planted link


def test_status_rewritten_from_a_background_process_does_not_hide_a_failure(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.forge_status_from_background_then_fail())
    assert "forger started" in run.outputs_text()
    assert run.report["run"]["verdict"] == "cell_error", run.report["run"]["message"]
    assert run.report["run"]["failed_cell"] == 1


def test_files_named_like_the_kernels_modules_cannot_hide_a_failure(grader, bundle_zip, tmp_path):
    notebook, files = attacks.shadow_kernel_modules()
    run = grade_case(grader, bundle_zip, tmp_path, notebook, **files)
    assert "helper module imported" in run.outputs_text()   # the candidate's own modules still import
    assert run.report["run"]["verdict"] == "cell_error", run.report["run"]["message"]
    assert run.report["run"]["failed_cell"] == 1
    execution = next(f for f in run.report["findings"] if f["check"] == "execution")
    assert execution["status"] == "fail"
    listed = {f["path"]: f["shadows"] for f in run.report["submission"]["files"]}
    assert listed["ipykernel_launcher.py"] == "installed module 'ipykernel_launcher'"
    assert listed["traceback.py"] == "standard library module 'traceback'"
    assert listed["candidate_helpers.py"] is None and "make_submission.py" in listed
    assert any("ipykernel_launcher.py" in w for w in run.report["warnings"])
    assert "named like the installed module" in run.html


def _finding(run, check: str) -> dict:
    return next(f for f in run.report["findings"] if f["check"] == check)


def test_result_files_forged_before_killing_the_runner_are_not_believed(grader, bundle_zip, tmp_path):
    notebook = attacks.forge_results_then_kill_runner()
    run = grade_case(grader, bundle_zip, tmp_path, notebook, total_seconds=SKLEARN_SECONDS)
    assert run.report["run"]["verdict"] == "kernel_died", run.report["run"]["message"]
    assert "none was used" in run.report["run"]["message"]
    assert run.report["run"]["failed_cell"] is None and run.report["run"]["cell_seconds"] == []
    # nothing the notebook wrote by hand reaches the report: no forged cell or output, predictions or write-up
    shown = nbformat.read(run.report_dir / "executed.ipynb", as_version=4)
    assert [c.source for c in shown.cells] == [c.source for c in nbformat.reads(notebook, as_version=4).cells]
    assert not any(c.get("outputs") for c in shown.cells)
    assert attacks.FORGED_MARKER not in json.dumps(_finding(run, "writeup"))
    assert run.report["scores"]["hidden"] is None
    assert _finding(run, "score")["status"] != "pass"
    assert "none of them was used" in " ".join(run.report["run"]["warnings"])
    # what really ran: a model scored on the rows it was fitted on (the hook's trace of cell 0)
    assert _finding(run, "heldout")["status"] == "fail", _finding(run, "heldout")["explanation"]


def test_forged_trace_numbers_leave_a_graded_report(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.forge_trace_numbers(),
                     total_seconds=SKLEARN_SECONDS)
    assert "trace numbers forged" in run.outputs_text()
    assert run.report["run"]["verdict"] == "completed"
    assert any("outside any plausible range" in w for w in run.report["warnings"])
    assert all(c["value"] < 1.5 for c in run.report["scores"]["claimed"])
    assert "unavailable" not in run.html


def test_a_collection_failure_empties_the_list_and_shows_in_the_report(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.unreadable_files_after_forging_the_listing(),
                     total_seconds=SKLEARN_SECONDS)
    assert "made unreadable" in run.outputs_text()
    assert run.report["run"]["verdict"] == "completed"
    warnings = " ".join(run.report["run"]["warnings"])
    assert "make_submission.py: could not be read (Permission denied)" in warnings
    assert "locked: could not be read (Permission denied)" in warnings
    assert attacks.FORGED_MARKER not in json.dumps(_finding(run, "writeup"))   # the forged listing's NEXT_STEPS.md
    assert run.report["scores"]["hidden"] is not None     # the real predictions were still collected


def test_result_files_rewritten_from_the_background_lose_to_the_runners_last_write(grader, bundle_zip, tmp_path):
    run = grade_case(grader, bundle_zip, tmp_path, attacks.forge_results_from_background_while_the_run_completes())
    assert run.report["run"]["verdict"] == "completed", run.report["run"]["message"]
    assert "forger started" in run.outputs_text() and "real run finished" in run.outputs_text()
    assert attacks.FORGED_MARKER not in run.outputs_text()
    assert attacks.FORGED_MARKER not in json.dumps(_finding(run, "writeup"))


@pytest.mark.parametrize("notebook, words", [(notebooks.lone_surrogate(), "not valid Unicode"),
                                             (notebooks.number_too_long(), "number too long to read")])
def test_notebook_json_that_cannot_be_written_back_is_rejected_plainly(grader, bundle_zip, tmp_path, notebook, words):
    source = submission_from_bundle(bundle_zip, tmp_path / "submission.zip", notebook)
    run = grader.grade(source, total_seconds=TOTAL_SECONDS, memory_mb=MEMORY_MB, kill_after=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.report["outcome"] == "rejected" and run.report["run"]["verdict"] == "not_run"
    assert words in run.report["message"] and words in run.html
    assert grader.leftovers() == []
