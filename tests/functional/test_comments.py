"""Writing, quoting, replying to, editing and withdrawing comments, and who sees what."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, User
from consult_app.services.guidance import load_guidance
from tests.factories import DEFAULT_PASSWORD, make_comment, make_document, make_user, write_guidance
from tests.markup import dangerous_markup

SECTION = "/guidance/test-guidance/public-good/"
FORM = {
    "body": "This section should mention *small areas*.",
    "kind": "suggestion",
    "quote": "",
    "publication": "public_named",
}


def comments_in_db() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_reviewer_quotes_comments_sees_it_pending_and_edits_it(client, document, login_as):
    author = login_as("reviewer")
    response = client.post(SECTION, data={**FORM, "quote": "serve the   public."})
    assert response.status_code == 302
    [comment] = comments_in_db()
    assert response.headers["Location"].endswith(f"{SECTION}#{comment.reference}")
    assert comment.reference == f"C-{comment.id:06d}"
    assert (comment.status, comment.kind, comment.quote) == ("pending", "suggestion", "serve the public.")
    assert comment.author_id == author.id and comment.section_key == "public-good"
    assert comment.body_html == "<p>This section should mention <em>small areas</em>.</p>"
    page = html_of(client.get(SECTION))
    assert "Awaiting moderation." in page and comment.reference in page
    edited = client.post(f"/comments/{comment.id}/edit", data={**FORM, "body": "Changed my mind."})
    assert edited.status_code == 302
    assert comments_in_db()[0].body_md == "Changed my mind."


def test_nobody_else_sees_a_pending_comment(app, client, document, login_as):
    author = make_user("reviewer")
    make_comment(author, document, body="Secret until approved")
    for role in ("anonymous", "reviewer", "moderator", "admin"):
        other = app.test_client()
        if role != "anonymous":
            user = make_user(role)
            other.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
        assert "Secret until approved" not in html_of(other.get(SECTION)), role
        assert "Secret until approved" not in html_of(other.get("/guidance/test-guidance/")), role


def test_preview_shows_the_rendered_comment_and_saves_nothing(client, document, login_as):
    login_as("reviewer")
    response = client.post(SECTION, data={**FORM, "preview": "1"})
    assert response.status_code == 200
    assert "<em>small areas</em>" in html_of(response) and "It has not been sent yet." in html_of(response)
    assert comments_in_db() == []


def test_withdraw_own_pending_comment(client, document, login_as):
    login_as("reviewer")
    client.post(SECTION, data=FORM)
    [comment] = comments_in_db()
    assert client.post(f"/comments/{comment.id}/withdraw").status_code == 302
    assert comments_in_db()[0].status == "withdrawn"
    assert f'id="{comment.reference}"' not in html_of(client.get(SECTION))
    assert client.post(f"/comments/{comment.id}/withdraw").status_code == 404  # withdrawn: nobody sees it


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": ""}, "Write your comment."),
        ({"body": "   \n  "}, "Write your comment."),
        ({"body": "x" * 10_001}, "Use at most 10,000 characters."),
        ({"kind": "rant"}, "Not a valid choice"),
        ({"publication": "everyone"}, "Not a valid choice"),
        ({"quote": "words that are not in the section"}, "The quoted passage is not in this section."),
        ({"quote": "q" * 2001}, "Quote at most 2,000 characters."),
    ],
)
def test_bad_comments_are_refused_with_a_message(client, document, login_as, changes, message):
    login_as("reviewer")
    response = client.post(SECTION, data={**FORM, **changes})
    assert response.status_code == 400
    assert message in html_of(response)
    assert comments_in_db() == []


def test_posting_to_a_missing_section_or_document_is_404(client, document, login_as):
    login_as("reviewer")
    assert client.post("/guidance/test-guidance/nowhere/", data=FORM).status_code == 404
    assert client.post("/guidance/nothing/public-good/", data=FORM).status_code == 404
    assert comments_in_db() == []


@pytest.mark.parametrize("role", ["anonymous", "deactivated"])
def test_posting_without_an_active_account_is_refused(client, document, login_as, role):
    login_as(role)
    response = client.post(SECTION, data=FORM)
    assert response.status_code == 403
    assert comments_in_db() == []


@pytest.mark.parametrize(
    ("opens", "closes", "words"),
    [(2, 30, "Comments open on"), (-30, -1, "The consultation closed on")],
)
def test_outside_the_window_the_page_says_so_and_posts_are_refused(
    client, app_context, tmp_path, login_as, opens, closes, words
):
    now = datetime.now(UTC)
    make_document(tmp_path, opens=now + timedelta(days=opens), closes=now + timedelta(days=closes))
    login_as("reviewer")
    page = html_of(client.get(SECTION))
    assert words in page and 'name="body"' not in page
    forged = client.post(SECTION, data=FORM)
    assert forged.status_code == 403
    assert comments_in_db() == []


def test_replies_go_under_approved_comments_one_level_deep(client, document, login_as):
    login_as("reviewer")
    author = make_user("reviewer")
    approved = make_comment(author, document, status="approved")
    pending = make_comment(author, document)
    other_section = make_comment(author, document, key="introduction", status="approved")
    assert client.post(SECTION, data={**FORM, "parent_id": approved.id}).status_code == 302
    reply = comments_in_db()[-1]
    assert reply.parent_id == approved.id
    reply.status = "approved"
    db.session.commit()
    for parent in (pending.id, other_section.id, reply.id, 999999):
        response = client.post(SECTION, data={**FORM, "parent_id": parent})
        assert response.status_code == 400, parent
    assert client.post(SECTION, data={**FORM, "parent_id": "abc"}).status_code == 400
    assert len(comments_in_db()) == 4
    page = html_of(client.get(SECTION))
    assert f'aria-label="Replies to {approved.reference}"' in page


def test_cannot_edit_or_withdraw_someone_elses_or_a_decided_comment(client, document, login_as):
    login_as("reviewer")
    stranger = make_user("reviewer")
    theirs = make_comment(stranger, document)
    assert client.get(f"/comments/{theirs.id}/edit").status_code == 404
    assert client.post(f"/comments/{theirs.id}/edit", data=FORM).status_code == 404
    assert client.post(f"/comments/{theirs.id}/withdraw").status_code == 404
    client.post(SECTION, data=FORM)
    mine = comments_in_db()[-1]
    mine.status = "approved"
    db.session.commit()
    assert client.post(f"/comments/{mine.id}/edit", data={**FORM, "body": "sneaky"}).status_code == 409
    assert client.post(f"/comments/{mine.id}/withdraw").status_code == 409
    assert [c.body_md for c in comments_in_db()] == ["A thoughtful comment.", FORM["body"]]
    assert {c.status for c in comments_in_db()} == {"pending", "approved"}


def test_visibility_of_every_publication_choice(app, client, document):
    author = make_user(
        "reviewer", name="Grace Hopper", organisation="Navy Statistics", respondent_type="other_government"
    )
    named = make_comment(author, document, status="approved", body="Named words")
    anonymous = make_comment(author, document, status="approved", publication="public_anonymous", body="Anon words")
    private = make_comment(author, document, status="approved", publication="private", body="Private words")
    rejected = make_comment(author, document, status="rejected", body="Rejected words")
    page = html_of(client.get(SECTION))
    assert "Named words" in page and "Grace Hopper" in page and "Navy Statistics" in page
    anonymous_html = page[page.index(f'id="{anonymous.reference}"') :]
    assert "Anonymous reviewer" in anonymous_html and "Other government body" in anonymous_html
    assert "Grace Hopper" not in anonymous_html[: anonymous_html.index("</article>")]
    assert "Private words" not in page and "Rejected words" not in page
    contents = html_of(client.get("/guidance/test-guidance/"))
    assert "(2 comments)" in contents  # named + anonymous, not private
    assert named.reference in page
    moderator = make_user("moderator")
    mod_client = app.test_client()
    mod_client.post("/auth/login", data={"email": moderator.email, "password": DEFAULT_PASSWORD})
    mod_page = html_of(mod_client.get(SECTION))
    assert "Private words" in mod_page and "Rejected words" not in mod_page
    author_client = app.test_client()
    author_client.post("/auth/login", data={"email": author.email, "password": DEFAULT_PASSWORD})
    own = html_of(author_client.get(SECTION))
    assert "Private words" in own and "Rejected words" in own and "Not published." in own
    assert private.reference in own and rejected.reference in own


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"><circle/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=//evil.example>",
    "<b onmouseover=alert(1)>unclosed",
    '"><script>alert(1)</script>',
    "![x](javascript:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_is_shown_as_harmless_text_everywhere(client, document, payload):
    author = make_user("reviewer", name=payload[:100], organisation=payload[:200])
    comment = make_comment(author, document, status="approved", body=payload)
    assert dangerous_markup(comment.body_html, allowed_tags=frozenset()) == []
    for url in (SECTION, "/guidance/test-guidance/"):
        page = html_of(client.get(url))
        assert dangerous_markup(page) == [], url
        assert page.count("<script") == 1  # only our own static file (comments.js; contents.js on the document)
        assert re.search(r'<script src="/static/(comments|contents)\.js[^"]*" defer></script>', page), url


def test_links_in_comments_are_nofollow_and_only_safe_schemes(client, document):
    author = make_user("reviewer")
    make_comment(
        author,
        document,
        status="approved",
        body="See [the report](https://example.org/r) or mail [us](mailto:a@example.org) or ftp://x.example",
    )
    page = html_of(client.get(SECTION))
    assert '<a href="https://example.org/r" rel="nofollow noopener">the report</a>' in page
    assert '<a href="mailto:a@example.org" rel="nofollow noopener">us</a>' in page
    assert 'href="ftp://' not in page


def test_a_comment_on_an_older_version_says_so(client, document, tmp_path):
    author = make_user("reviewer")
    old = make_comment(author, document, status="approved", body="On the first version")
    load_guidance(
        [
            write_guidance(
                tmp_path,
                "v2.md",
                sections=[
                    ("Introduction {#introduction}", "Rewritten."),
                    ("Public good {#public-good}", "Statistics should serve *everyone*."),
                ],
            )
        ]
    )
    db.session.commit()
    page = html_of(client.get(SECTION))
    assert old.reference in page
    assert 'Written on <a href="/guidance/test-guidance/v1/#public-good">version 1</a>' in page


def test_reloading_keeps_comments_of_removed_sections(client, document, tmp_path):
    author = make_user("reviewer")
    kept = make_comment(author, document, key="bias-and-fairness", status="approved", body="Orphaned words")
    load_guidance([write_guidance(tmp_path, "v2.md", sections=[("Public good {#public-good}", "New text.")])])
    db.session.commit()
    assert db.session.get(Comment, kept.id).section_key == "bias-and-fairness"
    contents = html_of(client.get("/guidance/test-guidance/"))
    assert "Sections removed in later versions" in contents
    assert "“Bias and fairness”, removed in version 2" in contents and "Orphaned words" in contents
    assert client.get("/guidance/test-guidance/bias-and-fairness/").status_code == 404


def test_account_page_lists_own_comments_with_status(client, document, login_as):
    author = login_as("reviewer")
    client.post(SECTION, data=FORM)
    page = html_of(client.get("/account/"))
    assert "Awaiting moderation" in page and comments_in_db()[0].reference in page
    data = client.get("/account/data.json").get_json()
    assert data["comments"][0]["comment"] == FORM["body"] and author.email == data["account"]["email"]


def test_deleting_an_account_keeps_comments_as_deleted_account(client, document, login_as):
    author = login_as("reviewer")
    approved = make_comment(db.session.get(User, author.id), document, status="approved", body="Stays")
    pending = make_comment(db.session.get(User, author.id), document, body="Goes")
    assert client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, author.id) is None
    assert db.session.get(Comment, approved.id).author_id is None
    assert db.session.get(Comment, pending.id).status == "withdrawn"
    page = html_of(client.get(SECTION))
    assert "Deleted account" in page and "Stays" in page and "Goes" not in page
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 2


def test_posting_is_rate_limited(database_url, app, document):
    from tests.conftest import make_app

    limited = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    user = make_user("reviewer")
    client = limited.test_client()
    client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    statuses = [client.post(SECTION, data={**FORM, "body": f"Comment {n}"}).status_code for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert len(comments_in_db()) == 10


@pytest.mark.parametrize(
    "url",
    [
        "/comments/99999999999/edit",
        "/comments/2147483648/reply",
        "/guidance/test-guidance/v99999999999/",
        "/moderation/comments/99999999999",
    ],
)
def test_numbers_too_large_for_the_database_are_404(client, document, login_as, url):
    login_as("admin")
    assert client.get(url).status_code == 404


def test_a_reply_to_an_impossible_parent_is_400(client, document, login_as):
    login_as("reviewer")
    assert client.post(SECTION, data={**FORM, "parent_id": "99999999999"}).status_code == 400
    assert client.post(SECTION, data={**FORM, "parent_id": "2147483647"}).status_code == 400
    assert comments_in_db() == []
