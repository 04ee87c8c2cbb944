"""Shared work across a batch (takehome_harness.harness.shared_work): the pair is flagged in the index and in both
reports, with the matching cells side by side, blind or not; identical predictions and predictions fitting another's
data variant are evidence too; a report that cannot be redone keeps its old files. Stand-in sandbox: no Docker."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import assert_valid_report, fake_sandbox_run, in_ci
from corpus.shared_work import disguised_reference, independent_notebooks, reference

from takehome_harness.harness.batch import grade_batch
from takehome_harness.harness.grade_options import GradeOptions
from takehome_harness.harness.shared_work import CHECK_ID

COPY_MARK = "# predictions copied from: "


@pytest.fixture
def own_predictions(monkeypatch):
    """The stand-in sandbox, but each notebook gets its own predictions (seeded by its code), or, when a cell says
    `# predictions copied from: PATH`, that file with every value nudged (so not byte for byte the same)."""
    real = fake_sandbox_run([])

    def run(**kwargs):
        result = real(**kwargs)
        text = kwargs["notebook"].read_text()
        if result.predictions is not None:
            frame = pd.read_csv(result.predictions)
            if COPY_MARK in text:
                copied = pd.read_csv(text.split(COPY_MARK)[1].split("\n")[0].split('"')[0])
                frame = copied.assign(churn_probability=(copied.churn_probability * 0.99).round(6))
            else:
                seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
                frame["churn_probability"] = np.random.default_rng(seed).random(len(frame)).round(6)
            frame.to_csv(result.predictions, index=False)
        return result

    monkeypatch.setattr("takehome_harness.harness.grade._sandbox_run", run)


def write(folder: Path, notebooks: dict) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for name, nb in notebooks.items():
        nb.metadata["authors"] = [{"name": f"Candidate {name.title()}"}]
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
        paths.append(folder / f"{name}.ipynb")
    return paths


def shared_findings(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(out.glob("*/report.json")):
        document = assert_valid_report(path)
        found.update({path.parent.name: f for f in document["findings"] if f["check"] == CHECK_ID})
    return found


@pytest.mark.parametrize("blind", [False, True])
def test_batch_of_ten_flags_exactly_the_disguised_copy(harness_home, tmp_path, own_predictions, blind):
    sources = write(tmp_path / "subs", {**independent_notebooks(), "original": reference(),
                                        "disguised": disguised_reference()})
    out = tmp_path / "out"
    result = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn", blind=blind), jobs=2)
    assert len(result.outcomes) == 10
    label = {o.source.stem: o.report_dir.name for o in result.outcomes}
    found = shared_findings(out)
    assert set(found) == {label["original"], label["disguised"]}
    for me, other in (("original", "disguised"), ("disguised", "original")):
        finding = found[label[me]]
        assert finding["status"] == "concern" and finding["question"]
        (pair,) = finding["details"]["pairs"]
        assert pair["other"] == label[other] and pair["other_report"] == f"../{label[other]}/report.html"
        assert len(pair["cells"]) >= 6
        assert [c["this_cell"] for c in pair["cells"]] == sorted(c["this_cell"] for c in pair["cells"])  # its order
        page = (out / label[me] / "report.html").read_text()
        assert 'aria-label="Matching cells"' in page and f'href="../{label[other]}/report.html#cell-' in page
        assert 'href="#finding-shared_work"' in page[:page.index("<h2>Findings")]  # in the reviewer's summary
    # a moved cell shown beside the one it came from: the original's cell 3 is the copy's cell 7
    cells = {c["this_cell"]: c["other_cell"] for c in found[label["original"]]["details"]["pairs"][0]["cells"]}
    assert cells[3] == 7

    index = result.index_html.read_text()
    shared = index[index.index("Shared work to look at"):]
    assert "(1 pair(s))" in shared and f'href="{label["original"]}/report.html"' in shared
    assert re.search(r"code 9\d% alike", shared)
    assert "shared_work concern" in index
    texts = [index, result.summary_csv.read_text(), *(p.read_text() for p in out.glob("*/report.*"))]
    if blind:
        assert not any("Candidate Original" in t or "Candidate Disguised" in t for t in texts)
    else:
        assert "Candidate Original" in (out / label["disguised"] / "report.html").read_text()

    again = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn", blind=blind))
    assert all(o.skipped for o in again.outcomes)
    assert shared_findings(out) == found and "(1 pair(s))" in again.index_html.read_text()


def test_identical_predictions_are_evidence_but_a_constant_is_not(harness_home, tmp_path, fake_sandbox):
    # the plain stand-in writes the same (random, seeded) predictions for every notebook on the same data
    sources = write(tmp_path / "subs", {"ann": reference(), "ben": independent_notebooks()["knn_on_scaled_numbers"]})
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"))
    found = shared_findings(tmp_path / "out")
    assert set(found) == {"ann", "ben"}
    assert [e["summary"] for e in found["ann"]["evidence"]] == [
        "predictions.csv is byte for byte the same as Candidate Ben's."]
    assert found["ann"]["details"]["pairs"][0]["cells"] == []

    for outcome in result.outcomes:  # the starter's placeholder: one constant for everyone
        (outcome.report_dir / "predictions.csv").write_text("customer_id,churn_probability\nC-1,0.2\nC-2,0.2\n")
    from takehome_harness.harness.shared_work import Submission, find_shared_work

    subs = [Submission(label=o.report_dir.name, name=o.report_dir.name, report_dir=o.report_dir,
                       document=o.document) for o in result.outcomes]
    assert [p.summary() for p in find_shared_work(subs)] == []


def test_predictions_that_fit_another_candidates_variant(harness_home, tmp_path, own_predictions, monkeypatch):
    from takehome_harness.harness.bundle import create_bundle
    from takehome_harness.harness.exercise_check import submission_from_bundle

    bundles = {name: Path(create_bundle(exercise_id="churn", candidate=name, out_dir=tmp_path / "b").path)
               for name in ("Ann", "Ben")}
    ann_nb = nbformat.writes(independent_notebooks()["naive_bayes_quick"]).encode()
    ann = submission_from_bundle(bundles["Ann"], tmp_path / "ann.zip", ann_nb)
    first = grade_batch(sources=[ann], out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"))
    ann_predictions = first.outcomes[0].report_dir / "predictions.csv"
    copier = independent_notebooks()["knn_on_scaled_numbers"]
    copier.cells.append(nbformat.v4.new_code_cell(f"{COPY_MARK}{ann_predictions}"))
    ben = submission_from_bundle(bundles["Ben"], tmp_path / "ben.zip", nbformat.writes(copier).encode())
    import takehome_harness.harness.report.html_report as html_report

    drawn, draw = [], html_report.draw_plots
    monkeypatch.setattr(html_report, "draw_plots", lambda report, curves: drawn.append(report.submission.label)
                        or draw(report, curves))
    result = grade_batch(sources=[ann, ben], out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"))
    assert [(o.document["variant"] or {}).get("verified") for o in result.outcomes] == [True, True], [o.document["message"] for o in result.outcomes]
    found = shared_findings(tmp_path / "out")
    assert set(found) == {"ann", "ben"}
    ben_says = " ".join(e["summary"] for e in found["ben"]["evidence"])
    assert "These predictions fit Ann's data variant better than their own: covers 100% of the other" in ben_says
    assert "Ben's predictions fit this submission's data variant" in found["ann"]["evidence"][0]["summary"]
    assert "identical" not in ben_says and found["ben"]["details"]["pairs"][0]["cells"] == []
    # the report drawn again keeps its ROC plot (three images: score, ROC/PR, cell times); Ben's, graded in this
    # batch, is rendered again with the plots its grade drew, Ann's (graded by the first run) has them drawn again
    assert (tmp_path / "out" / "ann" / "report.html").read_text().count("data:image/png;base64,") == 3
    assert sorted(drawn) == ["ann", "ben"]


def test_a_report_that_cannot_be_redone_keeps_its_files_and_the_batch_goes_on(harness_home, tmp_path, fake_sandbox,
                                                                             monkeypatch):
    import takehome_harness.harness.report.html_report as html_report

    sources = write(tmp_path / "subs", {"ann": reference(), "ben": disguised_reference()})
    out = tmp_path / "out"
    real = html_report.render_report_html

    def failing_for_ben(report, **kwargs):
        if report.submission.label == "ben" and any(f.check == CHECK_ID for f in report.findings):
            raise RuntimeError("drawing failed")
        return real(report, **kwargs)

    monkeypatch.setattr(html_report, "render_report_html", failing_for_ben)   # grading draws no shared-work finding
    before = {}

    def remember(outcome):
        before[outcome.report_dir.name] = {n: (outcome.report_dir / n).read_bytes()
                                          for n in ("report.json", "report.html")}

    result = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn"), on_done=remember)
    assert set(shared_findings(out)) == {"ann"}
    assert {n: (out / "ben" / n).read_bytes() for n in ("report.json", "report.html")} == before["ben"]
    assert "ben: the shared-work finding could not be added (RuntimeError: drawing failed)" in \
        result.index_html.read_text()


@pytest.mark.slow
@pytest.mark.docker
def test_the_disguised_copy_is_the_only_pair_through_the_cli_and_the_real_sandbox(harness_home, tmp_path):
    sources = write(tmp_path / "subs", {**independent_notebooks(), "original": reference(),
                                        "disguised": disguised_reference()})
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", "from takehome_harness.harness.cli import grade; grade()", *map(str, sources),
                           "--out", str(out), "--jobs", "2", "--timeout", "120", "--exercise", "churn", "--json",
                           "--sandbox", "docker" if in_ci() else "auto"], capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    verdicts = {Path(r["report_dir"]).name: r["verdict"] for r in json.loads(proc.stdout)["reports"]}
    assert len(verdicts) == 10 and verdicts["original"] == verdicts["disguised"] == "completed"
    assert set(shared_findings(out)) == {"original", "disguised"}
    index = (out / "index.html").read_text()
    assert "(1 pair(s))" in index[index.index("Shared work to look at"):]


def test_a_failing_comparison_leaves_every_report_as_it_was(harness_home, tmp_path, fake_sandbox, monkeypatch):
    import takehome_harness.harness.shared_work

    def broken(*args, **kwargs):
        raise MemoryError("fingerprints too large")

    monkeypatch.setattr(takehome_harness.harness.shared_work, "similar_pairs", broken)
    sources = write(tmp_path / "subs", {"ann": reference(), "ben": disguised_reference()})
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions(exercise_id="churn"))
    assert [o.outcome for o in result.outcomes] == ["graded", "graded"] and shared_findings(tmp_path / "out") == {}
    assert "the shared-work comparison failed (MemoryError: fingerprints too large)" in result.index_html.read_text()


def test_ctrl_c_during_the_comparison_still_writes_the_index_and_a_rerun_finishes_it(harness_home, tmp_path,
                                                                                     fake_sandbox, monkeypatch):
    import takehome_harness.harness.shared_work

    real = takehome_harness.harness.shared_work.similar_pairs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(takehome_harness.harness.shared_work, "similar_pairs", interrupted)
    sources = write(tmp_path / "subs", {"ann": reference(), "ben": disguised_reference()})
    out = tmp_path / "out"
    result = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn"))
    assert result.interrupted and [o.outcome for o in result.outcomes] == ["graded", "graded"]
    assert shared_findings(out) == {} and "re-run the same command to finish it" in result.index_html.read_text()
    monkeypatch.setattr(takehome_harness.harness.shared_work, "similar_pairs", real)
    rerun = grade_batch(sources=sources, out_dir=out, options=GradeOptions(exercise_id="churn"))
    assert not rerun.interrupted and all(o.skipped for o in rerun.outcomes)
    assert set(shared_findings(out)) == {"ann", "ben"}


def test_the_console_names_the_pair_and_json_lists_it(harness_home, tmp_path, own_predictions):
    from click.testing import CliRunner

    from takehome_harness.harness.cli import grade

    sources = write(tmp_path / "subs", {"ann": reference(), "ben": disguised_reference(),
                                        "cy": independent_notebooks()["tree_rules_explained"]})
    args = [*map(str, sources), "--exercise", "churn", "--out", str(tmp_path / "out")]
    shown = CliRunner().invoke(grade, args)
    assert shown.exit_code == 0, shown.output
    (line,) = [line for line in shown.output.splitlines() if line.startswith("shared work:")]
    assert re.fullmatch(r"shared work: Candidate Ann and Candidate Ben: code 9\d% alike \(evidence in both reports\)",
                        line), line
    listed = CliRunner().invoke(grade, [*args, "--json"])
    assert [(p["left"], p["right"]) for p in json.loads(listed.stdout)["shared_work"]] == [
        ("Candidate Ann", "Candidate Ben")]


def test_forecasts_copied_from_another_variant_with_the_same_keys_are_told_by_their_fit(harness_home, tmp_path):
    # demand variants share their (store, product, date) keys, so only the scores tell a copied forecast apart
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.shared_work import Submission, variant_fits
    from takehome_harness.harness.variants import grading_secret, variant_seed

    exercise = load_exercise("demand")
    keys, target = list(exercise.id_columns), exercise.target_column
    series = [c for c in keys if c != "date"]

    def submission(name: str, bundle_id: str, forecast) -> Submission:
        folder = tmp_path / name
        folder.mkdir()
        forecast.to_csv(folder / "predictions.csv", index=False)
        return Submission(label=name, name=name, report_dir=folder, document={
            "exercise": {"id": "demand"}, "variant": {"bundle_id": bundle_id, "verified": True}})

    data = {b: exercise.generate(seed=variant_seed(exercise_id="demand", bundle_id=b, secret=grading_secret()))
            for b in ("bundle-ann", "bundle-ben")}
    honest = lambda d: d.labels[keys].merge(d.train.groupby(series)[target].mean().reset_index(), on=series)  # noqa: E731
    ann = submission("ann", "bundle-ann", honest(data["bundle-ann"]))
    copied = data["bundle-ann"].labels.assign(**{target: data["bundle-ann"].labels[target] * 1.05})
    ben = submission("ben", "bundle-ben", copied)
    found = variant_fits([ann, ben], "demand")
    # every copied value is 5 % off Ann's actuals: a WAPE of exactly 0.05 on Ann's labels
    assert [(whose, sentence.split(" against")[0]) for _, _, whose, sentence in found] == [
        ("ben", "wape 0.050 on the other's hidden labels")]
    assert variant_fits([ann, submission("cy", "bundle-ben", honest(data["bundle-ben"]))], "demand") == []


def test_each_predictions_file_is_read_once_and_no_variant_is_regenerated_without_need(harness_home, tmp_path,
                                                                                       own_predictions, monkeypatch):
    from takehome_harness.harness import materialize, scoring, shared_work
    from takehome_harness.harness.bundle import create_bundle
    from takehome_harness.harness.exercise_check import submission_from_bundle

    names = ("Ann", "Ben", "Cy")
    notebooks = dict(zip(names, ("naive_bayes_quick", "knn_on_scaled_numbers", "naive_bayes_quick")))
    sources = [submission_from_bundle(
        Path(create_bundle(exercise_id="churn", candidate=name, out_dir=tmp_path / "b").path), tmp_path / f"{name}.zip",
        nbformat.writes(independent_notebooks()[notebooks[name]]).encode()) for name in names]
    result = grade_batch(sources=sources, out_dir=tmp_path / "out", options=GradeOptions())
    assert all(o.document["variant"]["verified"] and o.document["scores"]["hidden"] for o in result.outcomes)

    reads, regenerated = [], []
    real_check, real_labels = scoring.check_predictions, materialize.hidden_labels
    monkeypatch.setattr(scoring, "check_predictions", lambda **kw: reads.append(kw["path"]) or real_check(**kw))
    monkeypatch.setattr(materialize, "hidden_labels", lambda **kw: regenerated.append(kw) or real_labels(**kw))
    shared_work._variant_labels.cache_clear()
    subs = [shared_work.Submission(label=o.report_dir.name, name=o.report_dir.name, report_dir=o.report_dir,
                                   document=o.document) for o in result.outcomes]
    pairs = shared_work.find_shared_work(subs)
    # each file once; every variant's own score came from its report, and no one's predictions cover another's rows
    assert sorted(reads) == sorted(o.report_dir / "predictions.csv" for o in result.outcomes)
    assert regenerated == [] and not [p for p in pairs if p.variant_fits or p.identical_predictions]


def test_the_own_score_compared_is_the_one_grading_reported(harness_home, tmp_path):
    from takehome_harness.harness.exercise import load_exercise
    from takehome_harness.harness.shared_work import Submission, variant_fits
    from takehome_harness.harness.variants import grading_secret, variant_seed

    exercise = load_exercise("demand")
    keys, target = list(exercise.id_columns), exercise.target_column
    labels = {b: exercise.generate(seed=variant_seed(exercise_id="demand", bundle_id=b, secret=grading_secret())).labels
              for b in ("bundle-ann", "bundle-ben")}

    def submission(name: str, bundle_id: str, forecast, reported: dict | None) -> Submission:
        (tmp_path / name).mkdir()
        forecast.to_csv(tmp_path / name / "predictions.csv", index=False)
        return Submission(label=name, name=name, report_dir=tmp_path / name, document={
            "exercise": {"id": "demand"}, "variant": {"bundle_id": bundle_id, "verified": True},
            "scores": {"hidden": reported}})

    ann = submission("ann", "bundle-ann", labels["bundle-ann"], {"wape": 0.0})
    copied = labels["bundle-ann"].assign(**{target: labels["bundle-ann"][target] * 1.05})[keys + [target]]
    ben = submission("ben", "bundle-ben", copied, {"wape": 0.9})   # what Ben's report says, whatever the file
    [(_, _, whose, sentence)] = variant_fits([ann, ben], "demand")
    assert whose == "ben" and sentence == "wape 0.050 on the other's hidden labels against 0.900 on its own"
