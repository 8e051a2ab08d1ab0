"""The moderators' workplace: queue, decisions (one, many, at once), dispositions, audit trail, mail."""

import csv
import io
import json
import re
import threading

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy import update as sa_update

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from consult_app.services import accounts, moderation
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"


@pytest.fixture
def author():
    return make_user("reviewer", name="Rita Reviewer", organisation="Civic Data Lab", respondent_type="civil_society")


def fresh(comment: Comment) -> Comment:
    db.session.expire_all()
    return db.session.get(Comment, comment.id)


def events(comment: Comment | None = None) -> list[tuple]:
    db.session.expire_all()
    statement = select(ModerationEvent).order_by(ModerationEvent.id)
    if comment is not None:
        statement = statement.where(ModerationEvent.comment_id == comment.id)
    return [(e.field, e.from_value, e.to_value, e.reason, e.actor_id) for e in db.session.scalars(statement)]


def decide(client, comment, decision, **extra):
    return client.post(f"/moderation/comments/{comment.id}/decision", data={"decision": decision, **extra})


def test_queue_shows_pending_comments_oldest_first_with_context(client, document, author, login_as):
    login_as("moderator")
    parent = make_comment(author, document, status="approved", body="The parent comment")
    first = make_comment(author, document, body="First pending", quote="serve the public.")
    second = make_comment(author, document, body="Second pending", parent_id=parent.id)
    make_comment(author, document, body="Already approved", status="approved")
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.index("First pending") < html.index("Second pending")
    assert "Already approved" not in html
    assert "serve the public." in html and "The parent comment" in html
    assert f'In reply to <a href="/moderation/comments/{parent.id}">{parent.reference}</a>' in html
    # One line of facts per card: section by number and title, kind and respondent type as labels; the author's
    # name and organisation are on the decision screen, not in the compact queue.
    assert "<span>2. Public good</span>" in html and "<span>General comment</span>" in html
    assert "Civil society" in html and "Rita Reviewer" not in html
    assert "2 comments awaiting moderation" in html
    assert f'value="{first.id}" form="bulk-form"' in html and f'value="{second.id}" form="bulk-form"' in html
    assert 'name="decision" value="approve"' in html and 'name="decision" value="reject"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "concern"}, ["Concern text"]),
        ({"section": "introduction"}, ["Intro text"]),
        ({"respondent_type": "academia_research"}, ["Academic text"]),
        ({"q": "SMALL AREAS"}, ["About small areas"]),
        ({"q": "100%"}, []),
        ({"document": "test-guidance", "kind": "general"}, ["Intro text", "About small areas", "Academic text"]),
        ({"document": "other-document"}, []),
    ],
)
def test_queue_filters(client, document, author, login_as, query, expected):
    login_as("moderator")
    academic = make_user("reviewer", respondent_type="academia_research")
    make_comment(author, document, body="Concern text", kind="concern")
    make_comment(author, document, key="introduction", body="Intro text")
    make_comment(author, document, body="About small areas")
    make_comment(academic, document, body="Academic text")
    html = client.get("/moderation/", query_string=query).get_data(as_text=True)
    shown = [text for text in ("Concern text", "Intro text", "About small areas", "Academic text") if text in html]
    assert shown == expected


def link(html: str, name: str) -> str | None:
    """The address of the queue's link called `name` ("Next page", "Previous page", "First page")."""
    match = re.search(rf'<a href="([^"]+)"[^>]*>{name}</a>', html)
    return match.group(1).replace("&amp;", "&") if match else None


def shown_numbers(html: str) -> list[int]:
    return [int(number) for number in re.findall(r"Comment number (\d+)", html)]


def test_queue_pages(client, document, author, login_as):
    login_as("moderator")
    for number in range(25):
        make_comment(author, document, body=f"Comment number {number:02d}")
    first = client.get("/moderation/").get_data(as_text=True)
    assert shown_numbers(first) == list(range(20))
    assert link(first, "Previous page") is None and link(first, "First page") is None
    assert "25 comments awaiting moderation" in first
    second = client.get(link(first, "Next page")).get_data(as_text=True)
    assert shown_numbers(second) == list(range(20, 25)) and "25 comments awaiting moderation" in second
    assert link(second, "Next page") is None and 'rel="next">Next page' not in second
    assert shown_numbers(client.get(link(second, "Previous page")).get_data(as_text=True)) == list(range(20))
    assert shown_numbers(client.get(link(second, "First page")).get_data(as_text=True)) == list(range(20))


