"""About this consultation: who runs it, why, what becomes of the responses, what follows, and until when."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Document, Version
from tests.factories import make_document, write_guidance


def details(steps: list[tuple[str, str]]) -> str:
    timeline = "".join(f"  - date: {when}\n    step: {text}\n" for when, text in steps)
    return (
        "organiser: Data Ethics Workstream of the ML Group\n"
        "contact: questions@example.org\n"
        "why: |\n  Models now help make official statistics.\n\n  We want to hear from those affected.\n"
        "how_responses_are_used: The drafting team answers every comment.\n"
        "what_happens_next: A summary of responses, then the final guidance.\n"
        f"timeline:\n{timeline}"
    )


def shown(day: date, month_only: bool = False) -> str:
    return f"{day:%B %Y}" if month_only else f"{day.day} {day:%B %Y}"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture
def consultation(app_context, tmp_path):
    """Open for 10 more days; its timeline has a past step, the closing as the next step, and a month after."""
    now = datetime.now(UTC)
    opened, closes, summary = (now - timedelta(days=20)).date(), (now + timedelta(days=10)).date(), now.date()
    summary = date(summary.year + 1, summary.month, 1)
    steps = [
        (opened.isoformat(), "Consultation opens"),
        (closes.isoformat(), "Consultation closes"),
        (summary.isoformat()[:7], "Summary of responses published"),
    ]
    make_document(tmp_path, opens=now - timedelta(days=20), closes=now + timedelta(days=10), details=details(steps))
    return {"opened": opened, "closes": closes, "summary": summary}


def test_the_document_page_shows_every_detail_before_the_contents(client, consultation):
    html = page(client, "/guidance/test-guidance/")
    about = html[html.index('<section class="about" id="_about"') : html.index('<nav class="toc"')]
    assert "<dt>Run by</dt><dd>Data Ethics Workstream of the ML Group</dd>" in about
    assert '<a href="mailto:questions@example.org">questions@example.org</a>' in about
    assert "<h3>Why we are consulting</h3>" in about
    assert "<p>Models now help make official statistics.</p><p>We want to hear from those affected.</p>" in about
    assert "<h3>How responses will be used</h3>" in about and "The drafting team answers every comment." in about
    assert 'href="/privacy">privacy notice</a>' in about
    assert "<h3>What happens next</h3>" in about and "A summary of responses, then the final guidance." in about
    header = html[: html.index('id="_about"')]
    assert "Open for comments until" in header and "(10 days left)" in header
    steps = re.findall(
        r'<li class="timeline__step([^"]*)"([^>]*)>\s*<span class="timeline__date">([^<]+)</span>', about
    )
    assert steps == [
        (" timeline__step--past", "", shown(consultation["opened"])),
        (" timeline__step--next", ' aria-current="step"', shown(consultation["closes"])),
        ("", "", shown(consultation["summary"], month_only=True)),
    ]
    assert f"<dt>Next step</dt><dd>Consultation closes ({shown(consultation['closes'])})</dd>" in about


def test_the_home_page_says_who_why_until_when_what_next_and_whom_to_write_to(client, consultation):
    html = page(client, "/")
    card = html[html.index('<li class="document-card">') :]
    assert "(10 days left)" in card
    assert "<dt>Who is asking</dt><dd>Data Ethics Workstream of the ML Group</dd>" in card
    assert "<dt>Why</dt><dd>Models now help make official statistics.</dd>" in card
    assert "We want to hear from those affected." not in card  # only the first paragraph
    assert "<dt>Your comment</dt><dd>The drafting team answers every comment.</dd>" in card
    assert f"<dt>Next step</dt><dd>Consultation closes ({shown(consultation['closes'])})</dd>" in card
    assert '<dt>Questions</dt><dd><a href="mailto:questions@example.org">' in card
    assert 'href="/guidance/test-guidance/#_about">About this consultation' in card


@pytest.mark.parametrize(
    ("opens", "closes", "words"),
    [
        (5, 30, "Opens for comments on"),
        (1, 30, "(tomorrow)"),
        (-10, 1, "(1 day left)"),
        (-10, 30, "(30 days left)"),
    ],
)
def test_the_state_counts_the_days(client, app_context, tmp_path, opens, closes, words):
    # Noon UTC today plus whole days: the same calendar day in UTC whenever the test runs.
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    make_document(tmp_path, opens=noon + timedelta(days=opens), closes=noon + timedelta(days=closes))
    html = page(client, "/")
    assert words in html
    if opens > 1:
        assert f"(in {opens} days)" in html


def test_after_closing_the_next_step_is_the_summary_of_responses(client, app_context, tmp_path):
    now = datetime.now(UTC)
    later = date(now.year + 1, now.month, 1)
    steps = [((now - timedelta(days=3)).date().isoformat(), "Consultation closes"), (later.isoformat()[:7], "Summary")]
    make_document(tmp_path, opens=now - timedelta(days=40), closes=now - timedelta(days=3), details=details(steps))
    html = page(client, "/")
    assert "Consultation closed on" in html
    assert f"<dt>Next step</dt><dd>Summary ({shown(later, month_only=True)})</dd>" in html


def test_a_document_without_details_has_no_about_section(client, document):
    assert 'id="_about"' not in page(client, "/guidance/test-guidance/")
    assert "Who is asking" not in page(client, "/")


def test_a_malformed_timeline_is_refused_with_its_line_and_nothing_is_loaded(app, runner, tmp_path):
    steps = "timeline:\n  - date: 2027-09\n    step: Summary\n  - date: soon\n    step: Final guidance\n"
    path = write_guidance(tmp_path, details=steps)
    line = path.read_text().splitlines().index("  - date: soon") + 1
    result = runner.invoke(args=["guidance", "load", str(path)])
    assert result.exit_code == 1
    assert f"test-guidance.md:{line}: timeline step 2: 'date' must be a day such as 2027-09-30" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_new_details_update_the_document_without_a_new_version(app, runner, tmp_path):
    runner.invoke(args=["guidance", "load", str(write_guidance(tmp_path))])
    path = write_guidance(tmp_path, details="organiser: A new organiser\n")
    result = runner.invoke(args=["guidance", "load", str(path)])
    assert "version 1 unchanged; summary, consultation dates or details updated" in result.output
    with app.app_context():
        assert db.session.scalar(select(Document.organiser)) == "A new organiser"
        assert db.session.scalar(select(func.count()).select_from(Version)) == 1


def test_a_cached_page_moves_on_with_the_date(client, consultation, monkeypatch):
    """Days left and the timeline's next step change at midnight with nothing written: so do the page's tag."""
    from consult_app.services import consultation as consultation_service

    before = client.get("/guidance/test-guidance/")
    assert "(10 days left)" in before.get_data(as_text=True)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    monkeypatch.setattr(consultation_service, "utcnow", lambda: tomorrow)
    after = client.get("/guidance/test-guidance/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert "(9 days left)" in after.get_data(as_text=True)
