"""The summary of responses: who may see it when, what it never shows, and its Word document."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Document
from consult_app.services import moderation, summary, themes
from consult_app.services.summary_docx import MIMETYPE, xml_safe
from tests.corpora import naughty_strings, xss_vectors
from tests.factories import make_comment, make_document, make_user
from tests.markup import dangerous_markup

PRIVATE_TEXT = "Only the drafting team may read this private remark"
SUMMARY = "/guidance/test-guidance/responses/"
DOCX = "/guidance/test-guidance/responses.docx"


@pytest.fixture
def responses(app_context, tmp_path):
    """Comments in every publication choice and status on the test document, answered and tagged."""
    document = make_document(tmp_path)
    moderator = make_user("moderator", name="Mo Derator")
    named = make_user("reviewer", name="Nora Named", organisation="Named Org", country="Norway")
    anonymous = make_user(
        "reviewer", name="Anna Hidden", organisation="Hidden Org", respondent_type="academia_research", country="Chile"
    )
    private = make_user("reviewer", name="Pat Secret", organisation="Secret Org", country="Chile")
    said = make_comment(named, document, key="public-good", status="approved", body="Add *small areas*.")
    hidden = make_comment(anonymous, document, key="public-good", status="approved", publication="public_anonymous",
                          body="Say who is accountable.", quote="serve the public.")  # fmt: skip
    secret = make_comment(private, document, key="public-good", status="approved", publication="private",
                          body=PRIVATE_TEXT)  # fmt: skip
    reply = make_comment(named, document, key="public-good", status="approved", parent_id=said.id, body="And more.")
    make_comment(named, document, key="introduction", body="Still pending, not a response yet")
    make_comment(named, document, key="introduction", status="rejected", body="Rejected spam")
    moderation.set_disposition(moderator, said, "accepted", "Done in version 2.")
    moderation.set_disposition(moderator, secret, "noted", "Answered privately.")
    quality = themes.create_theme(moderator, document, "Data quality")
    themes.tag([said.id, hidden.id, secret.id], [quality.id], moderator)
    db.session.commit()
    return {"document": document, "said": said, "hidden": hidden, "secret": secret, "reply": reply}


def publish(client) -> None:
    response = client.post(f"{SUMMARY}publication", data={"publish": "1"})
    assert response.status_code == 302 and response.headers["Location"] == SUMMARY


def word_text(data: bytes) -> tuple[list[tuple[str, str]], str]:
    """(style, text) of every paragraph outside tables, and all the text, tables included."""
    document = docx.Document(io.BytesIO(data))
    paragraphs = [(paragraph.style.name, paragraph.text) for paragraph in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return paragraphs, "\n".join([text for _, text in paragraphs] + cells)


@pytest.mark.parametrize("role", ["anonymous", "reviewer"])
def test_unpublished_summary_is_404_for_all_but_staff(client, responses, login_as, role):
    login_as(role)
    assert client.get(SUMMARY).status_code == 404
    assert client.get(DOCX).status_code == 404
    assert client.post(f"{SUMMARY}publication", data={"publish": "1"}).status_code in (302, 403)
    assert db.session.scalar(select(Document.responses_published_at)) is None


def test_moderators_preview_then_publish_and_everyone_reads_it(app, client, responses, login_as):
    login_as("moderator")
    preview = client.get(SUMMARY).get_data(as_text=True)
    assert "Preview: not published yet." in preview and "Publish the summary" in preview
    assert client.post(f"{SUMMARY}publication", data={"publish": "maybe"}).status_code == 400
    assert client.post("/guidance/nope/responses/publication", data={"publish": "1"}).status_code == 404
    publish(client)
    assert "Withdraw the summary" in client.get(SUMMARY).get_data(as_text=True)
    visitor = app.test_client()
    page = visitor.get(SUMMARY)
    assert page.status_code == 200 and "Published " in page.get_data(as_text=True)
    assert "Publish the summary" not in page.get_data(as_text=True)
    assert visitor.get(DOCX).status_code == 200
    assert client.post(f"{SUMMARY}publication", data={"publish": "0"}).status_code == 302
    assert visitor.get(SUMMARY).status_code == 404


def test_the_summary_counts_private_comments_but_never_quotes_them_nor_names_the_anonymous(client, responses, login_as):
    login_as("moderator")
    html = client.get(SUMMARY).get_data(as_text=True)
    _, word = word_text(client.get(DOCX).data)
    for text in (html, word):
        for never in (PRIVATE_TEXT, "Answered privately.", "Pat Secret", "Secret Org", "Anna Hidden", "Hidden Org"):
            assert never not in text, never
        for pending in ("Still pending", "Rejected spam"):
            assert pending not in text
        assert "Anonymous reviewer, Academia or research" in text
        assert "Nora Named, Named Org" in text and "Done in version 2." in text
        assert "4 comments from 3 people." in text
        assert "4 comments, of which 1 private (counted, not quoted)." in text
    assert dangerous_markup(html) == []
    assert f'href="http://localhost/guidance/test-guidance/public-good/#{responses["said"].reference}"' in html


def test_who_responded_counts_people_and_comments_by_type_and_country(responses):
    built = summary.build_summary(responses["document"])
    assert [(t.label, t.people, t.comments) for t in built.by_type] == [
        ("National statistics office", 2, 3),
        ("Academia or research", 1, 1),
    ]
    assert [(t.label, t.people, t.comments) for t in built.by_country] == [("Chile", 2, 2), ("Norway", 1, 2)]
    public_good = next(section for section in built.sections if section.key == "public-good")
    assert public_good.themes == [("Data quality", 3)]  # the private comment counts here too
    assert [quoted.reference for quoted in public_good.quoted] == [
        responses[name].reference for name in ("said", "hidden", "reply")
    ]


def test_the_word_document_round_trips_headings_and_counts(client, responses, login_as):
    login_as("moderator")
    response = client.get(DOCX)
    assert response.status_code == 200 and response.mimetype == MIMETYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="test-guidance-summary-of-responses.docx"'
    paragraphs, _ = word_text(response.data)
    headings = [(style, text) for style, text in paragraphs if style == "Title" or style.startswith("Heading")]
    assert headings == [
        ("Title", "Summary of responses: Test guidance"),
        ("Heading 1", "Who responded"),
        ("Heading 1", "1. Introduction"),
        ("Heading 1", "2. Public good"),
        ("Heading 2", "Main themes"),
        ("Heading 2", "You said, we did"),
        ("Heading 1", "3. Bias and fairness"),
    ]
    document = docx.Document(io.BytesIO(response.data))
    by_type, by_country, main_themes, said = ([[c.text for c in row.cells] for row in t.rows] for t in document.tables)
    assert by_type == [["Respondent type", "People", "Comments"], ["National statistics office", "2", "3"],
                       ["Academia or research", "1", "1"]]  # fmt: skip
    assert by_country[1:] == [["Chile", "2", "2"], ["Norway", "1", "2"]]
    assert main_themes == [["Theme", "Comments"], ["Data quality", "3"]]
    assert said[0] == ["You said", "We did"] and said[1][1] == "Accepted\nDone in version 2."
    assert said[2][0].startswith(f"{responses['hidden'].reference} Anonymous reviewer, Academia or research")
    assert "“serve the public.”" in said[2][0] and said[2][1] == "No response yet"
    assert said[3][0].startswith(f"{responses['reply'].reference} Nora Named") and "In reply to" in said[3][0]
    # The reference is a real link in Word, to the comment on its section page.
    assert any(rel.reltype.endswith("/hyperlink") and rel.target_ref.endswith(f"#{responses['said'].reference}")
               for rel in document.part.rels.values())  # fmt: skip


def test_hostile_text_is_held_literally_in_the_word_document(app, client, login_as, tmp_path):
    """Every XSS vector and naughty string, as comment text and as a response: the DOCX opens and holds each one
    as it is, except characters XML cannot hold, which become U+FFFD."""
    with app.app_context():
        document = make_document(tmp_path)
        author, moderator = make_user("reviewer"), make_user("moderator")
        strings = [s for s in [*xss_vectors(), *naughty_strings()] if "\x00" not in s and s.strip()]
        chunks, chunk = [], ""
        for string in strings:
            if len(chunk) + len(string) > 9_000:
                chunks.append(chunk)
                chunk = ""
            chunk += string + "\n"
        chunks.append(chunk)
        for body in chunks:
            comment = make_comment(author, document, status="approved", body=body)
            moderation.set_disposition(moderator, comment, "noted", body)
        db.session.commit()
    login_as("moderator")
    response = client.get(DOCX)
    assert response.status_code == 200
    _, text = word_text(response.data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    missing = [s for s in strings if xml_safe(s).strip().replace("\r\n", "\n").replace("\r", "\n") not in text]
    assert missing == []
    assert "\ufffd" in text  # the corpora hold control characters: they were replaced, not dropped


def test_the_document_page_links_to_the_summary_once_published(app, client, responses, login_as):
    visitor = app.test_client()
    assert SUMMARY not in visitor.get("/guidance/test-guidance/").get_data(as_text=True)
    login_as("moderator")
    publish(client)
    assert f'href="{SUMMARY}"' in visitor.get("/guidance/test-guidance/").get_data(as_text=True)
