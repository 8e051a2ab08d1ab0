"""The "about this consultation" fields of a guidance file's front matter: read, and refused with their line."""

from pathlib import Path

import pytest

from consult_app.services.guidance_source import GuidanceError, parse_file, parse_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DETAILS = """---
title: T
organiser:   Data   Ethics Workstream
contact: questions@example.org
why: |
  First paragraph,
  on two lines.

  Second   paragraph.
how_responses_are_used: Read by the drafting team.
what_happens_next: A summary of responses.
timeline:
  - date: 2027-06-30
    step: Consultation closes
  - date: 2027-09
    step: Summary   of responses published
  - date: '2027-12-01'
    step: Final guidance
---
## A
"""


def refusal(text: str) -> GuidanceError:
    with pytest.raises(GuidanceError) as caught:
        parse_text(text, "g.md")
    return caught.value


def test_details_are_read_and_tidied():
    details = parse_text(DETAILS, "g.md").details
    assert details.organiser == "Data Ethics Workstream"
    assert details.contact == "questions@example.org"
    assert details.why == "First paragraph, on two lines.\n\nSecond paragraph."
    assert details.how_responses_are_used == "Read by the drafting team."
    assert details.what_happens_next == "A summary of responses."
    assert details.timeline == [
        {"date": "2027-06-30", "step": "Consultation closes"},
        {"date": "2027-09", "step": "Summary of responses published"},
        {"date": "2027-12-01", "step": "Final guidance"},
    ]


def test_details_are_optional():
    details = parse_text("---\ntitle: T\n---\n## A\n", "g.md").details
    assert (details.organiser, details.contact, details.why, details.timeline) == ("", "", "", [])


def test_details_are_not_part_of_the_text_people_read():
    """Like the summary and the dates: changing them updates the document without making a new version."""
    bare = parse_text("---\ntitle: T\n---\n## A\n", "g.md")
    assert parse_text(DETAILS, "g.md").content_hash == bare.content_hash


def test_the_ml_ethics_guidance_says_who_why_and_what_next():
    details = parse_file(PROJECT_ROOT / "guidance" / "ml-ethics.md").details
    assert "Data Ethics Workstream" in details.organiser
    assert details.contact.endswith("@example.org")
    assert details.why and details.how_responses_are_used and details.what_happens_next
    assert details.timeline[0]["date"] == "2026-10-01"
    assert any("Summary of responses" in step["step"] for step in details.timeline)


TIMELINE = "---\ntitle: T\ntimeline:\n"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (TIMELINE + "  soon\n---\n## A\n", 3, "'timeline' must be a list of steps"),
        (TIMELINE + "  - 2027-06-30\n---\n## A\n", 4, "timeline step 1 must have exactly 'date' and 'step'"),
        (
            TIMELINE + "  - date: 2027-06-30\n    step: Closes\n  - step: Summary\n---\n## A\n",
            6,
            "timeline step 2 must have exactly 'date' and 'step'",
        ),
        (
            TIMELINE + "  - date: 2027-06-30\n    step: Closes\n    owner: Ana\n---\n## A\n",
            4,
            "timeline step 1 must have exactly",
        ),
        (
            TIMELINE + "  - date: 2027-06-30\n    step: Closes\n  - date: next autumn\n    step: S\n---\n## A\n",
            6,
            "'date' must be a day such as 2027-09-30 or a month",
        ),
        (TIMELINE + "  - date: 2027-13\n    step: S\n---\n## A\n", 4, "timeline step 1: 'date' must be a day"),
        (TIMELINE + "  - date: '2027-02-30'\n    step: S\n---\n## A\n", 4, "timeline step 1: 'date' must be a day"),
        (TIMELINE + "  - date: 2027-06-30T17:00:00Z\n    step: S\n---\n## A\n", 4, "'date' must be a day"),
        (TIMELINE + "  - date: 2027-06-30\n    step: '  '\n---\n## A\n", 5, "timeline step 1 says nothing"),
        (TIMELINE + "  - date: 2027-06-30\n    step: [a, b]\n---\n## A\n", 5, "'step' must be text"),
        (
            TIMELINE + "  - date: 2027-09\n    step: Summary\n  - date: 2027-06-30\n    step: Closes\n---\n## A\n",
            6,
            "timeline step 2 (2027-06-30) comes before step 1 (2027-09): list the steps in date order",
        ),
        ("---\ntitle: T\ncontact: not an address\n---\n## A\n", 3, "'contact' must be an email address"),
        ("---\ntitle: T\norganiser: [a, b]\n---\n## A\n", 3, "'organiser' must be text"),
        ("---\ntitle: T\norganiser: " + "x" * 201 + "\n---\n## A\n", 3, "'organiser' is longer than 200"),
        ("---\ntitle: T\nwhy: " + "word " * 700 + "\n---\n## A\n", 3, "'why' is longer than 3000"),
        ('---\ntitle: T\nwhat_happens_next: "a\\0b"\n---\n## A\n', 3, "'what_happens_next' contains the NUL"),
    ],
)
def test_bad_details_are_refused_with_line_and_reason(text, line, words):
    error = refusal(text)
    assert words in error.message
    assert error.line == line, error
    assert str(error).startswith(f"g.md:{line}: ")


def test_a_timeline_step_deep_in_the_list_is_named_by_its_own_line():
    steps = "".join(f"  - date: 2027-0{month}\n    step: Step {month}\n" for month in range(1, 6))
    error = refusal(TIMELINE + steps + "  - date: 2027-06\n    step: ''\n---\n## A\n")
    assert (error.line, error.message) == (15, "timeline step 6 says nothing: write what happens")
