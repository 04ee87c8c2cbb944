"""An engine that goes away during a batch is not the candidate's fault: the running submission's report says
so, the rest are listed as not graded, the index and CSV cover what finished, exit code 3; the same command
grades the rest once the engine is back, and no container or work folder is left behind.

The real test stops an engine of its own (a second dockerd with its own roots and socket), never the shared one.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report, fake_sandbox_run
from own_engine import containers_on, require_a_second_engine, started_engine, stop_and_remove

from takehome_harness.harness.cli import grade
from takehome_harness.harness.errors import SandboxLost

ENGINE_MESSAGE = "The Docker engine stopped during the run"


def notebooks(folder: Path, count: int, source: str) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        paths.append(folder / f"s{i}.ipynb")
        cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_markdown_cell(f"submission s{i}")]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), str(paths[-1]))
    return paths


def engine_stops_at(monkeypatch, name: str) -> None:
    """The stand-in sandbox, except that the engine disappears while `name` runs."""
    run = fake_sandbox_run([])

    def sandbox(**kwargs):
        if f"submission {name}" in kwargs["notebook"].read_text():
            raise SandboxLost("the Docker engine stopped during the run")
        return run(**kwargs)

    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", sandbox)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_lost_engine_reports_the_running_one_lists_the_rest_and_keeps_the_index(harness_home, tmp_path,
                                                                              monkeypatch, jobs):
    sources = notebooks(tmp_path / "subs", 4, "x = 1")
    out = tmp_path / "out"
    engine_stops_at(monkeypatch, "s1")
    result = CliRunner().invoke(grade, [*map(str, sources), "--out", str(out), "--jobs", jobs, "--json"])
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert summary["sandbox_lost"]
    lost = assert_valid_report(out / "s1" / "report.json")
    assert lost["outcome"] == "internal_error" and ENGINE_MESSAGE in lost["message"]
    assert "re-run the same command" in lost["message"] and "not the candidate's fault" in lost["message"]
    reported = {Path(r["report_dir"]).name for r in summary["reports"]}
    assert reported | {Path(p).stem for p in summary["not_started"]} == {"s0", "s1", "s2", "s3"}
    index, rows = (out / "index.html").read_text(), (out / "summary.csv").read_text().splitlines()
    assert all(f"{name}/report.html" in index for name in reported) and len(rows) == len(reported) + 1

    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", fake_sandbox_run([]))
    again = CliRunner().invoke(grade, [*map(str, sources), "--out", str(out), "--json"])
    assert again.exit_code == 0
    reports = json.loads(again.stdout)["reports"]
    assert all(r["outcome"] == "graded" for r in reports) and len(reports) == 4
    assert not [r for r in reports if r["skipped"] and Path(r["report_dir"]).name == "s1"]


def test_text_output_lists_what_was_not_graded(harness_home, tmp_path, monkeypatch):
    sources = notebooks(tmp_path / "subs", 3, "x = 1")
    engine_stops_at(monkeypatch, "s1")
    result = CliRunner().invoke(grade, [*map(str, sources), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert f"{sources[2]}: not graded" in result.output
    assert "sandbox unavailable: the Docker engine stopped during the run" in result.output
    assert "re-run the same command" in result.output


# --- the real thing: a dockerd of the test's own (tests/own_engine.py), stopped by its pid -------------

@pytest.fixture(scope="module")
def own_engine():
    require_a_second_engine()
    engine = started_engine("/tmp")
    yield engine
    stop_and_remove(engine)


@pytest.mark.slow
@pytest.mark.docker
def test_engine_stopped_mid_batch_then_rerun_grades_all_and_leaves_nothing(harness_home, tmp_path, own_engine):
    sources = notebooks(tmp_path / "subs", 4, "import time\ntime.sleep(8)\nprint('done')")
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "DOCKER_HOST": own_engine.url, "TMPDIR": str(tmp)}
    command = [sys.executable, "-c", "from takehome_harness.harness.cli import grade; grade()", *map(str, sources), "--out", str(out),
               "--sandbox", "docker", "--timeout", "120", "--json"]
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: set[str] = set()
    deadline = time.monotonic() + 240
    while len(seen) < 2 and time.monotonic() < deadline and grader.poll() is None:
        seen.update(c.id for c in containers_on(own_engine) if c.status == "running")
        time.sleep(0.3)
    assert len(seen) == 2, "the second submission never started"
    time.sleep(2)   # well into its run
    own_engine.stop()
    stdout, stderr = grader.communicate(timeout=180)

    assert grader.returncode == 3, stderr[-3000:]
    assert "Traceback" not in stderr
    summary = json.loads(stdout)
    assert [Path(p).name for p in summary["not_started"]] == ["s2.ipynb", "s3.ipynb"]
    first = assert_valid_report(out / "s0" / "report.json")
    assert first["outcome"] == "graded" and first["run"]["verdict"] == "completed"
    second = assert_valid_report(out / "s1" / "report.json")
    assert second["outcome"] == "internal_error" and ENGINE_MESSAGE in second["message"]
    assert "re-run the same command" in second["message"]
    assert not (out / "s2").exists() and not (out / "s3").exists()
    assert "s0/report.html" in (out / "index.html").read_text()
    assert len((out / "summary.csv").read_text().splitlines()) == 3

    own_engine.start()
    assert len(containers_on(own_engine)) == 1   # the interrupted run's, stopped with the engine
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    reports = {Path(r["report_dir"]).name: r for r in json.loads(rerun.stdout)["reports"]}
    assert reports["s0"]["skipped"] and not reports["s1"]["skipped"]
    assert all(r["outcome"] == "graded" and r["verdict"] == "completed" for r in reports.values())
    assert containers_on(own_engine) == []
    assert sorted(p.name for p in tmp.iterdir()) == []
