"""The reading pages in French and Russian: the home page, a document, a section, an older version with its
differences, the privacy notice and the feeds speak the reader's language, with plurals in each language's forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask import render_template_string

from consult_app.extensions import db
from consult_app.services.counts import SectionCount
from consult_app.services.guidance import load_guidance
from tests.factories import (
    SECOND_VERSION_SECTIONS,
    make_comment,
    make_document,
    make_user,
    session_token_for,
    sign_in_with,
    write_guidance,
)

DOCUMENT = "/guidance/test-guidance/"
SECTION = "/guidance/test-guidance/introduction/"
OLDER = "/guidance/test-guidance/v1/"
DETAILS = (
    "organiser: Data Ethics Workstream\n"
    "contact: questions@example.org\n"
    "why: Models now help make official statistics.\n"
    "how_responses_are_used: The drafting team answers every comment.\n"
    "what_happens_next: A summary of responses.\n"
    "timeline:\n"
    "  - date: 2020-01-01\n    step: Consultation opens\n"
    "  - date: 2999-06\n    step: Summary published\n"
)


class _MainText(HTMLParser):
    """The text a reader sees in <main>, with attributes read aloud (aria-label, title)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        if self.depth:
            self.parts += [value for name, value in attrs if name in ("aria-label", "title", "alt") and value]

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def main_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def consultation(app_context, tmp_path):
    """Version 2 of the test document, open, with details; published comments in a margin and under the text,
    a comment on the section version 2 removed, and a reviewer whose comment awaits moderation."""
    now = datetime.now(UTC)
    document = make_document(tmp_path, opens=now - timedelta(days=3), closes=now + timedelta(days=21), details=DETAILS)
    author = make_user()
    make_comment(author, document, "public-good", status="approved")
    load_guidance([write_guidance(tmp_path, sections=SECOND_VERSION_SECTIONS, details=DETAILS)])
    db.session.commit()
    for quote in ("Why this guidance exists.", "Why this guidance exists.", ""):
        make_comment(author, document, "introduction", status="approved", quote=quote)
    reviewer = make_user()
    make_comment(reviewer, document, "introduction", status="pending")
    return {"reviewer": reviewer}


def page(client, path: str, language: str) -> str:
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    return html


# Words of the reading pages (not of the guidance or its comments), per page: shown in English, gone in the others.
ENGLISH = {
    "/": [
        "Guidance under consultation",
        "Read the draft guidance",
        "Who is asking",
        "Next step",
        "About this consultation",
    ],
    DOCUMENT: [
        "Draft guidance",
        "Run by",
        "Why we are consulting",
        "How your personal data are handled",
        "Timeline",
        "Contents",
        "(3 comments)",
        "(0 comments)",
        "2 comments on paragraph 1",
        "Read section 1 on its own page",
        "Back to contents",
        "Earlier versions",
        "Sections removed in later versions",
        "removed in version 2",
        "Its comments stay part of the consultation",
    ],
    SECTION: [
        "Anyone can comment on a passage",
        "Text of section 1",
        "on paragraph 1",
        "2 comments on passages are shown beside the text they quote",
        "Comment on this section",
        "to comment on this section",
        "Next section",
    ],
    OLDER: [
        "loaded",
        "This is an older version",
        "What changed in version 2",
        "3 sections changed, added or removed; 1 unchanged",
        "struck through",
        "Changes to section Introduction",
        "Removed line:",
        "[added:",
        "New section",
        "Read section 1 in the current version",
        "Unchanged in version 2",
    ],
    "/privacy": [
        "Privacy notice",
        "Who is responsible",
        "What we keep",
        "Your account:",
        "Who sees it",
        "once approved",
        '"Anonymous reviewer"',
        "How long we keep it",
        "24 months",
        '"Deleted account"',
        "Your rights, and how to use them",
        "Complain:",
    ],
}
SIGNED_IN = [
    "To comment on a passage",
    "Comment on this paragraph",
    "Not shown to readers: 1 of yours awaiting moderation",
    "Every comment is read by a moderator",
]
# A few of the same places in the reader's language.
TRANSLATED = {
    "fr": {
        DOCUMENT: ["Sommaire", "(3 commentaires)", "(0 commentaire)", "2 commentaires sur le paragraphe 1"],
        SECTION: ["2 commentaires portant sur des passages sont affichés à côté du texte qu’ils citent."],
        OLDER: ["3 sections modifiées, ajoutées ou supprimées ; 1 sans changement."],
        "/privacy": ["pendant 24 mois", "« Participant anonyme »"],
    },
    "ru": {
        DOCUMENT: ["Содержание", "(3 комментария)", "(0 комментариев)", "2 комментария к абзацу 1"],
        SECTION: ["2 комментария к фрагментам текста показаны рядом с цитируемыми местами."],
        OLDER: ["3 раздела изменены, добавлены или удалены; без изменений: 1."],
        "/privacy": ["входить 24 месяца", "«Анонимный участник»"],
    },
}


