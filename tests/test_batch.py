"""Batches: parallel jobs, one bad submission never stops the rest, index + CSV, re-runs, Ctrl-C."""
from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report, in_ci

from takehome_harness.harness.batch import grade_batch
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.cli import grade

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "exercises" / "churn" / "reference_solution.ipynb"
EXAMPLE = ROOT / "exercises" / "churn" / "example_submission" / "notebook.ipynb"


def notebook(path: Path, *sources: str, authors: list[str] | None = None) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    if authors:
        nb.metadata["authors"] = [{"name": a} for a in authors]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def broken_zip(path: Path) -> Path:
    path.write_bytes(b"PK\x03\x04" + os.urandom(64))
    return path


def test_parallel_batch_writes_every_report_index_and_csv(harness_home, tmp_path, fake_sandbox):
    sources = [notebook(tmp_path / "a" / "notebook.ipynb", "x = 1"),
               notebook(tmp_path / "b" / "notebook.ipynb", "x = 2"),
               notebook(tmp_path / "c.ipynb", "x = 3", authors=["=HYPERLINK(\"http://x\")"]),
               broken_zip(tmp_path / "broken.zip")]
    out = tmp_path / "out"
    result = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn"), jobs=2)
    assert len(result.outcomes) == 4 and not result.interrupted
    labels = [o.report_dir.name for o in result.outcomes]
    assert len(set(labels)) == 4 and all(label.startswith("notebook-") for label in labels[:2])
    for outcome in result.outcomes:
        assert_valid_report(outcome.report_dir / "report.json")
    assert [o.outcome for o in result.outcomes] == ["graded", "graded", "graded", "rejected"]

    html = result.index_html.read_text()
    for label in labels:
        assert f'href="{label}/report.html"' in html
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html

    with result.summary_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["label"] for r in rows] == labels
    assert rows[3]["outcome"] == "rejected" and rows[0]["score"] == "could_not_check"
    assert rows[2]["candidate"].startswith("'=")  # a name a spreadsheet would run as a formula


def test_a_crashing_job_becomes_an_internal_error_report_and_the_rest_finish(harness_home, tmp_path,
                                                                               fake_sandbox, monkeypatch):
    import takehome_harness.harness.grade as grade_module

    real = grade_module._sandbox_run

    def crash_on_b(**kwargs):
        if "crash" in kwargs["notebook"].read_text():
            raise RuntimeError("the runner fell over")
        return real(**kwargs)

    monkeypatch.setattr(grade_module, "_sandbox_run", crash_on_b)
    sources = [notebook(tmp_path / f"n{i}.ipynb", "crash" if i == 1 else "fine") for i in range(3)]
    result = CliRunner().invoke(grade, [*map(str, sources), "--exercise", "churn", "--jobs", "3",
                                        "--out", str(tmp_path / "out")])
    assert result.exit_code == 4
    outcomes = {p.parent.name: assert_valid_report(p)["outcome"] for p in (tmp_path / "out").glob("*/report.json")}
    assert outcomes == {"n0": "graded", "n1": "internal_error", "n2": "graded"}


def test_interrupt_keeps_finished_reports_and_lists_the_rest(harness_home, tmp_path, fake_sandbox):
    sources = [notebook(tmp_path / f"s{i}.ipynb", f"x = {i}") for i in range(4)]

    def stop_after_first(outcome):
        raise KeyboardInterrupt

    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"), jobs=1,
                         on_done=stop_after_first)
    assert result.interrupted
    assert [o.report_dir.name for o in result.outcomes] == ["s0"]
    assert result.not_started == sources[1:]
    assert "s0/report.html" in result.index_html.read_text()


def test_blind_index_uses_anonymised_ids(harness_home, tmp_path, fake_sandbox):
    sources = [notebook(tmp_path / "alan_turing.ipynb", "x = 1", authors=["Alan Turing"])]
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn", blind=True))
    for written in (result.index_html, result.summary_csv):
        text = written.read_text()
        assert "Turing" not in text and "alan" not in text
        assert result.outcomes[0].report_dir.name in text


