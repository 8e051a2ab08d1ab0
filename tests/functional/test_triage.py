"""The compact queue (next card after a decision, errors at the card, JSON for the script) and the decision
screen (one form for decision and answer, the section text with the quote marked, history in words)."""

import re

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from tests.factories import make_comment, make_user

JSON = {"Accept": "application/json"}


@pytest.fixture
def author():
    return make_user("reviewer", name="Rita Reviewer", respondent_type="civil_society")


def fresh(comment: Comment) -> Comment:
    db.session.expire_all()
    return db.session.get(Comment, comment.id)


def test_a_card_is_compact_and_rejecting_is_behind_a_details(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, body="Short and sweet", quote="serve the public.")
    html = client.get("/moderation/").get_data(as_text=True)
    card = html[html.index(f'id="{comment.reference}"') : html.index("</li>", html.index(f'id="{comment.reference}"'))]
    assert "<span>2. Public good</span>" in card and "<span>Civil society</span>" in card and "today" in card
    # Reason and note only inside the closed reject panel; the approve button stands alone.
    assert '<details class="reject-panel">' in card
    assert card.index('value="approve"') < card.index("<details") < card.index('name="reason"')
    assert 'id="bulk-form"' in html and "Select all on this page" in html and 'id="shortcuts"' in html


