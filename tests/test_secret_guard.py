"""The grading secret is never replaced silently: a lost secret stops `bundle` and `grade` with one line that
says how to restore it, a backup is one command, and a bundle issued under another secret is reported as that."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import assert_valid_report
from hostile.grading import submission_from_bundle

from takehome_harness.harness.bundle_registry import list_bundles
from takehome_harness.harness.cli import grade, harness
from takehome_harness.harness.variants import SECRET_ENV, secret_fingerprint, secret_path

REFERENCE = Path(__file__).parents[1] / "exercises" / "churn" / "reference_solution.ipynb"


@pytest.fixture
def file_secret(harness_home, monkeypatch):
    """Grader state whose secret lives in the config file, as for a real user (no HARNESS_SECRET)."""
    monkeypatch.delenv(SECRET_ENV)
    return harness_home


def run(command, *args):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


def issue(out: Path, candidate: str = "Ada Lovelace") -> Path:
    result = run(harness, "bundle", "churn", "--candidate", candidate, "--out", out)
    assert result.exit_code == 0, result.output
    return Path(result.output.split(": ", 1)[1].splitlines()[0].strip())


def the_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_first_bundle_creates_the_secret_and_says_to_back_it_up(file_secret, tmp_path):
    result = run(harness, "bundle", "churn", "--candidate", "Ada", "--out", tmp_path)
    assert result.exit_code == 0
    assert "created a new grading secret" in result.output and "harness secret export" in result.output
    again = run(harness, "bundle", "churn", "--candidate", "Bob", "--out", tmp_path)
    assert "created a new grading secret" not in again.output
    secret = secret_path().read_bytes().strip()
    assert {b.secret_fingerprint for b in list_bundles()} == {secret_fingerprint(secret)}
    assert secret.decode() not in secret_path().parent.parent.joinpath("data", "bundles.jsonl").read_text()


def test_lost_secret_stops_bundle_and_grade_and_restoring_it_verifies_again(file_secret, tmp_path, fake_sandbox):
    bundle_zip = issue(tmp_path / "bundles")
    sub = submission_from_bundle(bundle_zip, tmp_path / "ada.zip", REFERENCE.read_bytes(), None)
    backup = tmp_path / "backup.txt"
    exported = run(harness, "secret", "export")
    backup.write_text(exported.output)
    secret_path().unlink()

    for refused in (run(harness, "bundle", "churn", "--candidate", "Eve", "--out", tmp_path / "bundles"),
                    run(grade, sub, "--out", tmp_path / "out")):
        assert refused.exit_code == 2
        line = the_line(refused)
        assert "grading secret is missing" in line and "1 bundle(s)" in line
        assert "harness secret import" in line and SECRET_ENV in line
    assert not secret_path().exists() and not fake_sandbox and not (tmp_path / "out").exists()

    restored = run(harness, "secret", "import", backup)
    assert restored.exit_code == 0 and "it issued 1 of the 1 bundle(s)" in restored.output
    assert oct(secret_path().stat().st_mode & 0o777) == "0o600"
    graded = run(grade, sub, "--out", tmp_path / "out")
    assert graded.exit_code == 0, graded.output
    report = assert_valid_report(tmp_path / "out" / "ada" / "report.json")
    assert report["variant"]["verified"] and report["scores"]["hidden"] is not None
    assert "NOT verified" not in graded.output


def test_bundle_from_another_secret_is_reported_as_that(harness_home, tmp_path, fake_sandbox, monkeypatch):
    bundle_zip = issue(tmp_path / "bundles")
    sub = submission_from_bundle(bundle_zip, tmp_path / "ada.zip", REFERENCE.read_bytes(), None)
    monkeypatch.setenv(SECRET_ENV, "a-different-secret")
    result = run(grade, sub, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "bundle NOT verified" in result.output
    report = assert_valid_report(tmp_path / "out" / "ada" / "report.json")
    assert report["variant"]["verified"] is False and report["scores"]["hidden"] is None
    assert "issued under a different grading secret" in report["variant"]["note"]
    assert secret_fingerprint(b"a-different-secret") in report["variant"]["note"]
    assert "edited" not in report["variant"]["note"]
    assert "bundle NOT verified" in (tmp_path / "out" / "index.html").read_text()
    assert "NOT verified" in (tmp_path / "out" / "summary.csv").read_text()


def test_edited_bundle_json_is_reported_as_edited_not_as_another_secret(harness_home, tmp_path, fake_sandbox):
    bundle_zip = issue(tmp_path / "bundles")
    sub = submission_from_bundle(bundle_zip, tmp_path / "ada.zip", REFERENCE.read_bytes(), None)
    with zipfile.ZipFile(sub) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    name = next(n for n in entries if n.endswith("bundle.json"))
    manifest = json.loads(entries[name])
    manifest["files"]["data/train.csv"] = "0" * 64
    entries[name] = json.dumps(manifest).encode()
    with zipfile.ZipFile(sub, "w") as z:
        for entry, data in entries.items():
            z.writestr(entry, data)
    assert run(grade, sub, "--out", tmp_path / "out").exit_code == 0
    note = assert_valid_report(tmp_path / "out" / "ada" / "report.json")["variant"]["note"]
    assert "bundle.json was edited" in note and "different grading secret" not in note


def test_grading_without_any_secret_or_bundle_never_creates_one(file_secret, tmp_path, fake_sandbox):
    result = run(grade, REFERENCE, "--exercise", "churn", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert not secret_path().exists()


def test_import_refuses_to_overwrite_a_different_secret(file_secret, tmp_path):
    issue(tmp_path)
    other = tmp_path / "other.txt"
    other.write_text("someone-elses-secret\n")
    refused = run(harness, "secret", "import", other)
    assert refused.exit_code == 2 and "--force" in the_line(refused)
    forced = run(harness, "secret", "import", other, "--force")
    assert forced.exit_code == 0 and "it issued 0 of the 1" in forced.output
    assert "is it the right backup" in forced.output


def test_show_path_and_export(file_secret, tmp_path):
    assert run(harness, "secret", "export").exit_code == 2
    shown = run(harness, "secret", "show-path")
    assert shown.exit_code == 0 and str(secret_path()) in shown.output and "no grading secret yet" in shown.output
    issue(tmp_path)
    exported = run(harness, "secret", "export").output.strip()
    assert exported == secret_path().read_text().strip()
    assert secret_fingerprint(exported.encode()) in run(harness, "secret", "show-path").output


def test_bundling_under_a_different_secret_than_earlier_bundles_warns(harness_home, tmp_path, monkeypatch):
    issue(tmp_path)
    monkeypatch.setenv(SECRET_ENV, "another-secret")
    result = run(harness, "bundle", "churn", "--candidate", "Bob", "--out", tmp_path)
    assert result.exit_code == 0 and "1 earlier bundle(s)" in result.output and "different grading secret" in result.output


def test_import_while_the_environment_overrides_the_file_says_which_one_is_used(file_secret, tmp_path, monkeypatch):
    backup = tmp_path / "backup.txt"
    backup.write_text("the-restored-secret\n")
    monkeypatch.setenv(SECRET_ENV, "the-environment-secret")
    result = run(harness, "secret", "import", backup)
    assert result.exit_code == 0 and secret_path().read_text().strip() == "the-restored-secret"
    assert f"{SECRET_ENV} is set to a different secret and takes precedence" in result.output
    monkeypatch.setenv(SECRET_ENV, "the-restored-secret")
    same = run(harness, "secret", "import", backup)
    assert same.exit_code == 0 and "takes precedence" not in same.output
