"""One comment count (services/counts.py): the contents, the section heading, the document page, the dashboard
and the public API say the same for visitors, authors and moderators."""

from __future__ import annotations

import re

import pytest

from consult_app.services.counts import SectionCount, section_count, section_counts
from tests.factories import make_comment, make_user, session_token_for, sign_in_with

DOCUMENT = "/guidance/test-guidance/"
SECTION = "/guidance/test-guidance/introduction/"


@pytest.fixture
def people(document):
    """On the introduction: two published comments and a published reply (3), one approved private comment, two
    comments awaiting moderation (one by `author`), one rejected and one withdrawn. One published comment on
    "public-good"."""
    author, other = make_user(), make_user()
    first = make_comment(other, document, "introduction", status="approved")
    make_comment(author, document, "introduction", status="approved", publication="public_anonymous")
    make_comment(other, document, "introduction", status="approved", parent_id=first.id)
    make_comment(other, document, "introduction", status="approved", publication="private")
    make_comment(author, document, "introduction", status="pending")
    make_comment(other, document, "introduction", status="pending")
    make_comment(other, document, "introduction", status="rejected")
    make_comment(author, document, "introduction", status="withdrawn")
    make_comment(other, document, "public-good", status="approved")
    return {"visitor": None, "author": author, "moderator": make_user("moderator")}


EXPECTED = {
    "visitor": SectionCount(published=3),
    "author": SectionCount(published=3, awaiting=1, own=True),
    "moderator": SectionCount(published=3, awaiting=2, private=1),
}
# How each viewer's unpublished comments are worded, in the contents and under the section's heading.
WORDS = {"visitor": None, "author": "1 of yours awaiting moderation", "moderator": "2 awaiting moderation, 1 private"}


def _contents_entry(html: str, key: str) -> str:
    return re.search(
        rf'href="/guidance/test-guidance/{key}/"[^>]*>[^<]*</a>\s*(<span class="count".*?</li>)', html, re.S
    )[1]


def _published(fragment: str) -> int:
    return int(re.search(r'data-published="(\d+)"', fragment)[1])


def _unpublished(fragment: str) -> str | None:
    found = re.search(r'<span class="count__unpublished">([^<]*)</span>', fragment)
    return found[1] if found else None


@pytest.mark.parametrize("who", ["visitor", "author", "moderator"])
def test_contents_heading_and_service_agree(client, people, document, who):
    viewer = people[who]
    assert section_count(document, "introduction", viewer) == EXPECTED[who]
    assert section_counts(document, viewer)["introduction"] == EXPECTED[who]
    if viewer is not None:
        sign_in_with(client, session_token_for(viewer))
    contents = _contents_entry(client.get(DOCUMENT).get_data(as_text=True), "introduction")
    section = client.get(SECTION).get_data(as_text=True)
    heading = re.search(r'<h2 id="comments-title">.*?</h2>\s*(<p class="muted">.*?</p>)?', section, re.S)[0]
    assert _published(contents) == _published(heading) == 3
    assert _unpublished(contents) == _unpublished(heading) == WORDS[who]
    # The section with a single published comment says "1 comment", not "1 comments".
    assert "(1 comment)" in _contents_entry(client.get(DOCUMENT).get_data(as_text=True), "public-good")


def test_dashboard_and_public_api_count_what_the_pages_count(client, people, document):
    published = {key: count.published for key, count in section_counts(document, None).items()}
    assert section_counts(document, people["moderator"]).total == SectionCount(published=4, awaiting=2, private=1)
    statistics = client.get("/api/v1/documents/test-guidance/statistics").get_json()
    api = {row["key"]: row["comments"] for row in statistics["sections"]}
    detail = client.get("/api/v1/documents/test-guidance").get_json()
    assert {row["key"]: row["comments"] for row in detail["sections"]} == api
    assert api == published | {"bias-and-fairness": 0}
    sign_in_with(client, session_token_for(people["moderator"]))
    dashboard = client.get("/moderation/dashboard").get_data(as_text=True)
    row = re.search(r'<tr data-key="introduction">(.*?)</tr>', dashboard, re.S)[1]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["3", "2", "1"]
