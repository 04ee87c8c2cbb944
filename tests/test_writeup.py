"""The next-steps write-up check on small notebooks, in starter style and in public-notebook styles."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from takehome_harness.graders import writeup
from takehome_harness.graders.finding import GradingContext, Status
from takehome_harness.harness.exercise import load_exercise
from takehome_harness.harness.sandbox.result import RunResult, Verdict

EXERCISE = load_exercise("churn")

SUBSTANTIVE = (
    "- Split by signup date instead of at random: the test customers are newer, so a time-based validation "
    "would tell us how the model holds up under drift.\n"
    "- Error analysis on the false negatives by plan and region to see which segments we miss.\n"
    "- Feature engineering: usage trends over the last three months, support tickets per month.\n"
    "- Pick the decision threshold from the cost of a retention campaign versus the value of a saved customer.\n"
    "- Monitor the score distribution in production and retrain when it drifts.\n"
)
GENERIC = ("With more time I would improve the model a lot and try some other things to make it better. "
           "There is a lot that could be done and I think the results could be much better with extra effort "
           "and more work on the whole approach, which was rushed because of the limited time available here.")


def _nb(*cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_code_cell(c[5:]) if c.startswith("code:") else new_markdown_cell(c) for c in cells]
    return nb


def _ctx(nb, tmp_path, *, exercise=None, run=None) -> GradingContext:
    return GradingContext(submitted_notebook=nb, executed_notebook=nb, run=run, trace=[],
                          submission_dir=tmp_path, predictions_path=None, exercise=exercise)


def _check(nb, tmp_path, **kwargs):
    return writeup.run(_ctx(nb, tmp_path, **kwargs))


@pytest.mark.parametrize("heading", [
    "## Next steps", "# NEXT STEPS", "### 7. Next Steps", "## Future work", "## Limitations and next steps",
    "## What I would do with more time", "## If I had another week", "## Further work", "## TODO",
    "## Outlook", "## Conclusions and next steps", "**Next steps**", "Next steps:", "<h2>Future Work</h2>",
    "Ideas for improvement\n---------------------", "## Step 5: Improvements", "## What's next?",
    "**What I'd do next:**", "## What I would change",
])
def test_finds_substantive_writeup_under_any_common_heading(tmp_path, heading):
    nb = _nb("# Churn analysis", "code:import pandas as pd", f"{heading}\n\n{SUBSTANTIVE}")
    finding = _check(nb, tmp_path)
    assert finding.status is Status.PASS, (heading, finding.explanation, finding.details)
    assert "Monitor the score distribution" in finding.details["text"]
    assert finding.details["source"] == "notebook cell 2"
    assert finding.evidence[0].cell == 2


def test_section_spans_cells_and_stops_at_next_heading_or_code(tmp_path):
    nb = _nb("## Next steps", SUBSTANTIVE, "**Deployment**\n\nA nightly batch job.",
             "## Appendix\n\nUnrelated notes about plotting.", "code:print(1)")
    finding = _check(nb, tmp_path)
    assert finding.details["source"] == "notebook cells 0-2"
    assert "nightly batch job" in finding.details["text"]
    assert "Unrelated notes" not in finding.details["text"]

    nb = _nb("## Next steps", "Try CatBoost.", "code:x = 1", SUBSTANTIVE)
    assert "Monitor" not in _check(nb, tmp_path).details["text"]


def test_bold_lead_in_paragraph_counts(tmp_path):
    nb = _nb("Some results text.\n\n**Future work:** " + SUBSTANTIVE.replace("\n- ", " ").lstrip("- "))
    finding = _check(nb, tmp_path)
    assert finding.status is Status.PASS
    assert finding.details["text"].startswith("Split by signup date")


def test_summary_heading_counts_only_when_it_looks_ahead(tmp_path):
    looking_back = _nb("## Conclusion\n\nThe random forest reached an AUC of 0.81 on the validation set.")
    assert _check(looking_back, tmp_path).status is Status.FAIL
    looking_ahead = _nb(f"## Conclusion\n\nThe model works. Next I would:\n\n{SUBSTANTIVE}")
    assert _check(looking_ahead, tmp_path).status is Status.PASS


def test_no_writeup_fails(tmp_path):
    nb = _nb("# Churn", "code:import pandas as pd", "## Model\n\nWe train a forest.", "## Results\n\nAUC 0.8")
    finding = _check(nb, tmp_path)
    assert finding.status is Status.FAIL
    assert finding.question and finding.details["source"] is None


def test_starter_placeholder_left_as_is_is_boilerplate(tmp_path):
    nb = _nb("## Next steps\n\nWrite your next steps here.")
    finding = _check(nb, tmp_path, exercise=EXERCISE)
    assert finding.status is Status.CONCERN
    assert "placeholder" in finding.explanation and finding.details["placeholder_found"]
    assert _check(_nb("## Next steps\n\nTODO"), tmp_path).status is Status.CONCERN


def test_short_and_generic_writeups_are_concerns(tmp_path):
    short = _check(_nb("## Next steps\n\nTune hyperparameters and add features."), tmp_path)
    assert short.status is Status.CONCERN and "too short" in short.explanation
    generic = _check(_nb(f"## Next steps\n\n{GENERIC}"), tmp_path)
    assert generic.status is Status.CONCERN and "generic" in generic.explanation
    assert generic.details["words"] >= writeup.MIN_WORDS


def test_writeup_file_in_submission(tmp_path):
    (tmp_path / "next_steps.md").write_text("# Next steps\n\n" + SUBSTANTIVE)
    finding = _check(_nb("# Churn", "code:1"), tmp_path)
    assert finding.status is Status.PASS
    assert finding.details["source"] == "next_steps.md"
    assert "retention campaign" in finding.details["text"]


def test_symlinked_writeup_file_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("grader-side secret " + SUBSTANTIVE)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "NEXT_STEPS.md").symlink_to(secret)
    finding = _check(_nb("code:1"), sub)
    assert finding.status is Status.FAIL and "secret" not in str(finding.details)


def test_writeup_file_written_by_the_run_and_exercise_hint_names(tmp_path):
    out = tmp_path / "run-out"
    out.mkdir()
    (out / "WRITEUP.md").write_text(SUBSTANTIVE)
    run = RunResult(verdict=Verdict.COMPLETED, backend="local", isolated=False, wall_seconds=1, message="ok",
                    extra_files=[out / "WRITEUP.md"])
    sub = tmp_path / "sub"
    sub.mkdir()
    assert _check(_nb("code:1"), sub, run=run).status is Status.PASS


def test_stock_phrases_do_not_count_as_directions(tmp_path):
    stock = ("With more time I would do more feature engineering, try other models such as XGBoost and tune "
             "hyperparameters, and get more data. I would also do more analysis and try different algorithms to "
             "see whether they work better than the current one, and add more features where it makes sense.")
    finding = _check(_nb(f"## Next steps\n\n{stock}"), tmp_path)
    assert finding.status is Status.CONCERN and "generic" in finding.explanation
    assert list(finding.details["themes"]) == ["modelling"]  # xgboost is the one specific thing said
    assert "tune hyperparameters" in finding.details["stock_phrases"]
    specific = writeup.themes_in("Feature engineering on usage trends and more data on failed payments.")
    assert set(specific) == {"features", "data"}


def test_themes_are_counted_distinctly():
    themes = writeup.themes_in(SUBSTANTIVE)
    assert {"validation", "error analysis", "features", "decision", "monitoring"} <= set(themes)
    assert writeup.themes_in(GENERIC) == {}


def test_normalise_heading_strips_numbering_and_markup():
    assert writeup.normalise_heading("**5. Next Steps!**") == "next steps"
    assert writeup.normalise_heading("Step 3 - What’s next") == "what's next"


@pytest.mark.parametrize("notebook, expected", [
    ("reference_solution.ipynb", Status.PASS),
    ("starter.ipynb", Status.CONCERN),                      # placeholder left as is
    ("example_submission/notebook.ipynb", Status.CONCERN),  # three short bullets: under MIN_WORDS
])
def test_churn_exercise_notebooks(tmp_path, notebook, expected):
    nb = nbformat.reads(EXERCISE.file(notebook).read_text(), as_version=4)
    finding = _check(nb, tmp_path, exercise=EXERCISE)
    assert finding.status is expected, finding.explanation
    assert finding.details["source"].startswith("notebook cell")


def test_a_sentence_marked_as_a_heading_is_not_a_next_steps_section():
    """Seen on a real notebook: '#' in front of a sentence that happens to say "to do"."""
    from takehome_harness.graders.writeup import MAX_HEADING_WORDS, _heading_matches

    sentence = "dropping cust_id column as it has nothing to do with the analysis of churn at all"
    assert len(sentence.split()) > MAX_HEADING_WORDS and _heading_matches(sentence, []) is None
    assert _heading_matches("To do", []) == "strong"
    assert _heading_matches("What I would do with more time", []) == "strong"
