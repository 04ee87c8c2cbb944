"""Grading on another Docker engine: DOCKER_HOST names a second dockerd that cannot see the grader's folders.

The engine runs in a mount namespace of its own where the checkout, the home folder and the temp folders
are empty tmpfs (tests/own_engine.py), so the submission, the data and the results can only travel through
the engine's API, as with an engine on another machine. The same submissions (corpus cases, the reference
solution in a verified bundle, hostile notebooks) are graded on the shared engine and on this one: the
verdicts, findings and scores must agree, and neither engine keeps a container (nor this one a volume).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report
from corpus import CASES
from hostile import attacks
from hostile.grading import docker_containers, submission_from_bundle
from own_engine import containers_on, require_a_second_engine, started_engine, stop_and_remove

from takehome_harness.harness.cli import grade
from takehome_harness.harness.sandbox.image import LABEL, image_tag

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"
ENGINE_PARENT = "/var/lib"   # outside every masked folder, and short enough for the engine's socket path
CORPUS_CASES = ("clean_reference", "scaler_before_split", "crash_halfway", "writeup_in_next_steps_file")
ATTACKS = {"infinite_loop": attacks.INFINITE_LOOP, "memory_bomb": attacks.MEMORY_BOMB, "os_exit": attacks.OS_EXIT}
ATTACK_OPTIONS = ("--timeout", "20", "--memory", "512")
CASE_OPTIONS = ("--timeout", "300")


def grader_folders(tmp_path_factory) -> tuple[Path, ...]:
    """The folders the grader reads and writes, outermost only (a mount inside a masked folder would fail)."""
    folders = {ROOT, Path.home(), Path(tempfile.gettempdir()), Path(tmp_path_factory.getbasetemp())}
    folders = {f.resolve() for f in folders}
    return tuple(sorted(f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders)))


@pytest.fixture(scope="session")
def remote_engine(tmp_path_factory):
    require_a_second_engine()
    engine = started_engine(ENGINE_PARENT, masked=grader_folders(tmp_path_factory))
    yield engine
    stop_and_remove(engine)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> dict[str, list[Path]]:
    """Two batches: ordinary notebooks (generous time limit) and attacks (short limits)."""
    from takehome_harness.harness.bundle import create_bundle

    root = tmp_path_factory.mktemp("remote-subs")
    cases = []
    for case in (c for c in CASES if c.name in CORPUS_CASES):
        folder = root / case.name
        folder.mkdir()
        nbformat.write(case.notebook, str(folder / "notebook.ipynb"))
        for name, text in case.files.items():
            (folder / name).write_text(text)
        cases.append(folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HARNESS_HOME", str(root / "home"))
        env.setenv("HARNESS_SECRET", "remote-engine-secret")
        bundle = Path(create_bundle(exercise_id="churn", candidate="Reference", out_dir=root / "bundles").path)
    cases.append(submission_from_bundle(bundle, root / "reference.zip", REFERENCE.read_bytes()))
    hostile = []
    for name, source in ATTACKS.items():
        (root / name).mkdir()
        (root / name / "notebook.ipynb").write_bytes(attacks.single_cell(source))
        hostile.append(root / name)
    return {"cases": cases, "attacks": hostile}


def grade_batches(submissions: dict[str, list[Path]], root: Path, *, docker_host: str | None) -> dict[str, dict]:
    """Grade both batches through the real CLI on the engine `docker_host` names (None: the shared one)."""
    reports = {}
    with pytest.MonkeyPatch.context() as env:
        if docker_host:
            env.setenv("DOCKER_HOST", docker_host)
        else:
            env.delenv("DOCKER_HOST", raising=False)
        env.setenv("HARNESS_HOME", str(root.parent / "home"))    # the one that issued the bundle
        env.setenv("HARNESS_SECRET", "remote-engine-secret")
        (root / "tmp").mkdir(parents=True)
        env.setattr(tempfile, "tempdir", str(root / "tmp"))      # the runs' temp folders, to find their containers
        for batch, options in (("cases", CASE_OPTIONS), ("attacks", ATTACK_OPTIONS)):
            result = CliRunner().invoke(grade, [*map(str, submissions[batch]), "--exercise", "churn", "--sandbox",
                                                "docker", "--jobs", "2", "--out", str(root / "out"), *options],
                                        catch_exceptions=False)
            assert result.exit_code == 0, result.output
    for source in (p for batch in submissions.values() for p in batch):
        name = source.stem if source.suffix == ".zip" else source.name
        reports[name] = assert_valid_report(root / "out" / name / "report.json")
    assert docker_containers(LABEL, mounting=root) == [], "a sandbox container was left on the engine"
    assert sorted(p.name for p in (root / "tmp").iterdir()) == []
    return reports


def essentials(report: dict) -> dict:
    """What must not depend on the engine: how the run ended, every check's status, the hidden score."""
    run = report["run"]
    # At a deadline, whether the runner stopped itself (the cell is known) or the host's timer killed it first
    # (nothing it wrote is believed) depends on the machine's load, not on the engine.
    failed_cell = run["failed_cell"] if run["verdict"] != "deadline" else "not compared"
    return {"outcome": report["outcome"], "verdict": run["verdict"], "failed_cell": failed_cell,
            "backend": run["backend"], "isolated": run["isolated"],
            "findings": {f["check"]: f["status"] for f in report["findings"]},
            "hidden": {k: round(v, 6) for k, v in (report["scores"]["hidden"] or {}).items()},
            "verified": report["variant"]["verified"] if report["variant"] else None}


def test_a_bind_mount_of_a_grader_folder_cannot_work_on_that_engine(remote_engine):
    import docker.errors
    from docker.types import Mount

    client = remote_engine.client()
    try:
        with pytest.raises(docker.errors.APIError, match="does not exist"):
            client.containers.create(image_tag(), ["true"], labels={LABEL: "1"},
                                     mounts=[Mount(target="/x", source=str(ROOT / "harness"), type="bind")])
    finally:
        client.close()
    assert containers_on(remote_engine) == []


def test_grading_on_the_remote_engine_gives_the_shared_engines_verdicts_and_leaves_nothing(
        remote_engine, submissions, tmp_path):
    shared = grade_batches(submissions, tmp_path / "shared", docker_host=None)
    remote = grade_batches(submissions, tmp_path / "remote", docker_host=remote_engine.url)

    assert {name: essentials(r) for name, r in remote.items()} == {name: essentials(r) for name, r in shared.items()}
    reference = remote["reference"]
    assert reference["run"]["verdict"] == "completed" and reference["variant"]["verified"]
    assert set(essentials(reference)["findings"].values()) == {"pass"}
    assert reference["scores"]["hidden"]["roc_auc"] > 0.6            # predictions came back through the API
    assert reference["run"]["peak_memory_mb"] and shared["reference"]["run"]["peak_memory_mb"]   # engine stats
    assert {name: remote[name]["run"]["verdict"] for name in ATTACKS} == {
        "infinite_loop": "deadline", "memory_bomb": "out_of_memory", "os_exit": "kernel_died"}
    for case in (c for c in CASES if c.name in CORPUS_CASES):
        expected = {check: status.value for check, status in case.expected.items()}
        assert {check: essentials(remote[case.name])["findings"].get(check) for check in expected} == expected
    client = remote_engine.client()
    try:
        assert client.containers.list(all=True) == [] and client.volumes.list() == []
    finally:
        client.close()
