"""The Atom feeds of a document, parsed back with xml.etree: new versions, and published responses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Section, Version
from consult_app.services import moderation
from tests.factories import load_second_version, make_comment, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://localhost/guidance/test-guidance/"


def feed(client, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed, under test
    assert root.tag == f"{ATOM}feed"
    return root


def links(element: ET.Element) -> dict[str, str]:
    return {
        link.get("rel", "alternate"): link.get("href") for link in element.findall(f"{ATOM}link")
    }  # Atom: no rel is alternate


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def text(element: ET.Element, name: str) -> str:
    return element.findtext(f"{ATOM}{name}") or ""


def updated(element: ET.Element) -> datetime:
    return datetime.fromisoformat(text(element, "updated"))


# --- versions -----------------------------------------------------------------------------------------------


def test_the_versions_feed_lists_each_version_newest_first(client, document, tmp_path):
    load_second_version(tmp_path)
    section = db.session.scalar(select(Section).join(Version).where(Version.number == 2, Section.key == "introduction"))
    section.change_note, section.change_note_html = "Narrowed.", "<p>Narrowed, <em>as asked</em>.</p>"
    db.session.commit()
    root = feed(client, "/guidance/test-guidance/versions.atom")
    assert text(root, "id") == f"{BASE}versions.atom"
    assert links(root) == {"self": f"{BASE}versions.atom", "alternate": BASE}
    second, first = entries(root)
    assert [text(second, "title"), text(first, "title")] == ["Version 2", "Version 1"]
    assert text(second, "id") == f"{BASE}v2/" and text(first, "id") == f"{BASE}v1/"
    assert links(second) == {"alternate": f"{BASE}v1/"}  # the differences from version 1
    assert updated(root) == updated(second) >= updated(first)
    changes = text(second, "content")
    assert "1. Introduction: changed" in changes and "<em>as asked</em>" in changes
    assert "Public good: removed" in changes and "3. Accountability: new section" in changes
    assert "Bias and fairness" not in changes  # unchanged
    assert "3. Bias and fairness" in text(first, "content")


def test_the_document_page_announces_its_feeds(client, document):
    page = client.get("/guidance/test-guidance/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" title="New versions of' in page
    assert 'href="/guidance/test-guidance/versions.atom"' in page
    assert 'href="/guidance/test-guidance/responses.atom"' in page


@pytest.mark.parametrize("feed_name", ["versions.atom", "responses.atom"])
def test_an_unknown_document_has_no_feed(client, document, feed_name):
    assert client.get(f"/guidance/no-such-document/{feed_name}").status_code == 404


# --- responses ----------------------------------------------------------------------------------------------


@pytest.fixture
def answered(document):
    """One comment in each publication choice, answered; a pending comment with an answer; an unanswered one."""
    moderator = make_user("moderator")
    made = {}
    for publication, name in [
        ("public_named", "Nadia Named"),
        ("public_anonymous", "Anna Anonymous"),
        ("private", "Petra Private"),
    ]:
        author = make_user("reviewer", name=name)
        made[publication] = make_comment(
            author, document, status="approved", publication=publication, body=f"Text of {publication}."
        )
    made["pending"] = make_comment(make_user("reviewer"), document, body="Not yet approved.")
    made["unanswered"] = make_comment(make_user("reviewer"), document, status="approved", body="No answer yet.")
    start = datetime.now(UTC) - timedelta(hours=1)
    for minutes, key in enumerate(["public_named", "public_anonymous", "private", "pending"]):
        moderation.set_disposition(moderator, made[key], "accepted" if minutes else "noted", f"Response {key}.")
        made[key].responded_at = start + timedelta(minutes=minutes)
    db.session.commit()
    return made


def test_no_responses_are_listed_before_the_summary_is_published(client, answered):
    root = feed(client, "/guidance/test-guidance/responses.atom")
    assert entries(root) == [] and text(root, "id") == f"{BASE}responses.atom"
    assert text(root, "updated")


def test_published_responses_newest_first_never_naming_the_anonymous(client, document, answered):
    document.responses_published_at = datetime.now(UTC)
    db.session.commit()
    root = feed(client, "/guidance/test-guidance/responses.atom")
    anonymous, named = entries(root)
    assert [text(anonymous, "title"), text(named, "title")] == [
        f"{answered['public_anonymous'].reference}: Accepted",
        f"{answered['public_named'].reference}: Noted",
    ]
    assert links(named) == {"alternate": f"{BASE}public-good/#{answered['public_named'].reference}"}
    assert text(named, "id") == f"{BASE}public-good/#{answered['public_named'].reference}"
    assert named.findtext(f"{ATOM}author/{ATOM}name") == "Nadia Named"
    assert anonymous.find(f"{ATOM}author") is None  # the feed's author stands for it
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Consult"
    assert updated(root) >= updated(anonymous) > updated(named)
    body = ET.tostring(root, encoding="unicode")
    assert "Anna Anonymous" not in body
    assert "Petra Private" not in body and "Text of private." not in body and "Response private." not in body
    assert "Not yet approved." not in body and "Text of public_anonymous." in body
    assert "No answer yet." not in body
    assert "Response public_named." in text(named, "content") and "Text of public_named." in text(named, "content")