def test_after_a_decision_the_page_returns_to_the_next_card(client, document, author, login_as):
    login_as("moderator")
    first, second, third = (make_comment(author, document, body=f"Comment {n}") for n in range(3))
    html = client.get("/moderation/?kind=general").get_data(as_text=True)
    assert f'name="next" value="/moderation/?kind=general#{second.reference}"' in html
    response = client.post(
        f"/moderation/comments/{second.id}/decision",
        data={"decision": "approve", "next": f"/moderation/?kind=general#{third.reference}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/moderation/?kind=general#{third.reference}"
    # The last card of a page goes back to the one before it.
    html = client.get("/moderation/").get_data(as_text=True)
    assert f'name="next" value="/moderation/#{first.reference}"' in html


def test_a_refused_decision_names_the_comment_and_sits_at_its_card(client, document, author, login_as):
    login_as("moderator")
    make_comment(author, document, body="Before")
    comment = make_comment(author, document, body="Needs a reason")
    response = client.post(
        f"/moderation/comments/{comment.id}/decision",
        data={"decision": "reject", "note": "Kept note", "next": "/moderation/?kind=general"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    message = f"{comment.reference}: Choose a reason for rejecting."
    assert f'<a href="#{comment.reference}">{message}</a>' in html  # the summary links to the card
    card = html[html.index(f'id="{comment.reference}"') :]
    assert 'class="card card--error"' in html and message in card[: card.index("</li>")]
    assert '<details class="reject-panel" open>' in card and "Kept note</textarea>" in card
    assert fresh(comment).status == "pending"


def test_the_script_gets_json_and_the_page_is_not_reloaded(client, document, author, login_as):
    login_as("moderator")
    first, second = make_comment(author, document), make_comment(author, document)
    ok = client.post(f"/moderation/comments/{first.id}/decision", data={"decision": "approve"}, headers=JSON)
    assert ok.status_code == 200
    assert ok.json == {"decided": [first.reference], "message": f"{first.reference} approved.", "pending": "1"}
    refused = client.post(f"/moderation/comments/{second.id}/decision", data={"decision": "reject"}, headers=JSON)
    assert refused.status_code == 400
    assert refused.json == {
        "error": f"{second.reference}: Choose a reason for rejecting.",
        "reference": second.reference,
        "field": "reason",  # the script opens the reject panel at the reason, whatever the language of the words
    }
    again = client.post(f"/moderation/comments/{first.id}/decision", data={"decision": "approve"}, headers=JSON)
    assert again.status_code == 409 and first.reference in again.json["error"]
    bulk = client.post(
        "/moderation/bulk", data={"decision": "reject", "reason": "spam", "comment_ids": [second.id]}, headers=JSON
    )
    assert bulk.status_code == 200 and bulk.json["decided"] == [second.reference] and bulk.json["pending"] == "0"
    bad = client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": ["x"]}, headers=JSON)
    assert bad.status_code == 400 and bad.json["reference"] is None


def test_select_all_without_script_checks_every_card(client, document, author, login_as):
    login_as("moderator")
    comments = [make_comment(author, document) for _ in range(3)]
    html = client.get("/moderation/?select=all").get_data(as_text=True)
    assert all(f'id="select-{c.id}" aria-label="Select {c.reference}" checked' in html for c in comments)
    assert "Clear the selection" in html and 'name="next" value="/moderation/#' in html  # `select` is not kept
    odd = client.get("/moderation/?select=some&kind=general")
    assert odd.status_code == 200 and 'href="/moderation/?kind=general&amp;select=all"' in odd.get_data(as_text=True)


# --- the decision screen -----------------------------------------------------------------------------------


def screen(client, comment, data=None, query=""):
    url = f"/moderation/comments/{comment.id}{query}"
    return client.post(url, data=data) if data is not None else client.get(url)


def test_a_disposition_typed_before_approving_is_saved_with_the_approval(client, document, author, login_as, mailbox):
    moderator = login_as("moderator")
    comment = make_comment(author, document, body="Define drift, please.")
    form = {"decision": "approve", "disposition": "accepted", "response": "We define it in section 2."}
    response = screen(client, comment, form)
    assert response.status_code == 302 and response.headers["Location"] == f"/moderation/comments/{comment.id}"
    saved = fresh(comment)
    assert (saved.status, saved.disposition, saved.response) == ("approved", "accepted", "We define it in section 2.")
    assert saved.moderated_by_id == saved.responded_by_id == moderator.id
    page = screen(client, comment).get_data(as_text=True)
    assert f"{comment.reference} approved and its disposition saved." in page
    assert "Approved</td>" in page and "Disposition set to Accepted</td>" in page
    subjects = sorted(message["Subject"] for message in mailbox.deliver(2))
    assert subjects == [
        f"The drafting team answered your comment {comment.reference}",
        f"Your comment {comment.reference} has been published",
    ]


def test_a_refused_decision_saves_nothing_and_keeps_what_was_typed(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document)
    form = {"decision": "reject", "reason": "", "disposition": "noted", "response": "Thanks, noted."}
    response = screen(client, comment, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose a reason for rejecting." in html and "Nothing was saved" in html
    assert "Thanks, noted.</textarea>" in html and '<option selected value="noted">' in html
    assert re.search(r'<input checked [^>]*value="reject">', html)
    saved = fresh(comment)
    assert (saved.status, saved.disposition) == ("pending", None)
    assert db.session.scalars(select(ModerationEvent).where(ModerationEvent.comment_id == comment.id)).all() == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"decision": "maybe"}, "Choose approve or reject."),
        ({"response": "An answer without a disposition"}, "Choose a disposition for the response."),
        ({"disposition": "love_it"}, "Choose one of the listed dispositions."),
        ({"note": "n" * 1001}, "Field cannot be longer than 1000 characters."),
    ],
)
def test_bad_forms_on_the_screen_are_400_and_change_nothing(client, document, author, login_as, form, message):
    login_as("moderator")
    comment = make_comment(author, document)
    response = screen(client, comment, form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert fresh(comment).status == "pending" and fresh(comment).disposition is None


def test_a_disposition_cannot_be_taken_back_by_blanking_it(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, status="approved")
    assert screen(client, comment, {"disposition": "noted", "response": "Noted."}).status_code == 302
    blanked = screen(client, comment, {"disposition": "", "response": ""})
    assert blanked.status_code == 400 and "cannot be taken back" in blanked.get_data(as_text=True)
    assert fresh(comment).disposition == "noted"
    unchanged = screen(client, comment, {"disposition": "noted", "response": "Noted."})
    assert unchanged.status_code == 302
    assert f"Nothing changed on {comment.reference}." in screen(client, comment).get_data(as_text=True)


def test_the_screen_shows_the_section_with_the_quote_marked(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, quote="serve the public.")
    html = screen(client, comment).get_data(as_text=True)
    assert '<h2 id="section-title">2. Public good <span class="muted">(version 1)</span></h2>' in html
    marked = (
        '<mark class="quoted">serve the </mark><em><mark class="quoted">public</mark></em><mark class="quoted">.</mark>'
    )
    assert f"<p>Statistics should {marked}</p>" in html
    assert "The quoted passage is highlighted." in html


def test_the_screen_offers_only_what_the_routes_allow(client, document, author, login_as):
    me = login_as("moderator")
    own = make_comment(db.session.get(User, me.id), document)
    html = screen(client, own).get_data(as_text=True)
    assert 'name="decision"' not in html and 'name="disposition"' not in html
    assert "another moderator must decide it and record" in html
    approved = make_comment(author, document, status="approved")
    html = screen(client, approved).get_data(as_text=True)
    assert 'name="decision"' not in html and 'name="disposition"' in html  # decided once, answered any time
    withdrawn = make_comment(author, document, status="withdrawn")
    html = screen(client, withdrawn).get_data(as_text=True)
    assert '<form class="review-form"' not in html
    assert screen(client, withdrawn, {"disposition": "noted"}).status_code == 409


def test_the_screen_keeps_the_address_query_through_a_save(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, status="approved")
    html = screen(client, comment, query="?status=approved").get_data(as_text=True)
    assert f'action="/moderation/comments/{comment.id}?status=approved"' in html
    response = client.post(
        f"/moderation/comments/{comment.id}?status=approved", data={"disposition": "noted", "response": ""}
    )
    assert response.headers["Location"] == f"/moderation/comments/{comment.id}?status=approved"


def test_missing_comments_are_404_by_reference(client, login_as):
    login_as("moderator")
    response = client.get("/moderation/comments/424242")
    assert response.status_code == 404 and "There is no comment C-424242." in response.get_data(as_text=True)
    assert client.post("/moderation/comments/424242", data={"decision": "approve"}).status_code == 404


def test_history_reads_in_words(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document)
    screen(client, comment, {"decision": "reject", "reason": "off_topic"})
    screen(client, comment, {"disposition": "out_of_scope", "response": "Elsewhere."})
    screen(client, comment, {"disposition": "out_of_scope", "response": "Another forum."})
    screen(client, comment, {"disposition": "noted", "response": "Another forum."})
    html = screen(client, comment).get_data(as_text=True)
    words = re.findall(r"<td>((?:Rejected|Disposition|Response)[^<]*)</td>", html)
    assert words == [
        "Rejected",
        "Disposition set to Out of scope",
        "Response changed (disposition stays Out of scope)",
        "Disposition changed from Out of scope to Noted",
    ]


def test_previous_and_next_follow_the_worklist_filter_in_the_address(client, document, author, login_as):
    login_as("moderator")
    first, _pending, third = (
        make_comment(author, document, status=status) for status in ("approved", "pending", "approved")
    )
    html = screen(client, first, query="?status=approved").get_data(as_text=True)
    assert f'href="/moderation/comments/{third.id}?status=approved" rel="next"' in html and 'rel="prev"' not in html
    html = screen(client, third, query="?status=approved").get_data(as_text=True)
    assert f'href="/moderation/comments/{first.id}?status=approved" rel="prev"' in html and 'rel="next"' not in html
    bad = screen(client, third, query="?status=maybe")
    assert bad.status_code == 200 and "The worklist filter in this address cannot be used" in bad.get_data(as_text=True)
