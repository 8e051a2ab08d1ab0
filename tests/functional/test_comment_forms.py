"""The comment, reply and edit forms: nothing preselected, answers shown where the form is (a whole page without
script, a fragment for comments.js), replies that keep their context, and the margins of the reading pages."""

from __future__ import annotations

import re

import pytest

from consult_app.comments.panels import FRAGMENT_HEADER
from consult_app.extensions import db
from consult_app.models import User
from tests.factories import make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"
INTRODUCTION = "/guidance/test-guidance/introduction/"
FORM = {"body": "Say who decides.", "kind": "suggestion", "quote": "", "publication": "public_named"}
FETCH = {FRAGMENT_HEADER: "1"}


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_no_choice_is_made_for_the_reviewer_and_each_choice_says_what_it_means(client, document, login_as):
    login_as("reviewer")
    page = html_of(client.get(SECTION))
    assert 'type="radio"' in page
    assert "checked" not in page
    assert "You propose different or added wording." in page  # the kind's hint
    assert "Never published. Only the moderators and the drafting team read it." in page


def test_an_unchosen_send_names_each_missing_choice_and_keeps_the_text(client, document, login_as):
    login_as("reviewer")
    response = client.post(SECTION, data={"body": "Kept after the error.", "quote": ""})
    assert response.status_code == 400
    page = html_of(response)
    summary = page[page.index('class="error-summary"') :]
    # Each message links to its group of choices.
    assert '<a href="#kind">Choose what kind of comment this is.</a>' in summary
    assert 'id="kind"' in page and 'id="publication"' in page
    assert '<a href="#publication">Choose who may read your comment.</a>' in summary
    assert "Kept after the error." in page
    assert re.search(r'class="error-summary"[^>]*data-focus autofocus', page), "the summary takes the focus"


def test_fetch_gets_the_form_box_alone_with_the_errors_preview_or_thanks(client, document, login_as):
    login_as("reviewer")
    errors = client.post(SECTION, data={**FORM, "body": ""}, headers=FETCH)
    assert errors.status_code == 400
    assert errors.headers[FRAGMENT_HEADER] == "1"
    assert FRAGMENT_HEADER in errors.headers["Vary"]
    box = html_of(errors)
    assert box.startswith('<div class="form-panel" id="comment-panel" data-form-panel>')
    assert "<html" not in box and "Write your comment." in box

    preview = html_of(client.post(SECTION, data={**FORM, "preview": "1"}, headers=FETCH))
    assert 'id="comment-panel-preview" data-focus autofocus' in preview
    assert "Say who decides." in preview

    sent = client.post(SECTION, data=FORM, headers=FETCH)
    assert sent.status_code == 200, "no redirect: the thanks replace the form where it is"
    thanks = html_of(sent)
    assert re.search(r'role="status" tabindex="-1" data-focus>Thank you\. Your comment C-\d{6} is awaiting', thanks)
    assert "Say who decides." in thanks


def test_without_script_a_send_still_redirects_to_the_comment(client, document, login_as):
    login_as("reviewer")
    response = client.post(SECTION, data=FORM)
    assert response.status_code == 302
    assert re.search(r"/public-good/#C-\d{6}$", response.headers["Location"])


@pytest.fixture
def published(document):
    author = make_user("reviewer", name="Ada Author")
    return make_comment(author, document, status="approved", quote="serve the public.")


def test_a_reply_with_an_error_stays_on_the_reply_page_without_script(client, published, login_as):
    login_as("reviewer")
    response = client.post(SECTION, data={"body": "", "parent_id": str(published.id)})
    assert response.status_code == 400
    page = html_of(response)
    assert f"<h1>Reply to comment {published.reference}</h1>" in page
    assert "Ada Author" in page  # the comment replied to is shown again
    assert "Comment on this section" not in page
    preview = html_of(client.post(SECTION, data={**FORM, "parent_id": str(published.id), "preview": "1"}))
    assert f"<h1>Reply to comment {published.reference}</h1>" in preview and "Preview" in preview


def test_a_reply_in_place_says_which_comment_it_answers_every_time(client, published, login_as):
    login_as("reviewer")
    opened = html_of(client.get(f"/comments/{published.id}/reply", headers=FETCH))
    heading = f"Reply to comment {published.reference}</h3>"
    assert heading in opened
    assert f'id="reply-{published.id}-body"' in opened and f'for="reply-{published.id}-body"' in opened
    again = client.post(SECTION, data={"body": "", "parent_id": str(published.id)}, headers=FETCH)
    assert again.status_code == 400 and heading in html_of(again)
    sent = client.post(SECTION, data={**FORM, "parent_id": str(published.id)}, headers=FETCH)
    assert sent.status_code == 200 and "is awaiting moderation" in html_of(sent)


@pytest.mark.parametrize("parent_id", ["999999", "not-a-number", "12345678901"])
def test_an_unknown_parent_is_a_clear_400(client, published, login_as, parent_id):
    login_as("reviewer")
    response = client.post(SECTION, data={**FORM, "parent_id": parent_id})
    assert response.status_code == 400
    assert "You can only reply to a published comment on this section." in html_of(response)


def test_a_parent_on_another_section_is_refused(client, document, published, login_as):
    login_as("reviewer")
    response = client.post(INTRODUCTION, data={**FORM, "parent_id": str(published.id)})
    assert response.status_code == 400


def test_editing_answers_in_place_and_never_speaks_of_a_section_above(client, document, login_as):
    author = login_as("reviewer")
    mine = make_comment(db.session.get(User, author.id), document, body="First words.")
    page = html_of(client.get(f"/comments/{mine.id}/edit"))
    assert "section above" not in page
    assert "2. Public good" in page  # the section is named and linked instead
    preview = client.post(f"/comments/{mine.id}/edit", data={**FORM, "preview": "1"}, headers=FETCH)
    assert preview.status_code == 200 and "data-focus" in html_of(preview) and "<html" not in html_of(preview)
    saved = html_of(client.post(f"/comments/{mine.id}/edit", data=FORM, headers=FETCH))
    assert f"Your comment {mine.reference} has been changed." in saved


def margin_counts(page: str) -> list[int]:
    return [int(number) for number in re.findall(r'<span class="margin-note__count">(\d+)</span>', page)]


def test_comments_quoting_a_paragraph_are_beside_it_and_the_others_under_the_text(client, document):
    author = make_user("reviewer")
    on_paragraph = make_comment(author, document, "introduction", status="approved", quote="What   it covers.")
    unquoted = make_comment(author, document, "introduction", status="approved", body="On the whole section.")
    make_comment(author, document, "introduction", status="approved", quote="What it covers.", publication="private")
    make_comment(author, document, "introduction", status="pending", quote="What it covers.")

    page = html_of(client.get(INTRODUCTION))
    assert margin_counts(page) == [1]  # the private and the pending comment are not counted
    text, comments = page.split('id="comments-title"')
    assert f'id="{on_paragraph.reference}"' in text
    assert f'id="{unquoted.reference}"' in comments
    assert "What it covers.</mark>" in text  # the quoted passage is marked

    whole = html_of(client.get("/guidance/test-guidance/"))
    assert margin_counts(whole) == [1]
    assert f'id="{on_paragraph.reference}"' in whole
