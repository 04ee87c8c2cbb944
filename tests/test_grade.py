"""`grade` end to end with a stand-in sandbox (fast): variants, modes, reports, exit codes, blind, re-runs."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import assert_valid_report
from hostile.grading import submission_from_bundle

from takehome_harness.harness.cli import grade
from takehome_harness.harness.errors import SandboxUnavailable
from takehome_harness.harness.grade import grade_submission
from takehome_harness.harness.grade_options import GradeOptions

REFERENCE = Path(__file__).parents[1] / "exercises" / "churn" / "reference_solution.ipynb"
CANDIDATE = "Grace Hopper"


def invoke(*args: str):
    return CliRunner().invoke(grade, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def bundle_zip(harness_home, tmp_path):
    from takehome_harness.harness.bundle import create_bundle

    return Path(create_bundle(exercise_id="churn", candidate=CANDIDATE, out_dir=tmp_path / "bundles").path)


def submission(bundle_zip: Path, dest: Path, *, notebook: bytes | None = None, extra=None) -> Path:
    return submission_from_bundle(bundle_zip, dest, notebook or REFERENCE.read_bytes(), extra)


def test_bundle_submission_uses_verified_variant_and_hidden_labels(bundle_zip, tmp_path, fake_sandbox):
    sub = submission(bundle_zip, tmp_path / "grace.zip", extra={"predictions.csv": b"customer_id,churn_probability\n"})
    result = invoke(sub, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "grace"
    report = assert_valid_report(folder / "report.json")
    assert {p.name for p in folder.iterdir()} == {"report.json", "report.html", "executed.ipynb", "predictions.csv"}
    # the clean run's predictions are kept, not the file shipped in the zip
    assert len((folder / "predictions.csv").read_text().splitlines()) > 1
    assert report["outcome"] == "graded" and report["run"]["verdict"] == "completed"
    assert report["candidate"] == CANDIDATE
    assert report["exercise"]["id"] == "churn"
    assert report["variant"]["verified"] and report["variant"]["data"] == "variant"
    assert "seed" not in json.dumps(report["variant"])
    scores = report["scores"]
    assert set(scores["hidden"]) == {"roc_auc", "average_precision", "brier"}
    assert scores["baseline"]["roc_auc"] == pytest.approx(0.5)
    assert scores["reference"]["roc_auc"] > 0.7
    # the run got the grader's data and none of what the candidate shipped in its place
    call = fake_sandbox[0]
    assert call["data_dir"].name == "data" and call["data_files"] == ["test.csv", "train.csv"]
    assert "predictions.csv" not in call["files"] and "data" not in call["files"]
    assert {f["check"] for f in report["findings"]} >= {"score", "writeup", "execution"}


def test_edited_bundle_json_is_not_trusted_with_hidden_labels(bundle_zip, tmp_path, fake_sandbox):
    sub = submission(bundle_zip, tmp_path / "edited.zip")
    with zipfile.ZipFile(sub) as z:
        names = {i.filename: z.read(i) for i in z.infolist()}
    bundle_name = next(n for n in names if n.endswith("bundle.json"))
    bundle = json.loads(names[bundle_name])
    bundle["bundle_id"] = "someone-else"
    names[bundle_name] = json.dumps(bundle).encode()
    with zipfile.ZipFile(sub, "w") as z:
        for name, data in names.items():
            z.writestr(name, data)
    assert invoke(sub, "--out", tmp_path / "out").exit_code == 0
    report = assert_valid_report(tmp_path / "out" / "edited" / "report.json")
    assert report["variant"]["verified"] is False and report["variant"]["data"] == "default"
    assert report["scores"]["hidden"] is None
    assert any("Could not verify the bundle" in w for w in report["warnings"])


def test_bare_notebook_with_exercise_runs_default_data_without_hidden_labels(harness_home, tmp_path,
                                                                             fake_sandbox):
    result = invoke(REFERENCE, "--exercise", "churn", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "reference_solution" / "report.json")
    assert report["variant"] == {**report["variant"], "bundle_id": None, "verified": False, "data": "default"}
    assert report["scores"]["hidden"] is None
    assert "verified bundle" in report["scores"]["hidden_note"]
    score = next(f for f in report["findings"] if f["check"] == "score")
    assert score["status"] == "could_not_check"
    assert fake_sandbox[0]["data_dir"] is not None


def test_generic_mode_keeps_the_submissions_own_files(harness_home, tmp_path, fake_sandbox):
    folder = tmp_path / "iris-study"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from sklearn.datasets import load_iris\nimport helpers\nX, y = load_iris(return_X_y=True)")])
    nbformat.write(nb, str(folder / "analysis.ipynb"))
    (folder / "helpers.py").write_text("VALUE = 1\n")
    result = invoke(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "iris-study" / "report.json")
    assert report["exercise"] is None and report["variant"]["data"] == "submission"
    assert report["scores"]["primary_metric"] is None
    assert fake_sandbox[0]["data_dir"] is None
    assert "helpers.py" in fake_sandbox[0]["files"]
    score = next(f for f in report["findings"] if f["check"] == "score")
    assert score["status"] == "not_applicable"


def test_broken_zip_gets_a_rejected_report_and_exit_0(harness_home, tmp_path, fake_sandbox):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = invoke(broken, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "broken" / "report.json")
    assert report["outcome"] == "rejected" and report["run"]["verdict"] == "not_run"
    assert [f["check"] for f in report["findings"]] == ["intake"]
    assert report["findings"][0]["status"] == "fail"
    assert "Rejected" in (tmp_path / "out" / "broken" / "report.html").read_text()
    assert not fake_sandbox


def test_missing_path_is_bad_input_exit_2_one_line(tmp_path):
    result = invoke(tmp_path / "nope.zip", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "submission not found" in result.output
    assert "Traceback" not in result.output


def test_the_console_script_keeps_exit_codes_output_and_atexit_work_when_it_skips_teardown(tmp_path):
    """`grade` (cli.grade_main) leaves with os._exit: the exit code, the error line and what atexit handlers do
    must be as with a normal exit."""
    marker = tmp_path / "atexit-ran"
    code = ("import atexit, pathlib, sys; "
            f"atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text('yes')); "
            "from takehome_harness.harness.cli import grade_main; sys.argv = ['grade', sys.argv[1]]; grade_main()")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "nope.zip")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip().startswith("error: submission not found")
    assert "Traceback" not in done.stderr and marker.read_text() == "yes"
    helped = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "Exit codes:" in helped.stdout


def test_unknown_exercise_is_bad_input(tmp_path):
    result = invoke(REFERENCE, "--exercise", "nope", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "unknown exercise 'nope'" in result.output


def test_sandbox_unavailable_exits_3(harness_home, tmp_path, monkeypatch):
    def no_engine(**kwargs):
        raise SandboxUnavailable("no Docker engine is reachable")

    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", no_engine)
    result = invoke(REFERENCE, "--exercise", "churn", "--sandbox", "docker", "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "no Docker engine" in result.output and "Traceback" not in result.output


def test_internal_error_still_writes_a_report_and_exits_4(harness_home, tmp_path, fake_sandbox, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("scoring exploded")

    monkeypatch.setattr("takehome_harness.graders.score.hidden_score", broken)
    result = invoke(REFERENCE, "--exercise", "churn", "--out", tmp_path / "out")
    assert result.exit_code == 4
    report = assert_valid_report(tmp_path / "out" / "reference_solution" / "report.json")
    assert report["outcome"] == "internal_error" and "scoring exploded" in report["message"]
    assert "RuntimeError" in report["run"]["traceback"]


def test_blind_leaves_out_every_identifying_detail(bundle_zip, tmp_path, fake_sandbox):
    nb = nbformat.reads(REFERENCE.read_text(), as_version=4)
    nb.metadata["authors"] = [{"name": CANDIDATE}]
    sub = submission(bundle_zip, tmp_path / "grace_hopper.zip", notebook=nbformat.writes(nb).encode())
    result = invoke(sub, "--blind", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert folder.name.startswith("submission-")
    report = assert_valid_report(folder / "report.json")
    assert report["blind"] and report["candidate"] is None and report["submission"]["source_name"] is None
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"index.html", "summary.csv", "executed.ipynb"}
    for path in written:
        text = path.read_text()
        assert "Grace" not in text and "Hopper" not in text and "grace_hopper" not in text, path
    # the same submission graded openly names the candidate
    invoke(sub, "--out", tmp_path / "open")
    assert "Grace Hopper" in (tmp_path / "open" / "index.html").read_text()


def test_second_run_skips_unchanged_submission_unless_forced(harness_home, tmp_path, fake_sandbox):
    out = tmp_path / "out"
    assert invoke(REFERENCE, "--exercise", "churn", "--out", out).exit_code == 0
    first = (out / "reference_solution" / "report.json").read_text()
    again = invoke(REFERENCE, "--exercise", "churn", "--out", out)
    assert "already graded" in again.output and len(fake_sandbox) == 1
    assert (out / "reference_solution" / "report.json").read_text() == first
    forced = invoke(REFERENCE, "--exercise", "churn", "--out", out, "--force")
    assert forced.exit_code == 0 and len(fake_sandbox) == 2


def test_changed_input_is_graded_again(harness_home, tmp_path, fake_sandbox):
    nb_path = tmp_path / "notebook.ipynb"
    nb_path.write_bytes(REFERENCE.read_bytes())
    invoke(nb_path, "--exercise", "churn", "--out", tmp_path / "out")
    nb_path.write_text(nb_path.read_text().replace("import", "import  ", 1))
    invoke(nb_path, "--exercise", "churn", "--out", tmp_path / "out")
    assert len(fake_sandbox) == 2


def test_json_output_and_limit_overrides(harness_home, tmp_path, fake_sandbox):
    result = invoke(REFERENCE, "--exercise", "churn", "--out", tmp_path / "out", "--json", "--timeout", "77",
                    "--cell-timeout", "11", "--memory", "512", "--cpus", "0.5")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)  # the isolation warning goes to stderr
    (entry,) = summary["reports"]
    assert entry["outcome"] == "graded" and Path(entry["report_html"]).is_file()
    limits = fake_sandbox[0]["limits"]
    assert (limits.total_seconds, limits.cell_seconds, limits.memory_mb, limits.cpus) == (77, 11, 512, 0.5)
    report = assert_valid_report(Path(entry["report_dir"]) / "report.json")
    assert report["run"]["limits"]["total_seconds"] == 77


def test_each_phase_is_timed_in_the_report_and_the_json_summary(harness_home, tmp_path, fake_sandbox):
    from takehome_harness.harness.report.model import PHASES

    result = invoke(REFERENCE, "--exercise", "churn", "--out", tmp_path / "out", "--json")
    (entry,) = json.loads(result.stdout)["reports"]
    assert list(entry["timings"]) == list(PHASES) and all(s >= 0 for s in entry["timings"].values())
    report = assert_valid_report(Path(entry["report_dir"]) / "report.json")
    assert report["run"]["timings"] == entry["timings"]
    # the notebook's phase is its cells' own time (within the sandbox step); the rest of that step is the sandbox's
    assert 0 < entry["timings"]["notebook"] <= sum(s for s in report["run"]["cell_seconds"] if s is not None)
    html = (Path(entry["report_dir"]) / "report.html").read_text()
    assert "Grading time" in html and "container start:" in html

    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    rejected = json.loads(invoke(broken, "--out", tmp_path / "out", "--json").stdout)["reports"][0]
    assert list(rejected["timings"]) == ["report"]


def test_help_documents_exit_codes():
    result = CliRunner().invoke(grade, ["--help"])
    assert result.exit_code == 0
    for line in ("0  report(s) written", "2  bad input", "3  sandbox unavailable", "4  internal error"):
        assert line in result.output


def test_bundle_json_wins_over_a_different_exercise_option(bundle_zip, tmp_path, fake_sandbox, monkeypatch):
    from takehome_harness.harness.exercise import Exercise, load_exercise

    churn = load_exercise("churn")
    other = Exercise(spec={**churn.spec, "id": "other"}, folder=churn.folder)
    # as if it existed
    monkeypatch.setattr("takehome_harness.harness.grade_options.load_exercise", lambda exercise_id: other)
    outcome = grade_submission(source=submission(bundle_zip, tmp_path / "grace.zip"), out_dir=tmp_path / "out",
                               options=GradeOptions(exercise_id="other"))
    report = assert_valid_report(outcome.report_dir / "report.json")
    assert report["exercise"]["id"] == "churn" and report["variant"]["data"] == "variant"
    assert any("--exercise other was ignored" in w for w in report["warnings"])


@pytest.mark.slow
def test_a_project_folder_runs_its_notebook_from_its_own_folder(harness_home, tmp_path):
    """notebooks/analysis.ipynb reading ../data and importing ../src, run for real by the local runner."""
    project = tmp_path / "churn-project"
    (project / "notebooks").mkdir(parents=True)
    (project / "data").mkdir()
    (project / "src").mkdir()
    (project / "data" / "raw.csv").write_text("x,y\n1,2\n3,4\n")
    (project / "src" / "features.py").write_text("def double(v):\n    return 2 * v\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nsys.path.append('..')\nimport pandas as pd\nfrom src.features import double\n"
        "frame = pd.read_csv('../data/raw.csv')\nprint(double(frame['y']).sum())")])
    nbformat.write(nb, str(project / "notebooks" / "analysis.ipynb"))
    result = invoke(project, "--out", tmp_path / "out", "--sandbox", "local")
    assert result.exit_code == 0, result.output
    report = assert_valid_report(tmp_path / "out" / "churn-project" / "report.json")
    execution = next(f for f in report["findings"] if f["check"] == "execution")
    assert report["run"]["verdict"] == "completed", execution["explanation"]
    assert any("sub-folder (notebooks/analysis.ipynb)" in w for w in report["warnings"])


def test_one_trace_analysis_and_one_static_reading_per_graded_submission(harness_home, tmp_path, fake_sandbox,
                                                                          monkeypatch):
    import takehome_harness.graders._static as static
    import takehome_harness.graders._trace as trace

    calls = {"analyse": 0, "read_static": 0}

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(trace, "analyse", counted("analyse", trace.analyse))
    monkeypatch.setattr(static, "read_static", counted("read_static", static.read_static))
    result = invoke(REFERENCE, "--exercise", "churn", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert calls == {"analyse": 1, "read_static": 1}
    # no check keeps a reference of its own to either (which this count could not see)
    from takehome_harness.graders import all_checks

    assert not [m.__name__ for m in all_checks() if {"analyse", "read_static"} & set(vars(m))]


def test_the_hidden_score_is_computed_once_and_the_check_and_the_report_show_the_same(bundle_zip, tmp_path,
                                                                                     fake_sandbox, monkeypatch):
    import takehome_harness.graders.score

    calls = {"checked_predictions": 0, "hidden_score": 0, "claimed_scores": 0}
    for name in calls:
        def wrapper(*args, _name=name, _real=getattr(takehome_harness.graders.score, name), **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)
        monkeypatch.setattr(takehome_harness.graders.score, name, wrapper)
    assert invoke(submission(bundle_zip, tmp_path / "grace.zip"), "--out", tmp_path / "out").exit_code == 0
    assert calls == {"checked_predictions": 1, "hidden_score": 1, "claimed_scores": 1}
    report = assert_valid_report(tmp_path / "out" / "grace" / "report.json")
    score = next(f for f in report["findings"] if f["check"] == "score")
    assert report["scores"]["hidden"] == score["details"]["metrics"] and report["scores"]["hidden"]["roc_auc"]


def test_a_verified_grade_generates_its_variant_once(bundle_zip, tmp_path, fake_sandbox, monkeypatch):
    """The grader's data and the hidden labels come from one generation of the variant (it costs CPU beside every
    sandbox run of a batch)."""
    from takehome_harness.harness.exercise import Exercise

    seeds = []
    real = Exercise.generate

    def counted(self, seed):
        seeds.append(seed)
        return real(self, seed)

    monkeypatch.setattr(Exercise, "generate", counted)
    assert invoke(submission(bundle_zip, tmp_path / "grace.zip"), "--out", tmp_path / "out").exit_code == 0
    report = assert_valid_report(tmp_path / "out" / "grace" / "report.json")
    assert report["variant"]["verified"] and report["scores"]["hidden"]["roc_auc"]
    assert len(seeds) == 1


def test_the_grading_modules_leave_the_heavy_libraries_until_a_grade_needs_them():
    """A batch's parent process imports them and forks its workers: the heavy libraries must come later, in the
    workers, or every process of the batch carries them (and the start-up waits for them). Loading the exercise, as
    a grade does before its sandbox starts, must not import numpy either: the container would wait for it."""
    code = ("import sys, takehome_harness.harness.batch, takehome_harness.harness.grade, takehome_harness.harness.grade_output; "
            "from takehome_harness.harness.exercise import load_exercise; load_exercise('churn'); "
            "print(sorted(m for m in ('sklearn', 'matplotlib', 'scipy', 'pandas', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_bundle_this_grader_issued_is_graded_without_fitting_its_reference_models(bundle_zip, tmp_path,
                                                                                     fake_sandbox, monkeypatch):
    from takehome_harness.harness import materialize
    from takehome_harness.harness.exercise import load_exercise

    def refit(data):
        raise AssertionError("the reference models were fitted again while grading")

    materialize._reference_scores_cached.cache_clear()   # only the file `harness bundle` wrote can answer
    monkeypatch.setattr(load_exercise("churn").generator_module, "reference_model_scores", refit)
    assert invoke(submission(bundle_zip, tmp_path / "grace.zip"), "--out", tmp_path / "out").exit_code == 0
    report = assert_valid_report(tmp_path / "out" / "grace" / "report.json")
    assert report["outcome"] == "graded" and report["variant"]["verified"]
    [cached] = (tmp_path / "harness_home" / "cache" / "reference-scores").glob("*.json")
    stored = json.loads(cached.read_text())
    assert (report["scores"]["baseline"], report["scores"]["reference"]) == (stored["baseline"], stored["reference"])


def test_without_the_cache_grading_fits_the_reference_models_itself_with_the_same_result(bundle_zip, tmp_path,
                                                                                          fake_sandbox, monkeypatch):
    import shutil

    from takehome_harness.harness import materialize
    from takehome_harness.harness.exercise import load_exercise

    cache = tmp_path / "harness_home" / "cache"
    [cached] = (cache / "reference-scores").glob("*.json")
    written_at_bundle_time = cached.read_text()
    stored = json.loads(written_at_bundle_time)
    shutil.rmtree(cache)   # graded on another machine, or the cache was cleared
    materialize._reference_scores_cached.cache_clear()
    module = load_exercise("churn").generator_module
    fits = []
    monkeypatch.setattr(module, "reference_model_scores",
                        lambda data, _fit=module.reference_model_scores: fits.append(1) or _fit(data))
    assert invoke(submission(bundle_zip, tmp_path / "grace.zip"), "--out", tmp_path / "out").exit_code == 0
    report = assert_valid_report(tmp_path / "out" / "grace" / "report.json")
    assert fits == [1] and report["variant"]["verified"]
    assert (report["scores"]["baseline"], report["scores"]["reference"]) == (stored["baseline"], stored["reference"])
    assert [p.read_text() for p in (cache / "reference-scores").glob("*.json")] == [written_at_bundle_time]



def test_workers_meeting_one_uncached_variant_at_once_fit_it_once(harness_home, monkeypatch):
    """The second waits for the first's fit and reads its file (so it never imports scikit-learn)."""
    import threading

    from takehome_harness.harness import materialize, score_cache
    from takehome_harness.harness.exercise import load_exercise

    exercise = load_exercise("churn")
    module = exercise.generator_module
    fitting, fits = threading.Event(), []

    def counted_fit(data, _fit=module.reference_model_scores):
        fits.append(1)
        fitting.set()
        return _fit(data)

    monkeypatch.setattr(module, "reference_model_scores", counted_fit)
    materialize._reference_scores_cached.cache_clear()
    results = []

    def worker():
        results.append(materialize._reference_scores_cached.__wrapped__(exercise.id, 7))

    first, second = threading.Thread(target=worker), threading.Thread(target=worker)
    first.start()
    assert fitting.wait(timeout=120)
    second.start()   # while the first fits
    first.join(timeout=300)
    second.join(timeout=300)
    assert fits == [1]
    assert len(results) == 2 and results[0] == results[1] and set(results[0]) >= {"baseline", "reference"}
    folder = score_cache.scores_path(exercise, 7).parent
    assert [p.suffix for p in folder.iterdir()] == [".json"]   # the lock file is not left behind

