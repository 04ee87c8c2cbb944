"""Intake of untrusted submissions: nothing escapes dest, bombs are stopped, odd inputs get plain words."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from hostile import archives, notebooks

from takehome_harness.harness.errors import HarnessError, SubmissionRejected
from takehome_harness.harness.intake import IntakeLimits, unpack_submission


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A sandbox folder: the submission is unpacked into work/dest; nothing may appear elsewhere in it."""
    (tmp_path / "in").mkdir()
    return tmp_path


def unpack(work: Path, data: bytes, *, name: str = "submission.zip", **kwargs):
    source = archives.write(work / "in" / name, data)
    return unpack_submission(source=source, dest=work / "dest", **kwargs)


def assert_nothing_outside_dest(work: Path, source_name: str = "submission.zip") -> None:
    assert {p.name for p in work.iterdir()} == {"in", "dest"}
    assert files_under(work / "in") == {source_name}


# --- happy paths --------------------------------------------------------------------------------

def test_plain_zip_gives_v4_notebook_and_no_warnings(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple())]))
    assert sub.dir == work / "dest"
    assert sub.notebook_path == work / "dest" / "notebook.ipynb"
    assert sub.notebook.nbformat == 4 and sub.notebook.cells[1].source.startswith("x = 1 + 1")
    assert sub.bundle is None and sub.warnings == []
    nbformat.validate(nbformat.read(sub.notebook_path, as_version=4))


def test_bare_notebook_is_accepted(work):
    source = archives.write(work / "in" / "solution.ipynb", notebooks.simple())
    sub = unpack_submission(source=source, dest=work / "dest")
    assert sub.notebook_path.name == "notebook.ipynb" and sub.warnings == []


def test_folder_is_copied_not_used_in_place(work):
    folder = work / "in" / "folder"
    folder.mkdir()
    (folder / "notebook.ipynb").write_bytes(notebooks.simple())
    (folder / "NEXT_STEPS.md").write_text("more features")
    sub = unpack_submission(source=folder, dest=work / "dest")
    assert files_under(sub.dir) == {"notebook.ipynb", "NEXT_STEPS.md"}
    assert sub.dir == work / "dest"


def test_wrapper_folder_and_mac_junk_are_stripped(work):
    sub = unpack(work, archives.wrapped_with_junk(notebooks.simple()))
    assert sub.dir == work / "dest" / "my-solution"
    assert files_under(work / "dest") == {"my-solution", "my-solution/notebook.ipynb", "my-solution/NEXT_STEPS.md"}
    assert sub.warnings == []


def test_valid_bundle_json_is_parsed(work):
    bundle = {"exercise": "churn", "exercise_version": "1.0", "bundle_id": "b-123",
              "created_at": "2026-11-25T10:00:00Z", "files": {"data/train.csv": "a" * 64}}
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple()),
                                          archives.Entry("bundle.json", json.dumps(bundle).encode())]))
    assert sub.bundle == bundle


@pytest.mark.parametrize("bundle_text, words", [
    (b"{not json", "not readable JSON"),
    (b'{"exercise": "churn", "created_at": ' + b"9" * 4400 + b"}", "not readable JSON (ValueError)"),
    (json.dumps({"exercise": "churn"}).encode(), "altered or damaged"),
    (json.dumps({"exercise": "../../etc", "exercise_version": "1", "bundle_id": "x", "created_at": "t",
                 "files": {}}).encode(), "altered or damaged"),
])
def test_bad_bundle_json_is_dropped_with_a_warning(work, bundle_text, words):
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple()),
                                          archives.Entry("bundle.json", bundle_text)]))
    assert sub.bundle is None
    assert any(words in w for w in sub.warnings)


def test_own_data_folder_is_kept_as_evidence_with_a_warning(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple()),
                                          archives.Entry("data/test_labels.csv", b"id,churned\n1,0\n")]))
    assert (sub.dir / "data" / "test_labels.csv").is_file()
    assert any("own data/ folder" in w and "ignored" in w for w in sub.warnings)


# --- path tricks, links, special files ----------------------------------------------------------

def test_zip_slip_members_are_skipped_and_never_written_outside(work):
    sub = unpack(work, archives.zip_slip(notebooks.simple()))
    assert files_under(sub.dir) == {"notebook.ipynb"}
    assert_nothing_outside_dest(work)
    assert not Path("/tmp/absolute-escape.txt").exists()
    [warning] = sub.warnings
    assert "Skipped 4 file(s)" in warning and "outside the submission folder" in warning


