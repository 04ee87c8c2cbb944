"""Corpus cases for the next-steps write-up check, in the styles candidates and public notebooks use.

The notebooks are tiny and runnable without data so other checks' expectations stay obvious: the code is
deterministic and was never run before submitting (no outputs), so "execution" passes.
"""
from __future__ import annotations

from corpus import Case, notebook
from takehome_harness.graders.finding import Status

SUBSTANTIVE = """\
- Validate on a time-based split (train on older sign-ups, validate on the newest) because the test
  customers joined later and prices changed: a random split flatters the model under drift.
- Error analysis on the false negatives by contract type and region to find the segments we miss.
- Feature engineering on usage trends (last three months versus before) and support tickets per month.
- Choose the decision threshold from the cost of a retention offer versus the value of a saved customer,
  and check calibration before anyone reads the probabilities as risks.
- Monitor the score distribution in production and retrain when the inputs drift.
"""

GENERIC = """\
There are many things that could be done to make this better. With more time I would keep working on the
approach and try out a number of other ideas to improve the results, since the current version was done
quickly. Overall I think it went reasonably well but there is certainly room to go further with it.
"""


def _notebook(*markdown_after_code: str):
    return notebook("#md # Churn analysis", "values = [3, 1, 2]\nprint(sorted(values))",
                    *[f"#md {text}" for text in markdown_after_code])


CASES = [
    Case(name="writeup_missing",
         notebook=_notebook("## Results\n\nThe sorted values look right."),
         expected={"writeup": Status.FAIL, "execution": Status.PASS}, files={}),
    Case(name="writeup_boilerplate_placeholder",
         notebook=_notebook("## Next steps\n\nWrite your next steps here."),
         expected={"writeup": Status.CONCERN, "execution": Status.PASS}, files={}),
    Case(name="writeup_generic_no_direction",
         notebook=_notebook(f"## Future work\n\n{GENERIC}"),
         expected={"writeup": Status.CONCERN, "execution": Status.PASS}, files={}),
    Case(name="writeup_in_next_steps_file",
         notebook=_notebook("## Results\n\nSee NEXT_STEPS.md for what I would do next."),
         expected={"writeup": Status.PASS, "execution": Status.PASS},
         files={"NEXT_STEPS.md": f"# Next steps\n\n{SUBSTANTIVE}"}),
    Case(name="writeup_unusual_heading",
         notebook=_notebook(f"## If I had another week\n\n{SUBSTANTIVE}"),
         expected={"writeup": Status.PASS, "execution": Status.PASS}, files={}),
    Case(name="writeup_public_style_conclusion",
         notebook=_notebook("## 6. Conclusion\n\nThe forest beats the baseline. Going further I would:\n\n"
                            + SUBSTANTIVE),
         expected={"writeup": Status.PASS, "execution": Status.PASS}, exercise=None),
    Case(name="writeup_bold_pseudo_heading",
         notebook=_notebook(f"Some closing remarks.\n\n**Limitations & what I'd do next**\n\n{SUBSTANTIVE}"),
         expected={"writeup": Status.PASS, "execution": Status.PASS}, files={}),
]