_GRADE_THEN_LIST_MODULES = """
import sys
sys.path.insert(0, sys.argv[1])
import conftest
import takehome_harness.harness.grade
takehome_harness.harness.grade._sandbox_run = conftest.fake_sandbox_run([])
from takehome_harness.harness.cli import grade
try:
    grade.main(sys.argv[2:], standalone_mode=False)
finally:
    print(sorted({name.split('.')[0] for name in sys.modules} & {'sklearn', 'scipy'}))
"""


def test_grading_a_verified_bundle_imports_neither_scikit_learn_nor_scipy(bundle_zip, tmp_path):
    """Hidden scoring, the variant's data (its truth's ceilings) and the report's curves are numpy only in the
    grader (scikit-learn costs it 71 MiB and about 1 s); only fitting the reference models needs scikit-learn,
    and `harness bundle` cached their scores when it issued the bundle."""
    assert list((tmp_path / "harness_home" / "cache" / "reference-scores").glob("*.json"))
    sub = submission(bundle_zip, tmp_path / "grace.zip")
    done = subprocess.run([sys.executable, "-c", _GRADE_THEN_LIST_MODULES, str(Path(__file__).parent), str(sub),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    report = assert_valid_report(tmp_path / "out" / "grace" / "report.json")
    assert report["variant"]["verified"] and not report["warnings"]
    assert set(report["scores"]["hidden"]) == {"roc_auc", "average_precision", "brier"}
    assert report["scores"]["reference"]["roc_auc"] > 0.7
    assert 'alt="ROC and precision-recall curves' in (tmp_path / "out" / "grace" / "report.html").read_text()