def walk(client, start: str, name: str) -> list[list[int]]:
    pages, path = [], start
    while path:
        html = client.get(path).get_data(as_text=True)
        pages.append(shown_numbers(html))
        path = link(html, name)
        assert len(pages) < 20
    return pages


def test_queue_pages_cover_every_comment_once_even_with_equal_timestamps(client, document, author, login_as):
    login_as("moderator")
    comments = [make_comment(author, document, body=f"Comment number {number:02d}") for number in range(45)]
    # Comments written in the same microsecond are ordered by id: no page may skip or repeat one of them.
    same = comments[10].created_at
    db.session.execute(
        sa_update(Comment).where(Comment.id.in_([c.id for c in comments[15:30]])).values(created_at=same)
    )
    db.session.commit()
    expected = sorted(range(45), key=lambda n: (comments[n].created_at if not 15 <= n < 30 else same, comments[n].id))
    forward = walk(client, "/moderation/", "Next page")
    assert [len(page) for page in forward] == [20, 20, 5]
    assert [n for page in forward for n in page] == expected
    last = client.get("/moderation/").get_data(as_text=True)
    last = client.get(link(client.get(link(last, "Next page")).get_data(as_text=True), "Next page"))
    backward = walk(client, link(last.get_data(as_text=True), "Previous page"), "Previous page")
    assert [n for page in reversed(backward) for n in page] == expected[:40]


def test_queue_pages_keep_the_filters(client, document, author, login_as):
    login_as("moderator")
    for number in range(36):
        make_comment(author, document, body=f"Comment number {number:02d}", kind="concern" if number % 3 else "general")
    first = client.get("/moderation/", query_string={"kind": "concern", "q": "number"}).get_data(as_text=True)
    assert "24 comments awaiting moderation" in first
    following = link(first, "Next page")
    assert "kind=concern" in following and "q=number" in following
    second = client.get(following).get_data(as_text=True)
    assert shown_numbers(first) + shown_numbers(second) == [n for n in range(36) if n % 3]


def test_deciding_on_a_later_page_keeps_the_place(client, document, author, login_as):
    login_as("moderator")
    comments = [make_comment(author, document, body=f"Comment number {number:02d}") for number in range(25)]
    second_page = link(client.get("/moderation/").get_data(as_text=True), "Next page")
    response = decide(client, comments[21], "approve", next=second_page)
    assert response.status_code == 302 and response.headers["Location"].endswith(second_page)
    assert shown_numbers(client.get(second_page).get_data(as_text=True)) == [20, 22, 23, 24]


def test_a_page_emptied_meanwhile_still_leads_back(client, document, author, login_as):
    login_as("moderator")
    comments = [make_comment(author, document, body=f"Comment number {number:02d}") for number in range(21)]
    second_page = link(client.get("/moderation/").get_data(as_text=True), "Next page")
    moderation.decide(make_user("moderator"), comments[20].id, "approve")
    db.session.commit()
    html = client.get(second_page).get_data(as_text=True)
    assert shown_numbers(html) == [] and "No more comments are waiting after this point." in html
    assert shown_numbers(client.get(link(html, "Previous page")).get_data(as_text=True)) == list(range(20))