def test_symlinks_and_devices_in_zip_are_skipped(work):
    sub = unpack(work, archives.links_and_devices(notebooks.simple()))
    assert files_under(sub.dir) == {"notebook.ipynb", "setuid-script.sh"}
    assert not any(p.is_symlink() for p in sub.dir.rglob("*"))
    assert (sub.dir / "setuid-script.sh").stat().st_mode & 0o7777 == 0o644   # no setuid, no exec bit
    text = " ".join(sub.warnings)
    assert "Skipped 2 file(s) from the submission because it is a symbolic link" in text
    assert "Skipped 2 file(s) from the submission because it is a device, pipe" in text


def test_folder_with_symlinks_and_fifo_copies_only_regular_files(work):
    secret = work / "in" / "host-secret.txt"
    secret.write_text("do not read")
    folder = archives.hostile_folder(work / "in" / "folder", notebooks.simple(), outside=secret)
    sub = unpack_submission(source=folder, dest=work / "dest")
    assert files_under(sub.dir) == {"notebook.ipynb"}
    assert any("symbolic link" in w for w in sub.warnings) and any("pipe" in w for w in sub.warnings)


def test_encrypted_members_are_skipped_without_asking_for_a_password(work):
    sub = unpack(work, archives.marked_encrypted(notebooks.simple()))
    assert files_under(sub.dir) == {"notebook.ipynb"}
    assert any("encrypted" in w and "secret.csv" in w for w in sub.warnings)


def test_nested_archive_is_kept_but_not_unpacked(work):
    sub = unpack(work, archives.nested_archive(notebooks.simple()))
    assert files_under(sub.dir) == {"notebook.ipynb", "extras.zip"}
    assert_nothing_outside_dest(work)
    assert any("archive inside the archive" in w and "extras.zip" in w for w in sub.warnings)


def test_legacy_code_page_names_decode_without_crashing(work):
    sub = unpack(work, archives.cp437_names(notebooks.simple()))
    assert "caf\u00e9.txt" in files_under(sub.dir)   # 0x82 is e-acute in cp437, as zipfile decodes it


def test_names_flagged_utf8_but_invalid_are_rejected_plainly(work):
    with pytest.raises(SubmissionRejected, match="not; please re-create the zip"):
        unpack(work, archives.invalid_utf8_names(notebooks.simple()))


def test_control_characters_in_names_are_skipped(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple()),
                                          archives.Entry("evil\x1b[31m.txt", b"x")]))
    assert files_under(sub.dir) == {"notebook.ipynb"}
    assert any("control characters" in w and "\\x1b" in w for w in sub.warnings)
    assert not any("\x1b" in w for w in sub.warnings)


# --- bombs and damage ---------------------------------------------------------------------------

def test_ratio_bomb_is_stopped_while_streaming(work):
    with pytest.raises(SubmissionRejected, match="zip bomb"):
        unpack(work, archives.ratio_bomb(notebooks.simple(), megabytes=8))
    written = sum(p.stat().st_size for p in (work / "dest").rglob("*") if p.is_file())
    assert written <= 2 * 2**20


def test_declared_total_over_cap_is_rejected_before_unpacking(work):
    limits = IntakeLimits(max_total_bytes=4 * 2**20, max_ratio=10_000)
    with pytest.raises(SubmissionRejected, match="would unpack to"):
        unpack(work, archives.ratio_bomb(notebooks.simple(), megabytes=8), limits=limits)
    assert files_under(work / "dest") == set()


def test_sizes_that_lie_in_the_headers_do_not_get_past_the_stream_checks(work):
    data = archives.lying_sizes(notebooks.simple(), real_bytes=6 * 2**20, claimed_bytes=1000)
    assert sum(i.file_size for i in zipfile.ZipFile(archives.write(work / "probe.zip", data)).infolist()) < 2**20
    (work / "probe.zip").unlink()
    with pytest.raises(SubmissionRejected):
        unpack(work, data, limits=IntakeLimits(max_total_bytes=2 * 2**20, max_ratio=10_000))
    written = sum(p.stat().st_size for p in (work / "dest").rglob("*") if p.is_file())
    assert written <= 2 * 2**20


def test_total_budget_is_counted_across_files_while_copying(work):
    folder = work / "in" / "folder"   # a folder has no headers at all: only the streaming count stops it
    folder.mkdir()
    (folder / "notebook.ipynb").write_bytes(notebooks.simple())
    for i in range(3):
        (folder / f"part{i}.bin").write_bytes(os.urandom(2**20))
    with pytest.raises(SubmissionRejected, match="more than 2 MB"):
        unpack_submission(source=folder, dest=work / "dest", limits=IntakeLimits(max_total_bytes=2 * 2**20 + 2**19))
    written = sum(p.stat().st_size for p in (work / "dest").rglob("*") if p.is_file())
    assert written <= 2 * 2**20 + 2**19


