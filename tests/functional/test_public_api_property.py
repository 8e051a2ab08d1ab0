"""A property (hypothesis): for any mix of comments (every status and publication choice, replies, authors who
delete their account), the API lists exactly the comments a visitor sees on the section pages, page after page,
and its statistics count exactly those.

What a visitor sees is read from the HTML the pages serve, not from the services the API uses, so the two are
compared from the outside. Examples are derandomised and few; HYPOTHESIS_MAX_EXAMPLES searches longer.
"""

from __future__ import annotations

import itertools
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent
from consult_app.services import accounts
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user

pytestmark = pytest.mark.fuzz

SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = ["introduction", "public-good", "bias-and-fairness"]
COMMENT = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["pending", "approved", "rejected", "withdrawn"]),
        "publication": st.sampled_from(["public_named", "public_anonymous", "private"]),
        "key": st.sampled_from(KEYS),
        "author": st.integers(0, 2),
        "reply": st.booleans(),
    }
)
ARTICLE = re.compile(r'<article class="comment[^"]*" id="(C-\d+)"')
_emails = itertools.count()


def shown_on_the_pages(client) -> set[str]:
    """The references of every comment on the section pages and the document page, as a visitor gets them."""
    urls = ["/guidance/test-guidance/", *(f"/guidance/test-guidance/{key}/" for key in KEYS)]
    found: set[str] = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        found.update(ARTICLE.findall(response.get_data(as_text=True)))
    return found


def listed_by_the_api(client) -> list[str]:
    listed, url = [], "/api/v1/documents/test-guidance/comments?limit=3"
    while url:
        page = client.get(url).get_json()
        listed += [comment["reference"] for comment in page["comments"]]
        url = page["links"]["next"]
    return listed


def write(document, plan: list[dict], leaves: bool) -> None:
    """The planned comments; a reply goes under the latest published comment of its section, if there is one."""
    people = [make_user(email=f"property{next(_emails)}@example.org") for _ in range(3)]
    published: dict[str, int] = {}
    for item in plan:
        parent = published.get(item["key"]) if item["reply"] else None
        comment = make_comment(
            people[item["author"]],
            document,
            item["key"],
            status=item["status"],
            publication=item["publication"],
            parent_id=parent,
        )
        if comment.status == "approved" and comment.publication != "private" and parent is None:
            published[item["key"]] = comment.id
    if leaves:
        accounts.delete_account(people[2], DEFAULT_PASSWORD)
        db.session.commit()


def forget_comments() -> None:
    """Bulk statements: the audit trail refuses deletes through the ORM, by design."""
    db.session.execute(delete(ModerationEvent))
    db.session.execute(update(Comment).values(parent_id=None))
    db.session.execute(delete(Comment))
    db.session.commit()


@given(plan=st.lists(COMMENT, min_size=1, max_size=8), leaves=st.booleans())
@SETTINGS
def test_the_api_lists_exactly_the_comments_a_visitor_sees(client, document, plan, leaves):
    try:
        write(document, plan, leaves)
        listed = listed_by_the_api(client)
        assert len(listed) == len(set(listed)) and listed == sorted(listed)
        assert set(listed) == shown_on_the_pages(client)
        figures = client.get("/api/v1/documents/test-guidance/statistics").get_json()
        assert figures["published_comments"] == len(listed)
    finally:
        forget_comments()