@pytest.mark.parametrize(
    "query",
    [
        "after=abc",
        "after=1-0",
        "after=-5-3",
        "after=1.5-3",
        "before=999999999999999999-1",
        "after=1-99999999999",
        "after=",
        "after=1-2&before=1-2",
        "after=%EF%BC%91-2",
    ],
)
def test_bad_page_addresses_are_400_with_a_reason(client, document, author, login_as, query):
    login_as("moderator")
    make_comment(author, document)
    response = client.get(f"/moderation/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The page address is not valid" in html or "not both" in html


def test_past_the_count_limit_the_queue_says_more_than(client, document, author, login_as, monkeypatch):
    monkeypatch.setattr(moderation, "COUNT_LIMIT", 3)
    login_as("moderator")
    for _ in range(5):
        make_comment(author, document)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "More than 3 comments awaiting moderation" in html
    assert '<span class="badge">3+<span class="visually-hidden"> comments waiting' in html


def test_the_queue_page_costs_the_same_on_page_one_and_deep_in(app, client, document, author, login_as):
    from tests.functional.test_read_path import counted_queries

    login_as("moderator")
    for number in range(65):
        make_comment(make_user("reviewer") if number % 10 == 0 else author, document, body=f"Comment number {number}")
    first = client.get("/moderation/").get_data(as_text=True)
    deep = link(client.get(link(first, "Next page")).get_data(as_text=True), "Next page")
    with counted_queries(app) as on_first:
        client.get("/moderation/")
    with counted_queries(app) as on_third:
        client.get(deep)
    # 9: the filter's documents and sections by name cost one query (it was 8 when they were typed in as keys).
    assert len(on_first) <= 9 and len(on_third) <= len(on_first) + 1  # deeper pages ask whether one is before


def test_approve_publishes_records_the_event_and_mails_the_author(app, client, document, author, login_as, mailbox):
    moderator = login_as("moderator")
    comment = make_comment(author, document, body="Please publish me")
    response = decide(client, comment, "approve")
    assert response.status_code == 302
    decided = fresh(comment)
    assert (decided.status, decided.moderated_by_id) == ("approved", moderator.id)
    assert decided.moderated_at is not None
    assert events(comment) == [("status", "pending", "approved", "", moderator.id)]
    [message] = mailbox.deliver(1)
    assert message["To"] == author.email and "has been published" in message["Subject"]
    # The link is on CONSULT_BASE_URL (TestConfig: http://localhost) and leads to the comment itself.
    assert f"\nhttp://localhost{SECTION}#{decided.reference}\n" in message.get_content()
    assert "Please publish me" in app.test_client().get(SECTION).get_data(as_text=True)


def test_reject_needs_a_reason_and_tells_the_author_why(app, client, document, author, login_as, mailbox):
    login_as("moderator")
    comment = make_comment(author, document, body="Buy cheap watches")
    missing = decide(client, comment, "reject")
    assert missing.status_code == 400 and "Choose a reason for rejecting." in missing.get_data(as_text=True)
    unknown = decide(client, comment, "reject", reason="boring")
    assert unknown.status_code == 400
    assert fresh(comment).status == "pending" and events() == []
    assert decide(client, comment, "reject", reason="spam", note="Advertising.").status_code == 302
    decided = fresh(comment)
    assert (decided.status, decided.moderation_reason, decided.moderation_note) == ("rejected", "spam", "Advertising.")
    assert events(comment)[0][:4] == ("status", "pending", "rejected", "Spam: Advertising.")
    [message] = mailbox.deliver(1)
    assert "was not published" in message["Subject"]
    assert "Reason: Spam" in message.get_content() and "Advertising." in message.get_content()


@pytest.mark.parametrize(
    ("data", "status"),
    [({"decision": "maybe"}, 400), ({"decision": ""}, 400), ({"decision": "approve", "note": "n" * 1001}, 400)],
)
def test_bad_decisions_change_nothing(client, document, author, login_as, data, status):
    login_as("moderator")
    comment = make_comment(author, document)
    assert client.post(f"/moderation/comments/{comment.id}/decision", data=data).status_code == status
    assert fresh(comment).status == "pending" and events() == []


def test_deciding_a_decided_or_missing_comment(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, status="approved")
    trail = events()  # the approval
    again = decide(client, comment, "reject", reason="spam")
    assert again.status_code == 409 and "already decided" in again.get_data(as_text=True)
    assert client.post("/moderation/comments/999999/decision", data={"decision": "approve"}).status_code == 404
    assert fresh(comment).status == "approved" and events() == trail


def test_a_moderator_never_decides_their_own_comment(client, document, login_as):
    moderator = login_as("moderator")
    own = make_comment(db.session.get(User, moderator.id), document, body="My own words")
    html = client.get("/moderation/").get_data(as_text=True)
    assert "another moderator must decide it" in html
    assert f'id="select-{own.id}"' not in html
    refused = decide(client, own, "approve")
    assert refused.status_code == 403
    assert fresh(own).status == "pending" and events() == []


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_a_moderator_never_records_the_disposition_of_their_own_comment(app, client, document, login_as, role):
    me = login_as(role)
    own = make_comment(db.session.get(User, me.id), document, status="approved", body="My own words")
    trail = events(own)
    page = client.get(f"/moderation/comments/{own.id}").get_data(as_text=True)
    assert "another moderator must record the drafting team's disposition" in page
    assert 'class="review-form"' not in page and 'name="disposition"' not in page
    refused = client.post(
        f"/moderation/comments/{own.id}/disposition", data={"disposition": "accepted", "response": "Yes"}
    )
    assert refused.status_code == 403
    assert "is your own comment: another moderator must record its disposition." in refused.get_data(as_text=True)
    assert fresh(own).disposition is None and fresh(own).responded_by_id is None and events(own) == trail
    # The service refuses it too, whoever calls it (the importer, the command line).
    with pytest.raises(moderation.ModerationError, match="your own comment") as refusal:
        moderation.set_disposition(db.session.get(User, me.id), fresh(own), "accepted", "Yes")
    assert refusal.value.status == 403
    # Another moderator may, and the first one then sees the answer without a form to change it.
    other = make_user("moderator")
    assert moderation.set_disposition(other, fresh(own), "noted", "Thank you.")
    db.session.commit()
    page = client.get(f"/moderation/comments/{own.id}").get_data(as_text=True)
    assert "Noted: Thank you." in page and 'name="disposition"' not in page


def test_the_disposition_form_is_there_for_someone_elses_comment(client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, status="approved")
    page = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    # The decision screen's one form posts to the screen's own address.
    assert f'action="/moderation/comments/{comment.id}?"' in page and 'name="disposition"' in page
    assert "another moderator" not in page


def test_reviewers_cannot_moderate(client, document, author, login_as):
    login_as("reviewer")
    comment = make_comment(author, document)
    assert client.get("/moderation/").status_code == 403
    assert decide(client, comment, "approve").status_code == 403
    assert client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": [comment.id]}).status_code == 403
    assert (
        client.post(
            f"/moderation/comments/{comment.id}/disposition", data={"disposition": "noted", "response": "x"}
        ).status_code
        == 403
    )
    assert fresh(comment).status == "pending" and fresh(comment).disposition is None and events() == []


def test_bulk_decisions_are_all_or_nothing(client, document, author, login_as):
    moderator = login_as("moderator")
    batch = [make_comment(author, document, body=f"Bulk {n}") for n in range(3)]
    decided = make_comment(author, document, status="approved")
    own = make_comment(db.session.get(User, moderator.id), document)
    ids = [comment.id for comment in batch]
    trail = events()  # the approval of `decided`
    for extra, words in [([decided.id], decided.reference), ([own.id], own.reference), ([987654], "C-987654")]:
        response = client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": ids + extra})
        assert response.status_code in (403, 404, 409)
        assert words in response.get_data(as_text=True) and "Nothing was changed." in response.get_data(as_text=True)
        assert {fresh(comment).status for comment in batch} == {"pending"}
    assert client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": ["abc"]}).status_code == 400
    assert client.post("/moderation/bulk", data={"decision": "approve"}).status_code == 400
    assert events() == trail
    done = client.post("/moderation/bulk", data={"decision": "reject", "reason": "duplicate", "comment_ids": ids})
    assert done.status_code == 302
    assert {fresh(comment).status for comment in batch} == {"rejected"}
    assert len(events()) == len(trail) + 3


def test_two_moderators_deciding_at_once_one_wins(app, document, author):
    """Two sessions race to decide the same comment; exactly one decision is recorded."""
    comment = make_comment(author, document)
    first, second = make_user("moderator"), make_user("moderator")
    barrier, outcomes = threading.Barrier(2), []

    def attempt(moderator_id: int, decision: str, reason: str | None) -> None:
        with app.app_context():
            moderator = db.session.get(User, moderator_id)
            db.session.get(Comment, comment.id)  # both read "pending" before either writes
            barrier.wait()
            try:
                moderation.decide(moderator, comment.id, decision, reason)
                db.session.commit()
                outcomes.append(decision)
            except moderation.ModerationError as error:
                db.session.rollback()
                outcomes.append(error.status)
            except Exception as error:  # a database lock error would count as losing, not as a crash
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=attempt, args=(first.id, "approve", None)),
        threading.Thread(target=attempt, args=(second.id, "reject", "spam")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [outcome for outcome in outcomes if outcome in ("approve", "reject")]
    assert len(outcomes) == 2 and len(winners) == 1, outcomes
    assert 409 in outcomes
    assert fresh(comment).status == {"approve": "approved", "reject": "rejected"}[winners[0]]
    assert len(events(comment)) == 1


def test_dispositions_are_recorded_changed_and_shown(app, client, document, author, login_as):
    moderator = login_as("moderator")
    comment = make_comment(author, document, status="approved", body="Please define drift.")
    url = f"/moderation/comments/{comment.id}/disposition"
    assert client.post(url, data={"disposition": "accepted", "response": "We added a definition."}).status_code == 302
    assert (
        client.post(
            url, data={"disposition": "partially_accepted", "response": "We added a short definition."}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url, data={"disposition": "partially_accepted", "response": "We added a short definition."}
        ).status_code
        == 302
    )  # no change
    saved = fresh(comment)
    assert (saved.disposition, saved.response, saved.responded_by_id) == (
        "partially_accepted",
        "We added a short definition.",
        moderator.id,
    )
    assert [event[:4] for event in events(comment)] == [
        ("status", "pending", "approved", ""),
        ("disposition", None, "accepted", "We added a definition."),
        ("disposition", "accepted", "partially_accepted", "We added a short definition."),
    ]
    page = app.test_client().get(SECTION).get_data(as_text=True)
    assert (
        "Drafting team's response" in page and "Partially accepted" in page and "We added a short definition." in page
    )
    history = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    # The history in words, through the labels (it used to read "Disposition: accepted → partially_accepted").
    assert "Disposition set to Accepted" in history
    assert "Disposition changed from Accepted to Partially accepted" in history


def test_rejected_comments_get_dispositions_but_their_response_stays_private(app, client, document, author, login_as):
    login_as("moderator")
    comment = make_comment(author, document, status="rejected", body="Off topic words")
    response = client.post(
        f"/moderation/comments/{comment.id}/disposition",
        data={"disposition": "out_of_scope", "response": "Not about this guidance."},
    )
    assert response.status_code == 302 and fresh(comment).disposition == "out_of_scope"
    assert "Not about this guidance." not in app.test_client().get(SECTION).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"disposition": "love_it", "response": ""}, 400),
        ({"disposition": "", "response": "x"}, 400),
        ({"disposition": "noted", "response": "r" * 10_001}, 400),
    ],
)
def test_bad_dispositions_change_nothing(client, document, author, login_as, data, status):
    login_as("moderator")
    comment = make_comment(author, document, status="approved")
    trail = events()  # the approval
    assert client.post(f"/moderation/comments/{comment.id}/disposition", data=data).status_code == status
    assert fresh(comment).disposition is None and events() == trail


