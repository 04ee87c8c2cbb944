"""An output folder that fills up or turns read-only mid-batch: one clear line, exit 5, nothing half-written,
and the same command grades the rest once there is room. The output folder is a small tmpfs of the test's own."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report, fake_sandbox_run
from test_atomic_writes import assert_nothing_half_written

from takehome_harness.harness.cli import grade


@pytest.fixture
def small_tmpfs(tmp_path):
    mount_point = tmp_path / "out"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def notebooks(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        paths.append(folder / f"s{i}.ipynb")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}\nprint(x)")])
        nbformat.write(nb, str(paths[-1]))
    return paths


def fill(folder: Path) -> Path:
    """Take every free byte of the file system under folder."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def fault_on_second_run(monkeypatch, fault) -> None:
    run, calls = fake_sandbox_run([]), []

    def sandbox(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            fault()
        return run(**kwargs)

    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", sandbox)


def assert_stops_with_one_line_then_resumes(sources: list[Path], out: Path, monkeypatch, repair) -> None:
    result = CliRunner().invoke(grade, [*map(str, sources), "--out", str(out), "--json"])
    assert result.exit_code == 5, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write to the output folder"), result.output
    assert "re-run the same command" in lines[0]
    assert_valid_report(out / "s0" / "report.json")
    assert not (out / "s1" / "report.json").exists()
    assert_nothing_half_written(out)

    repair()
    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", fake_sandbox_run([]))
    again = CliRunner().invoke(grade, [*map(str, sources), "--out", str(out), "--json"])
    assert again.exit_code == 0, again.output
    reports = {Path(r["report_dir"]).name: r for r in json.loads(again.stdout)["reports"]}
    assert reports["s0"]["skipped"] and not reports["s1"]["skipped"]
    assert all(r["outcome"] == "graded" for r in reports.values()) and len(reports) == 4
    assert len((out / "summary.csv").read_text().splitlines()) == 5
    assert_nothing_half_written(out)


@pytest.mark.root
def test_full_output_folder_stops_the_batch_with_one_line_and_a_rerun_resumes(harness_home, tmp_path, small_tmpfs,
                                                                             monkeypatch):
    filler: list[Path] = []
    fault_on_second_run(monkeypatch, lambda: filler.append(fill(small_tmpfs)))
    assert_stops_with_one_line_then_resumes(notebooks(tmp_path / "subs", 4), small_tmpfs, monkeypatch,
                                            repair=lambda: filler[0].unlink())


@pytest.mark.root
def test_output_folder_turning_read_only_stops_the_batch_and_a_rerun_resumes(harness_home, tmp_path, small_tmpfs,
                                                                            monkeypatch):
    def remount(mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(small_tmpfs)], check=True)

    fault_on_second_run(monkeypatch, lambda: remount("ro"))
    assert_stops_with_one_line_then_resumes(notebooks(tmp_path / "subs", 4), small_tmpfs, monkeypatch,
                                            repair=lambda: remount("rw"))


@pytest.mark.root
def test_read_only_output_folder_from_the_start_is_one_line(harness_home, tmp_path, small_tmpfs, fake_sandbox):
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    result = CliRunner().invoke(grade, [*map(str, notebooks(tmp_path / "subs", 1)), "--out",
                                        str(small_tmpfs / "reports"), "--json"])
    assert result.exit_code == 5 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line.strip()] == [
        f"error: cannot write to the output folder {small_tmpfs / 'reports'}: Read-only file system. Reports already "
        "finished are complete and kept; make room (or make it writable) and re-run the same command to grade the rest"]