def test_paths_are_checked_before_anything_runs(harness_home, tmp_path, fake_sandbox):
    result = CliRunner().invoke(grade, [str(REFERENCE), str(tmp_path / "missing.zip"), "--out",
                                        str(tmp_path / "out")])
    assert result.exit_code == 2 and "missing.zip" in result.output
    assert not fake_sandbox and not (tmp_path / "out").exists()


# --- the real thing: ten submissions through the CLI and the real sandbox -------------------------

def containers(tmp_root: Path) -> list[str]:
    """Sandbox containers (by label) whose run's temp folder is under tmp_root, i.e. this test's own runs."""
    from hostile.grading import docker_containers

    from takehome_harness.harness.sandbox.image import LABEL

    return docker_containers(LABEL, mounting=tmp_root)


def grader_env(tmp_root: Path) -> dict[str, str]:
    """The grader's temp folders (and so its sandbox mounts) under tmp_root, to tell its containers apart."""
    (tmp_root / "tmp").mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp_root / "tmp")}


def ten_submissions(root: Path, bundle_zip: Path) -> list[Path]:
    from hostile.grading import submission_from_bundle

    root.mkdir(parents=True)
    return [
        submission_from_bundle(bundle_zip, root / "reference.zip", REFERENCE.read_bytes()),
        submission_from_bundle(bundle_zip, root / "example.zip", EXAMPLE.read_bytes()),
        REFERENCE,
        EXAMPLE,
        notebook(root / "iris" / "notebook.ipynb",
                 "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
                 "from sklearn.model_selection import train_test_split\nX, y = load_iris(return_X_y=True)",
                 "X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)\n"
                 "print(LogisticRegression(max_iter=500).fit(X_tr, y_tr).score(X_te, y_te))"),
        notebook(root / "fails.ipynb", "import pandas as pd", "pd.read_csv('data/missing.csv')"),
        notebook(root / "empty.ipynb", "# nothing here"),
        notebook(root / "prints.ipynb", "for i in range(3):\n    print(i)"),
        notebook(root / "forever.ipynb", "while True:\n    pass"),
        broken_zip(root / "broken.zip"),
    ]


@pytest.mark.docker
@pytest.mark.parametrize("jobs", [1, 2])
def test_each_process_of_a_batch_opens_the_engine_once(harness_home, tmp_path, monkeypatch, jobs):
    """The sweep and every grade of a process share one client; a forked worker opens its own, once."""
    import collections

    import docker

    made = tmp_path / "clients-made"
    real_init = docker.DockerClient.__init__

    def counting_init(self, *args, **kwargs):
        with made.open("a") as handle:   # a file: forked workers count too
            handle.write(f"{os.getpid()}\n")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(docker.DockerClient, "__init__", counting_init)
    sources = [notebook(tmp_path / name / "notebook.ipynb", f"print({n})") for n, name in enumerate("ab")]
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(sandbox="docker"), jobs=jobs)
    assert [(o.outcome, o.run_verdict, o.run_backend) for o in result.outcomes] == [("graded", "completed", "docker")] * 2
    per_process = collections.Counter(made.read_text().split())
    assert per_process[str(os.getpid())] == 1 and set(per_process.values()) == {1}
    assert len(per_process) in ({1} if jobs == 1 else {2, 3})   # the parent, and each worker that graded