def test_in_english_the_pages_say_what_the_other_languages_must_not(client, consultation):
    for path, phrases in ENGLISH.items():
        text = main_text(page(client, path, "en"))
        assert [phrase for phrase in phrases if phrase not in text] == [], path
    sign_in_with(client, session_token_for(consultation["reviewer"]))
    text = main_text(page(client, SECTION, "en"))
    assert [phrase for phrase in SIGNED_IN if phrase not in text] == []


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_the_reading_pages_speak_the_readers_language(client, consultation, language):
    for path, phrases in ENGLISH.items():
        text = main_text(page(client, path, language))
        assert [phrase for phrase in phrases if phrase in text] == [], path
        assert [phrase for phrase in TRANSLATED[language].get(path, []) if phrase not in text] == [], path
    sign_in_with(client, session_token_for(consultation["reviewer"]))
    text = main_text(page(client, SECTION, language))
    assert [phrase for phrase in SIGNED_IN if phrase in text] == []


@pytest.mark.parametrize(
    ("language", "closed", "current"),
    [
        ("fr", "La consultation a été close le", "Ceci est la version actuelle."),
        ("ru", "Обсуждение завершено", "Это текущая версия."),
    ],
)
def test_a_closed_consultation_and_the_current_version_are_announced_in_the_language(
    client, app_context, tmp_path, language, closed, current
):
    now = datetime.now(UTC)
    make_document(tmp_path, opens=now - timedelta(days=30), closes=now - timedelta(days=1))
    assert closed in main_text(page(client, SECTION, language))
    assert current in main_text(page(client, "/guidance/test-guidance/v1/", language))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            {
                0: "(0 комментариев)",
                1: "(1 комментарий)",
                2: "(2 комментария)",
                5: "(5 комментариев)",
                21: "(21 комментарий)",
            },
        ),
        (
            "fr",
            {
                0: "(0 commentaire)",
                1: "(1 commentaire)",
                2: "(2 commentaires)",
                5: "(5 commentaires)",
                21: "(21 commentaires)",
            },
        ),
        ("en", {0: "(0 comments)", 1: "(1 comment)", 2: "(2 comments)", 5: "(5 comments)", 21: "(21 comments)"}),
    ],
)
def test_comment_counts_take_each_languages_plural_forms(app, language, expected):
    counts = "".join(f"{{{{ comment_count(SectionCount(published={n})) }}}}" for n in expected)
    source = '{% from "reading/_count.html" import comment_count %}' + counts
    with app.test_request_context("/", headers={"Accept-Language": language}):
        html = render_template_string(source, SectionCount=SectionCount)
    shown = re.findall(r'data-published="\d+">(\([^<]*\))</span>', html)
    assert shown == list(expected.values())


def test_unpublished_counts_are_worded_in_russian(app):
    source = '{% from "reading/_count.html" import unpublished %}{{ unpublished(count) }}'
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        staff = render_template_string(source, count=SectionCount(awaiting=2, private=5))
        author = render_template_string(source, count=SectionCount(awaiting=21, own=True))
    assert ">2 ожидают модерации, 5 конфиденциальных<" in staff
    assert ">21 ваш ожидает модерации<" in author


@pytest.mark.parametrize(
    ("language", "title", "change"),
    [
        ("fr", "Test guidance : versions", "1. Introduction : modifiée"),
        ("ru", "Test guidance: версии", "1. Introduction: изменён"),
    ],
)
def test_feeds_are_in_the_readers_language_and_say_so(client, consultation, language, title, change):
    response = client.get(f"{DOCUMENT}versions.atom", headers={"Accept-Language": language})
    body = response.get_data(as_text=True)
    assert f'xml:lang="{language}"' in body and f"<title>{title}</title>" in body and change in body
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    responses = client.get(f"{DOCUMENT}responses.atom", headers={"Accept-Language": language})
    assert f'xml:lang="{language}"' in responses.get_data(as_text=True)


def test_a_missing_document_is_explained_in_the_language(client, app_context):
    response = client.get("/guidance/no-such-thing/", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Il n’existe aucunes lignes directrices nommées « no-such-thing »." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Suite donnée : Pris en note", "Le commentaire :", "Synthèse des réponses"]),
        ("ru", ["Решение: ", "Комментарий:", "Сводка ответов"]),
    ],
)
def test_published_responses_are_introduced_in_the_language(client, app_context, tmp_path, language, words):
    from consult_app.services import moderation

    document = make_document(tmp_path)
    comment = make_comment(make_user(), document, status="approved", body="Text of the comment.")
    moderation.set_disposition(make_user("moderator"), comment, "noted", "Thank you.")
    document.responses_published_at = datetime.now(UTC)
    db.session.commit()
    feed = client.get(f"{DOCUMENT}responses.atom", headers={"Accept-Language": language}).get_data(as_text=True)
    shown = feed + main_text(page(client, DOCUMENT, language))
    assert [word for word in words if word not in shown] == []
    assert "Disposition:" not in feed and "The comment:" not in feed