def test_too_many_members_is_rejected(work):
    with pytest.raises(SubmissionRejected, match="more than the 50 allowed"):
        unpack(work, archives.many_members(notebooks.simple(), 60), limits=IntakeLimits(max_members=50))


def test_oversized_central_directory_is_rejected_before_zipfile_reads_it(work):
    entries = [archives.Entry("notebook.ipynb", notebooks.simple())] + [
        archives.Entry(f"{i:04d}" + "n" * 1000, b"") for i in range(60)]
    with pytest.raises(SubmissionRejected, match="lists far too many files"):
        unpack(work, archives.zip_bytes(entries), limits=IntakeLimits(max_members=50))
    assert files_under(work / "dest") == set()


def test_truncated_zip_is_rejected_plainly(work):
    good = archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple())])
    with pytest.raises(SubmissionRejected, match="not a zip archive.*damaged"):
        unpack(work, archives.truncated(good))


def test_corrupt_member_is_rejected_plainly(work):
    with pytest.raises(SubmissionRejected, match="damaged or unsupported zip"):
        unpack(work, archives.corrupt_member(notebooks.simple()))


def test_file_that_is_not_a_zip_is_rejected(work):
    with pytest.raises(SubmissionRejected, match="is not a zip archive, a folder or a .ipynb"):
        unpack(work, b"%PDF-1.4 not a zip", name="submission.pdf")


def test_missing_source_and_dirty_dest_are_user_errors(work):
    with pytest.raises(HarnessError, match="submission not found"):
        unpack_submission(source=work / "nope.zip", dest=work / "dest")
    (work / "dest").mkdir()
    (work / "dest" / "leftover").write_text("x")
    with pytest.raises(HarnessError, match="must be empty"):
        unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple())]))


# --- which notebook, and what shape it is in ----------------------------------------------------

def test_no_notebook_at_all_is_rejected(work):
    with pytest.raises(SubmissionRejected, match=r"has no notebook \(.ipynb\) in it"):
        unpack(work, archives.zip_bytes([archives.Entry("README.md", b"hi"), archives.Entry("src/util.py", b"x=1")]))


def test_a_project_folder_with_one_notebook_runs_it_from_its_own_folder(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("README.md", b"hi"),
                                          archives.Entry("notebooks/analysis.ipynb", notebooks.simple()),
                                          archives.Entry("notebooks/.ipynb_checkpoints/analysis-checkpoint.ipynb",
                                                         notebooks.simple()),
                                          archives.Entry("data/raw.csv", b"a,b\n1,2\n"),
                                          archives.Entry("src/features.py", b"def f(x):\n    return x\n")]))
    assert sub.notebook_path == sub.dir / "notebooks" / "analysis.ipynb"
    assert (sub.dir / "data" / "raw.csv").is_file() and (sub.dir / "src" / "features.py").is_file()
    assert any("sub-folder (notebooks/analysis.ipynb)" in w and "its own folder" in w for w in sub.warnings)


def test_a_project_folder_prefers_the_contract_name(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("work/notebook.ipynb", notebooks.simple()),
                                          archives.Entry("work/scratch/eda.ipynb", notebooks.simple()),
                                          archives.Entry("README.md", b"hi")]))
    assert sub.notebook_path == sub.dir / "work" / "notebook.ipynb"


def test_several_nested_notebooks_are_rejected_with_the_list(work):
    with pytest.raises(SubmissionRejected, match=r"several in sub-folders \(a/one.ipynb, b/two.ipynb\)"):
        unpack(work, archives.zip_bytes([archives.Entry("README.md", b"hi"),
                                         archives.Entry("a/one.ipynb", notebooks.simple()),
                                         archives.Entry("b/two.ipynb", notebooks.simple())]))


def test_contract_name_wins_among_several_notebooks(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("notebook.ipynb", notebooks.simple()),
                                          archives.Entry("scratch.ipynb", notebooks.simple())]))
    assert sub.notebook_path.name == "notebook.ipynb"
    assert any("scratch.ipynb" in w and "not run" in w for w in sub.warnings)


def test_single_differently_named_notebook_is_used_with_a_warning(work):
    sub = unpack(work, archives.zip_bytes([archives.Entry("Churn Solution.ipynb", notebooks.simple())]))
    assert sub.notebook_path.name == "Churn Solution.ipynb"
    assert any("graded Churn Solution.ipynb" in w for w in sub.warnings)