def test_events_are_append_only(document, author):
    moderator = make_user("moderator")
    comment = make_comment(author, document)
    moderation.decide(moderator, comment.id, "approve")
    db.session.commit()
    event = db.session.scalar(select(ModerationEvent))
    event.reason = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.delete(db.session.scalar(select(ModerationEvent)))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 1


def test_a_deleted_moderator_is_a_deleted_account_in_the_trail_and_the_response_log(client, document, author, login_as):
    gone = make_user("moderator", name="Gina Gone", email="gina.gone@example.org")
    comment = make_comment(author, document, body="Words to moderate.")
    moderation.decide(gone, comment.id, "approve", note="Fine.")
    moderation.set_disposition(gone, fresh(comment), "noted", "Thank you.")
    db.session.commit()
    accounts.delete_account(db.session.get(User, gone.id), DEFAULT_PASSWORD)
    db.session.commit()
    # Erased where it was stored, not only hidden: no event holds the name or the email any more.
    db.session.expire_all()
    assert list(db.session.scalars(select(ModerationEvent.actor_label))) == ["Deleted account"] * 2
    login_as("moderator")
    page = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    history = page[page.index('id="history-title"') :]
    assert history.count("<td>Deleted account</td>") == 2
    assert "Gina" not in page and "gina.gone" not in page
    exported = client.get("/moderation/export.csv").get_data(as_text=True)
    [row] = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    assert (row["moderated_by"], row["responded_by"]) == ("Deleted account", "Deleted account")
    [record] = json.loads(client.get("/moderation/export.json").get_data(as_text=True))
    assert (record["moderated_by"], record["responded_by"]) == ("Deleted account", "Deleted account")
    assert "Gina" not in exported and row["moderated_at"] and row["responded_at"]