@pytest.mark.slow
@pytest.mark.docker
def test_batch_of_ten_with_hostile_submissions_through_the_cli(harness_home, tmp_path):
    from takehome_harness.harness.bundle import create_bundle

    bundle_zip = Path(create_bundle(exercise_id="churn", candidate="Batch Tester", out_dir=tmp_path / "b").path)
    sources = ten_submissions(tmp_path / "subs", bundle_zip)
    out = tmp_path / "out"
    args = [sys.executable, "-c", "from takehome_harness.harness.cli import grade; grade()", *map(str, sources),
            "--out", str(out), "--jobs", "2", "--timeout", "60", "--exercise", "churn", "--json",
            "--sandbox", "docker" if in_ci() else "auto"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900, env=grader_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    reports = sorted(out.glob("*/report.json"))
    assert len(reports) == 10
    documents = {p.parent.name: assert_valid_report(p) for p in reports}
    assert documents["forever"]["run"]["verdict"] == "deadline"
    assert documents["broken"]["outcome"] == "rejected"
    assert documents["fails"]["run"]["verdict"] == "cell_error"
    assert documents["reference"]["scores"]["hidden"]["roc_auc"] > 0.7
    assert (out / "index.html").is_file() and len((out / "summary.csv").read_text().splitlines()) == 11
    assert containers(tmp_path) == []

    again = subprocess.run(args, capture_output=True, text=True, timeout=300, env=grader_env(tmp_path))
    assert again.returncode == 0
    import json

    skipped = [r["skipped"] for r in json.loads(again.stdout)["reports"]]
    assert sum(skipped) == 10


@pytest.mark.slow
@pytest.mark.docker
def test_ctrl_c_stops_cleanly_and_leaves_no_container(harness_home, tmp_path):
    import signal
    import time

    sources = [notebook(tmp_path / f"loop{i}.ipynb", "import time\nwhile True:\n    time.sleep(0.1)")
               for i in range(3)]
    out = tmp_path / "out"
    args = [sys.executable, "-c", "from takehome_harness.harness.cli import grade; grade()", *map(str, sources), "--out", str(out),
            "--jobs", "2", "--timeout", "300", "--sandbox", "docker" if in_ci() else "auto"]
    # a shell's background job inherits SIGINT ignored; a terminal's Ctrl-C reaches a process that handles it
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=grader_env(tmp_path),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not containers(tmp_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
    if in_ci() or containers(tmp_path):  # locally `auto` may have fallen back to the local runner
        assert containers(tmp_path), "no sandbox container was running when Ctrl-C came"
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert (out / "index.html").is_file()
    assert containers(tmp_path) == []


def test_each_input_is_hashed_once(harness_home, tmp_path, fake_sandbox, monkeypatch):
    import takehome_harness.harness.batch
    import takehome_harness.harness.grade

    hashed: list[Path] = []
    real = takehome_harness.harness.grade.input_sha256

    def counting(source: Path) -> str:
        hashed.append(Path(source))
        return real(source)

    monkeypatch.setattr(takehome_harness.harness.batch, "input_sha256", counting)
    monkeypatch.setattr(takehome_harness.harness.grade, "input_sha256", counting)
    sources = [notebook(tmp_path / f"in/{name}.ipynb", "x = 1") for name in ("a", "b")]
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(sandbox="local"))
    assert [o.outcome for o in result.outcomes] == ["graded", "graded"]
    assert sorted(hashed) == sorted(sources)


def test_auto_fallback_is_one_loud_line_per_batch_and_marked_in_the_index(harness_home, tmp_path, monkeypatch):
    import docker

    def no_engine(**kwargs):
        raise docker.errors.DockerException("connection refused")

    monkeypatch.setattr(docker, "from_env", no_engine)
    sources = [notebook(tmp_path / "a" / "notebook.ipynb", "x = 1"), notebook(tmp_path / "b" / "notebook.ipynb", "x = 2")]
    out = tmp_path / "out"
    result = CliRunner().invoke(grade, [*map(str, sources), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    loud = [line for line in result.stderr.splitlines() if "WITHOUT ISOLATION" in line]
    assert len(loud) == 1 and "2 of 2 submission(s)" in loud[0] and "no Docker engine is reachable" in loud[0]
    assert (out / "index.html").read_text().count(">not isolated</span>") == 2
    with (out / "summary.csv").open() as handle:
        assert [row["isolated"] for row in csv.DictReader(handle)] == ["NO", "NO"]

    strict = CliRunner().invoke(grade, [str(sources[0]), "--out", str(tmp_path / "strict"), "--sandbox", "docker"])
    assert strict.exit_code == 3 and "no Docker engine is reachable" in strict.output
    assert "Traceback" not in strict.output
