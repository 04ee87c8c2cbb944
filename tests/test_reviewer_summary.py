"""The reviewer's summary at the end of the report's first screen: 3-5 lines made from the findings, linked."""
from __future__ import annotations

import re

from test_report_html import finding, make_report

from takehome_harness.graders.finding import Status
from takehome_harness.harness.report.html_report import draw_plots, render_report_html
from takehome_harness.harness.report.reviewer_summary import first_sentence, reviewer_summary

CHECKS = ["execution", "score", "baseline", "heldout", "writeup", "data_handling"]


def findings_with(statuses: list[Status]):
    return [finding(check, status, ) for check, status in zip(CHECKS, statuses)]


def test_probes_come_first_then_strengths_then_what_was_not_checked():
    found = findings_with([Status.PASS, Status.COULD_NOT_CHECK, Status.FAIL, Status.CONCERN, Status.PASS,
                           Status.NOT_APPLICABLE])
    lines = reviewer_summary(found)
    assert [(line.kind, [link.check for link in line.links]) for line in lines] == [
        ("probe", ["baseline"]), ("probe", ["heldout"]),
        ("strong", ["execution"]), ("strong", ["writeup"]),
        ("unchecked", ["score"])]
    assert lines[0].text == "baseline explained"


def test_many_findings_still_make_at_most_five_lines_and_none_is_dropped():
    found = findings_with([Status.FAIL] * 4 + [Status.PASS] * 2)
    lines = reviewer_summary(found)
    assert 3 <= len(lines) <= 5
    linked = [link.check for line in lines for link in line.links]
    assert sorted(linked) == sorted(CHECKS)
    assert lines[2].label == "Also probe" and len(lines[2].links) == 2 and lines[2].text == ""


def test_a_clean_run_is_all_strengths_and_a_rejected_one_is_one_probe():
    assert {line.kind for line in reviewer_summary(findings_with([Status.PASS] * 6))} == {"strong"}
    assert len(reviewer_summary(findings_with([Status.PASS] * 6))) == 5
    assert [line.label for line in reviewer_summary(findings_with([Status.FAIL]))] == ["Probe"]


def test_first_sentence_keeps_numbers_and_stops_at_the_end_of_a_sentence():
    assert first_sentence("Scored 0.81 against 0.50. The rest.") == "Scored 0.81 against 0.50."
    assert first_sentence("  no full stop ") == "no full stop"


def test_the_report_ends_its_summary_card_with_the_lines_linked_to_findings():
    found = findings_with([Status.PASS, Status.CONCERN, Status.FAIL])
    report = make_report(found)
    html = render_report_html(report, notebook=None, plots=draw_plots(report, None))
    card = html[html.index('id="summary"'):html.index("</section>")]
    block = card[card.index('id="reviewer-summary"'):]
    assert re.findall(r'href="#finding-(\w+)"', block) == ["baseline", "score", "execution"]
    assert "Probe:" in block and "Strong:" in block and "baseline explained" in block
    for check in ("baseline", "score", "execution"):
        assert f'id="finding-{check}"' in html


def test_closer_look_names_what_failed_or_worried_and_what_did_not_run():
    from takehome_harness.harness.report.index import closer_look_reasons

    def document(outcome="graded", verdict="completed", statuses=(), verified=None):
        return {"outcome": outcome, "run": {"verdict": verdict},
                "variant": {"bundle_id": "b1", "verified": verified} if verified is not None else None,
                "findings": [{"check": c, "status": s} for c, s in statuses]}

    assert closer_look_reasons(document(statuses=[("baseline", "pass"), ("score", "could_not_check")])) == []
    assert closer_look_reasons(document(statuses=[("writeup", "concern"), ("heldout", "concern")])) == []
    assert closer_look_reasons(document(statuses=[("writeup", "concern"), ("shared_work", "concern"),
                                                  ("heldout", "fail"), ("score", "pass")])
                               ) == ["heldout fail", "shared_work concern"]
    assert closer_look_reasons(document(verdict="deadline", verified=False)) == ["run: deadline", "bundle not verified"]
    assert closer_look_reasons(document(outcome="rejected", verdict="not_run",
                                        statuses=[("intake", "fail")])) == ["rejected"]