def test_events_of_accounts_deleted_before_the_labels_were_scrubbed_show_no_name(client, document, author, login_as):
    """Events written before deletion scrubbed the label keep the name in the database; the page never shows it.
    An event made on the command line has no account either, and still says so."""
    comment = make_comment(author, document)
    rows = [("Old Moderator <old.moderator@example.org>", "approved"), ("command line", "rejected")]
    db.session.execute(
        insert(ModerationEvent),
        [{"comment_id": comment.id, "actor_id": None, "actor_label": label, "field": "status",
          "from_value": "pending", "to_value": to, "reason": ""} for label, to in rows],
    )  # fmt: skip
    db.session.commit()
    login_as("moderator")
    page = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    assert "<td>Deleted account</td>" in page and "<td>command line</td>" in page
    assert "Old Moderator" not in page and "old.moderator" not in page


def test_role_changes_are_in_the_audit_trail(app_context, client, login_as, runner):
    admin = login_as("admin")
    target = make_user("reviewer")
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "moderator"}).status_code == 302
    db.session.expire_all()  # the command runs in this test's session, which still holds the old role
    assert runner.invoke(args=["users", "set-role", target.email, "admin"]).exit_code == 0
    trail = [
        (e.field, e.from_value, e.to_value, e.actor_id, e.actor_label, e.subject_user_id)
        for e in db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id))
    ]
    assert trail[0][:4] == ("role", "reviewer", "moderator", admin.id)
    assert trail[1][:5] == ("role", "moderator", "admin", None, "command line")
    assert {row[5] for row in trail} == {target.id}