def test_several_notebooks_without_contract_name_are_listed(work):
    with pytest.raises(SubmissionRejected, match=r"several notebooks \(a.ipynb, b.ipynb\).*notebook.ipynb"):
        unpack(work, archives.zip_bytes([archives.Entry("a.ipynb", notebooks.simple()),
                                         archives.Entry("b.ipynb", notebooks.simple())]))


def test_notebook_that_is_not_json_is_rejected_with_line_and_column(work):
    with pytest.raises(SubmissionRejected, match=r"not valid JSON \(line 4, column 4"):
        unpack(work, notebooks.not_json(), name="notebook.ipynb")


def test_non_utf8_notebook_is_rejected(work):
    with pytest.raises(SubmissionRejected, match="not UTF-8"):
        unpack(work, b'{"nbformat": 4, "x": "\xff"}', name="notebook.ipynb")


def test_lone_surrogate_in_the_notebook_json_is_rejected_plainly(work):
    with pytest.raises(SubmissionRejected, match=r"not valid Unicode \(a lone surrogate, '\\ud800'\)"):
        unpack(work, notebooks.lone_surrogate(), name="notebook.ipynb")


def test_a_number_too_long_to_read_is_rejected_plainly(work):
    with pytest.raises(SubmissionRejected, match=r"a number too long to read \(Exceeds the limit \(4300 digits\)"):
        unpack(work, notebooks.number_too_long(), name="notebook.ipynb")


def test_json_that_is_not_a_notebook_is_rejected(work):
    with pytest.raises(SubmissionRejected, match="not a Jupyter notebook"):
        unpack(work, b"[1, 2, 3]", name="notebook.ipynb")


def test_deeply_nested_json_is_rejected(work):
    with pytest.raises(SubmissionRejected, match="nested too deeply|not a valid notebook"):
        unpack(work, b'{"nbformat": 4, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", name="notebook.ipynb")


def test_v3_notebook_is_upgraded_with_a_warning(work):
    sub = unpack(work, notebooks.v3_notebook(), name="notebook.ipynb")
    assert sub.notebook.nbformat == 4
    assert sub.notebook.cells[0].source == "print('old format')"
    assert any("old notebook format 3" in w for w in sub.warnings)
    nbformat.validate(nbformat.read(sub.notebook_path, as_version=nbformat.NO_CONVERT))


def test_future_major_version_is_rejected(work):
    raw = json.loads(notebooks.simple())
    raw["nbformat"] = 9
    with pytest.raises(SubmissionRejected, match="format version 9"):
        unpack(work, json.dumps(raw).encode(), name="notebook.ipynb")


def test_missing_cell_ids_are_repaired_with_a_warning(work):
    sub = unpack(work, notebooks.missing_cell_ids(), name="notebook.ipynb")
    assert all(cell.get("id") for cell in sub.notebook.cells)
    assert any("repaired" in w for w in sub.warnings)
    nbformat.validate(nbformat.read(sub.notebook_path, as_version=4))


def test_invalid_notebook_is_rejected_with_the_validation_error(work):
    with pytest.raises(SubmissionRejected, match=r"not a valid notebook: at cells/0"):
        unpack(work, notebooks.structurally_invalid(), name="notebook.ipynb")


def test_other_kernel_is_replaced_by_python3(work):
    sub = unpack(work, notebooks.notebook_bytes(["1"], kernel="ir"), name="notebook.ipynb")
    assert sub.notebook.metadata.kernelspec.name == "python3"
    assert nbformat.read(sub.notebook_path, as_version=4).metadata.kernelspec.name == "python3"
    assert any("'ir'" in w and "Python 3" in w for w in sub.warnings)


def test_huge_outputs_are_cut_and_binary_ones_dropped(work):
    sub = unpack(work, notebooks.huge_output(50_000), name="notebook.ipynb",
                 limits=IntakeLimits(max_output_chars=1000))
    stream, display = sub.notebook.cells[0].outputs
    assert len(stream.text) < 1100 and "more characters cut by the grader" in stream.text
    assert "image/png" not in display.data and "removed by the grader" in display.data["text/plain"]
    assert len(display.data["text/html"]) < 1100
    assert sub.notebook_path.stat().st_size < 10_000
    assert any("very large saved outputs in cell(s) 0" in w for w in sub.warnings)


def test_oversized_notebook_is_rejected_before_parsing(work):
    with pytest.raises(SubmissionRejected, match="over the 1 MB limit"):
        unpack(work, notebooks.huge_output(2 * 2**20), name="notebook.ipynb",
               limits=IntakeLimits(max_notebook_bytes=2**20))