def test_moderators_see_the_queue_count_in_the_header(app, client, document, author, login_as):
    make_comment(author, document)
    make_comment(author, document)
    reviewer_client = app.test_client()
    reviewer = make_user("reviewer")
    reviewer_client.post("/auth/login", data={"email": reviewer.email, "password": DEFAULT_PASSWORD})
    assert "comments waiting" not in reviewer_client.get("/").get_data(as_text=True)
    login_as("moderator")
    assert '<span class="badge">2<span class="visually-hidden"> comments waiting' in client.get("/").get_data(
        as_text=True
    )


def test_the_unfiltered_queue_counts_once_and_a_filtered_one_keeps_the_whole_count_in_the_header(
    app, client, document, author, login_as
):
    from tests.functional.test_read_path import counted_queries

    login_as("moderator")
    make_comment(author, document, body="About small areas")
    make_comment(author, document, body="About something else")
    with counted_queries(app) as unfiltered:
        html = client.get("/moderation/").get_data(as_text=True)
    assert "2 comments awaiting moderation" in html and '<span class="badge">2<span class="visually-hidden">' in html
    assert sum("count(" in statement.lower() for statement in unfiltered) == 1, unfiltered

    html = client.get("/moderation/?q=small").get_data(as_text=True)
    assert "1 comment awaiting moderation" in html and '<span class="badge">2<span class="visually-hidden">' in html


@pytest.mark.parametrize("value", ["²", "99999999999", "-1", "1e3", " 1"])
def test_bulk_ids_that_cannot_be_ids_are_400(client, document, author, login_as, value):
    login_as("moderator")
    comment = make_comment(author, document)
    response = client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": [str(comment.id), value]})
    assert response.status_code == 400
    assert fresh(comment).status == "pending"
