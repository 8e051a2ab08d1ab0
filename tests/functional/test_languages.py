"""The interface in English, French and Russian (issue 18), through the Flask test client.

Which language a request gets (account, then cookie, then Accept-Language, then English; `<html lang>` says it),
the switcher in the header (a plain form: no script needed), visitors' cached pages kept apart per language,
every page type in French and Russian with no English left in its main content, Russian plurals and the
dates of each language in CONSULT_TIMEZONE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_babel import ngettext

from consult_app import http_cache
from consult_app.extensions import db
from consult_app.i18n import COOKIE, in_language
from consult_app.models import User
from consult_app.templating import local_time
from tests.factories import make_comment, make_document, make_user, session_token_for, sign_in_with
from tests.functional.test_auth import REGISTRATION

SECTION = "/guidance/test-guidance/public-good/"
DOCUMENT = "/guidance/test-guidance/"
# What the header says in each language (foundation catalogue), to tell which language a page is in.
SKIP_LINK = {"en": "Skip to main content", "fr": "Aller au contenu principal", "ru": "Перейти к основному содержанию"}
LANGUAGE_OF_PAGE = re.compile(r'<html lang="([^"]*)"')


def page_language(response) -> str:
    """The language a page says it is in, checked against the text of its skip link."""
    html = response.get_data(as_text=True)
    match = LANGUAGE_OF_PAGE.search(html)
    assert match, "no <html lang> in the page"
    language = match.group(1)
    assert SKIP_LINK[language] in html, f'<html lang="{language}"> but the skip link is not in that language'
    return language


def main_of(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r"<main\b[^>]*>(.*)</main>", html, re.DOTALL)
    assert match, "no <main> in the page"
    return spaced(match.group(1))


def text_of(html: str) -> str:
    """The text of some HTML as a reader sees it (tags out, entities in, whitespace and no-break spaces as one
    space)."""
    from html import unescape

    return spaced(" ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()))


def spaced(text: str) -> str:
    """No-break spaces (Babel's "2026 г.", a translator's "30 jours") as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


# --- which language a request gets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "en"),
        ("fr", "fr"),
        ("fr-CA,fr;q=0.9", "fr"),
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
        ("en-GB,en;q=0.9,fr;q=0.5", "en"),
        ("de-DE,de;q=0.9,ru;q=0.5", "ru"),  # German is not offered: the next choice the browser gives
        ("de,es;q=0.8", "en"),  # nothing offered: English
        ("*", "en"),
    ],
)
def test_a_visitor_gets_the_browser_s_language_else_english(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/privacy", headers=headers)
    assert response.status_code == 200
    assert page_language(response) == expected


@pytest.mark.parametrize(
    ("cookie", "accept_language", "expected"),
    [
        ("ru", "fr", "ru"),  # the switcher's choice beats the browser's
        ("fr", None, "fr"),
        ("en", "ru", "en"),
        ("de", "fr", "fr"),  # a language not offered falls through to the browser's
        ("", "ru", "ru"),
        ("fr\r\nX: y", "ru", "ru"),
    ],
)
def test_the_switcher_s_cookie_comes_before_accept_language(client, cookie, accept_language, expected):
    client.set_cookie(COOKIE, cookie)
    headers = {"Accept-Language": accept_language} if accept_language else {}
    assert page_language(client.get("/privacy", headers=headers)) == expected


@pytest.mark.parametrize(
    ("saved", "cookie", "expected"),
    [
        ("fr", "ru", "fr"),  # the account's choice beats the cookie and the browser
        ("ru", None, "ru"),
        (None, "ru", "ru"),  # no choice saved: the cookie
        (None, None, "fr"),  # nor a cookie: the browser (Accept-Language: fr below)
        ("xx", None, "fr"),  # a code the interface does not know falls through
    ],
)
def test_a_signed_in_account_s_saved_language_comes_first(app, client, saved, cookie, expected):
    with app.app_context():
        user = make_user("reviewer")
        user.language = saved
        db.session.commit()
        sign_in_with(client, session_token_for(user))
    if cookie:
        client.set_cookie(COOKIE, cookie)
    response = client.get("/account/", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert page_language(response) == expected


# --- the switcher ------------------------------------------------------------------------------------------------


def test_the_header_offers_each_language_named_in_itself_as_plain_buttons(client):
    html = client.get("/privacy", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/language"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, "no switcher form posting to /language"
    assert 'method="post"' in form.group(0)
    assert re.search(r'<input(?=[^>]*type="hidden")(?=[^>]*name="next")(?=[^>]*value="/privacy")[^>]*>', form[1])
    for code, name in (("en", "English"), ("fr", "Français")):
        button = re.search(rf"<button([^>]*)>{name}</button>", form.group(1))
        assert button, f"no button {name}"
        for attribute in ('type="submit"', 'name="language"', f'value="{code}"', f'lang="{code}"'):
            assert attribute in button.group(1), f"{name}: {attribute} missing"
    # The current language is said, not offered as a button.
    assert "<button" not in form.group(1).split("Русский")[0].rsplit("<li", 1)[-1]
    current = re.search(r"<span([^>]*)>Русский</span>", form.group(1))
    assert current and 'lang="ru"' in current.group(1) and 'aria-current="true"' in current.group(1)


@pytest.mark.parametrize("language", ["fr", "ru", "en"])
def test_the_switcher_sets_the_cookie_and_goes_back_without_script(client, language):
    response = client.post("/language", data={"language": language, "next": "/privacy"})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/privacy"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={language};") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie  # remembered, not only for this browser session
    # The browser follows the redirect with the cookie, whatever its own language.
    followed = client.get("/privacy", headers={"Accept-Language": "de"})
    assert page_language(followed) == language


@pytest.mark.parametrize(
    "next_",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        " //evil.example",
        "/privacy\r\nLocation: https://evil.example/",
        "evil.example",
        "",
    ],
)
def test_the_switcher_never_leaves_the_site(client, next_):
    response = client.post("/language", data={"language": "fr", "next": next_})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/", response.headers["Location"]


@pytest.mark.parametrize("next_", ["/guidance/test-guidance/", "/moderation/comments/?status=pending&page=2"])
def test_the_switcher_goes_back_to_any_page_of_the_site(client, next_):
    response = client.post("/language", data={"language": "fr", "next": next_})
    assert response.status_code == 303 and response.headers["Location"] in (next_, f"http://localhost{next_}")


@pytest.mark.parametrize("language", ["de", "", "FR", "fr-CA", "english", None])
def test_a_language_not_offered_is_refused(client, language):
    data = {"next": "/privacy"} if language is None else {"language": language, "next": "/privacy"}
    response = client.post("/language", data=data)
    assert response.status_code == 400
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_the_switcher_is_a_post_only(client):
    assert client.get("/language?language=fr&next=/").status_code == 405


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def csrf_app(app, database_url):
    """An app with CSRF checks on, as in production (`app` empties the tables after the test)."""
    from tests.conftest import make_app

    return make_app(database_url, WTF_CSRF_ENABLED=True)


def test_a_visitor_needs_no_csrf_token_to_switch(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/language", data={"language": "ru", "next": "/privacy"})
    assert response.status_code == 303
    assert page_language(client.get("/privacy")) == "ru"


def test_a_signed_in_account_saves_its_choice_with_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        user = make_user("reviewer")
        user_id = user.id
        sign_in_with(client, session_token_for(user))
    page = client.get("/account/", headers={"Accept-Language": "en"})
    assert page_language(page) == "en"
    # Without the token: refused, nothing saved, no cookie.
    refused = client.post("/language", data={"language": "fr", "next": "/account/"})
    assert refused.status_code == 400
    assert COOKIE not in refused.headers.get("Set-Cookie", "")
    with csrf_app.app_context():
        assert db.session.get(User, user_id).language is None
    # The switcher's own form carries the token.
    token = csrf_token_of(re.search(r'<form class="language-switcher".*?</form>', page.get_data(as_text=True), re.S)[0])
    response = client.post("/language", data={"language": "fr", "next": "/account/", "csrf_token": token})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/account/"
    assert response.headers["Cache-Control"] == "private, no-store"
    with csrf_app.app_context():
        assert db.session.get(User, user_id).language == "fr"
    # Saved on the account: another browser, in Russian, without the cookie, gets French once signed in.
    elsewhere = csrf_app.test_client()
    with csrf_app.app_context():
        sign_in_with(elsewhere, session_token_for(db.session.get(User, user_id)))
    assert page_language(elsewhere.get("/account/", headers={"Accept-Language": "ru"})) == "fr"


# --- visitors' cached pages ------------------------------------------------------------------------------------

# A word of each language that the page shows in its main content or header (foundation catalogue).
IN_LANGUAGE = {"en": "Privacy notice", "fr": "Avis de confidentialité", "ru": "Уведомление о конфиденциальности"}


# The reading pages: those kept in the visitors' page cache, under their ETag (http_cache.py).
@pytest.mark.parametrize("path", [DOCUMENT, SECTION, "/guidance/test-guidance/v1/"])
def test_visitors_cached_pages_never_leak_one_language_into_another(app, client, document, path):
    with app.app_context():
        assert http_cache.page_cache().size > 0, "the page cache is off: this test would prove nothing"
    answers = {}
    for step, language in enumerate(["en", "fr", "ru", "en", "fr", "ru"]):
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 200
        assert page_language(response) == language, f"request {step + 1} ({language}) got another language"
        body = response.get_data(as_text=True)
        assert IN_LANGUAGE[language] in body
        for other in {"en", "fr", "ru"} - {language}:
            assert IN_LANGUAGE[other] not in body, f"{other} text in the {language} page"
        vary = {part.strip() for part in response.headers.get("Vary", "").split(",")}
        assert {"Accept-Language", "Cookie"} <= vary, response.headers.get("Vary")
        assert response.headers["ETag"], "a visitor's page has an ETag"
        if language in answers:  # the second time: the same page and tag, from the cache
            assert body == answers[language][0] and response.headers["ETag"] == answers[language][1]
        answers[language] = (body, response.headers["ETag"])
    tags = {language: tag for language, (_body, tag) in answers.items()}
    assert len(set(tags.values())) == 3, f"the languages share an ETag: {tags}"
    with app.app_context():
        assert len(http_cache.page_cache()) >= 3


def test_a_tag_of_one_language_gets_the_page_in_another_not_a_304(client, document):
    english = client.get(SECTION, headers={"Accept-Language": "en"})
    french = client.get(SECTION, headers={"Accept-Language": "fr", "If-None-Match": english.headers["ETag"]})
    assert french.status_code == 200 and page_language(french) == "fr"
    # And the tag of the French page is good for the French page only.
    again = client.get(SECTION, headers={"Accept-Language": "fr", "If-None-Match": french.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(SECTION, headers={"If-None-Match": french.headers["ETag"]}).status_code == 200


def test_the_cookie_keys_the_cache_as_well_as_accept_language(client, document):
    english = client.get(SECTION, headers={"Accept-Language": "en"})
    client.set_cookie(COOKIE, "ru")
    russian = client.get(SECTION, headers={"Accept-Language": "en"})
    assert page_language(russian) == "ru" and russian.headers["ETag"] != english.headers["ETag"]
    client.delete_cookie(COOKIE)
    assert page_language(client.get(SECTION, headers={"Accept-Language": "en"})) == "en"


def test_error_pages_say_they_vary_too(client, document):
    missing = client.get("/guidance/test-guidance/no-such-section/", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and page_language(missing) == "fr"
    assert "Accept-Language" in missing.headers.get("Vary", "")


# --- every page type in French and Russian -----------------------------------------------------------------------


@dataclass(frozen=True)
class PageType:
    name: str
    role: str  # "visitor", "reviewer", "moderator" or "admin"
    path: str  # may name {pending} (the reviewer's pending comment) or {approved} (another's approved one)
    english: tuple[str, ...]  # interface strings of the English page's <main>: none may be left in fr or ru
    status: int = 200
    form: dict | None = None  # posted instead of a GET
    whole_catalogue: bool = True  # no English piece of any message left either

    def __str__(self) -> str:
        return self.name


PAGE_TYPES = [
    PageType("home", "visitor", "/", ("Guidance under consultation", "Open for comments until")),
    PageType("document", "visitor", DOCUMENT, ("Contents", "Draft guidance", "Back to contents", "comments)")),
    PageType("section", "visitor", SECTION, ("Text of section 2", "Comment on this section", "Previous section")),
    PageType(
        "version",
        "visitor",
        "/guidance/test-guidance/v1/",
        ("Draft guidance", "This is the current version.", "Read it with its contents"),
    ),
    PageType("privacy", "visitor", "/privacy", ("Who is responsible", "What we keep", "Who sees it")),
    PageType("login", "visitor", "/auth/login", ("Email address", "Password", "Forgotten your password?")),
    PageType("register", "visitor", "/auth/register", ("Register to comment", "Email address", "Country")),
    PageType("account", "reviewer", "/account/", ("Your comments", "Your profile", "Change your password")),
    PageType(
        "comment-form-errors",
        "reviewer",
        SECTION,
        ("Write your comment.", "There is a problem", "Your comment", "Who may read your comment?"),
        status=400,
        form={"body": "", "kind": "general", "publication": "public_named"},
    ),
    PageType("moderation-queue", "moderator", "/moderation/", ("Moderation queue", "Approve", "Reject")),
    PageType("decision", "moderator", "/moderation/comments/{pending}", ("Approve", "Reject", "Reason for rejecting")),
    PageType("worklist", "moderator", "/moderation/comments/", ("Every comment", "Filter the worklist")),
    PageType("dashboard", "moderator", "/moderation/dashboard", ("Moderation dashboard", "Pending", "Approved")),
    PageType("themes", "moderator", "/moderation/themes?document=test-guidance", ("Themes", "The code frame")),
    PageType("not-found", "visitor", "/guidance/test-guidance/no-such-section/", ("Go to the list",), status=404),
    # More pages, checked against the whole catalogue only (test_no_message_of_the_catalogue_is_left_in_english).
    PageType("reply", "reviewer", "/comments/{approved}/reply", ()),
    PageType("edit-comment", "reviewer", "/comments/{pending}/edit", ()),
    PageType("reset", "visitor", "/auth/reset", ()),
    PageType("forbidden", "reviewer", "/moderation/", (), status=403),
    PageType("summary", "moderator", "/guidance/test-guidance/responses/", ()),
    PageType("import", "moderator", "/moderation/import", ()),
    PageType("admin-users", "admin", "/admin/users", ()),
    PageType("admin-guidance", "admin", "/admin/guidance", ()),
    # The API's own descriptions (operations, fields) come from its OpenAPI document, which stays English like
    # the API: only the page's own words are checked.
    PageType(
        "api",
        "visitor",
        "/api/",
        ("Open data: the public API", "How it works", "What the answers contain"),
        whole_catalogue=False,
    ),
]


@pytest.fixture
def world(app, app_context, tmp_path):
    """The test document with a pending and an approved comment, a reviewer and a moderator. The comments are in
    no language of the interface, so that no piece of a message can be found in them."""
    document = make_document(tmp_path)
    reviewer, moderator, admin = make_user("reviewer"), make_user("moderator"), make_user("admin")
    pending = make_comment(reviewer, document, status="pending", body="Lorem ipsum dolor sit amet.")
    approved = make_comment(make_user("reviewer"), document, status="approved", body="Consectetur adipiscing elit.")
    return {
        "reviewer": reviewer.id,
        "moderator": moderator.id,
        "admin": admin.id,
        "pending": pending.id,
        "approved": approved.id,
    }


def open_page(app, world, page_type: PageType, language: str | None):
    client = app.test_client()
    if page_type.role != "visitor":
        with app.app_context():
            sign_in_with(client, session_token_for(db.session.get(User, world[page_type.role])))
    headers = {"Accept-Language": language} if language else {}
    path = page_type.path.format(**world)
    if page_type.form is not None:
        response = client.post(path, data=page_type.form, headers=headers)
    else:
        response = client.get(path, headers=headers)
    assert response.status_code == page_type.status, f"{page_type} in {language}: {response.status_code}"
    return response


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_the_english_samples_are_on_the_english_page(app, world, page_type):
    """The samples the next test looks for really are on the English page (else that test would prove nothing)."""
    response = open_page(app, world, page_type, None)
    assert page_language(response) == "en"
    main = main_of(response)
    absent = [sample for sample in page_type.english if sample not in main and sample not in text_of(main)]
    assert not absent, f"{page_type}: not on the English page (update the sample): {absent}"


@pytest.mark.parametrize("language", ["fr", "ru"])
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_each_page_type_is_in_the_reader_s_language(app, world, page_type, language):
    response = open_page(app, world, page_type, language)
    assert page_language(response) == language
    main = main_of(response)
    left = [sample for sample in page_type.english if sample in main or sample in text_of(main)]
    assert not left, f"{page_type} in {language}: English left in <main>: {left}"


# --- plurals and dates -------------------------------------------------------------------------------------------

RUSSIAN_DAYS = {0: "0 дней", 1: "1 день", 2: "2 дня", 5: "5 дней", 21: "21 день", 22: "22 дня", 11: "11 дней"}


@pytest.mark.parametrize(("number", "expected"), sorted(RUSSIAN_DAYS.items()))
def test_russian_has_three_plural_forms(app, number, expected):
    with app.test_request_context(), in_language("ru"):
        assert ngettext("%(num)d day", "%(num)d days", number) == expected


@pytest.mark.parametrize(("days", "expected"), [(1, "1 день"), (2, "2 дня"), (5, "5 дней"), (21, "21 день")])
def test_russian_plurals_on_the_home_page(app, app_context, tmp_path, days, expected):
    """The days left before the consultation closes, on the home page (templating.consultation_status)."""
    # Noon `days` days from today (the test zone is UTC): the days left are counted from date to date.
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    make_document(tmp_path, closes=noon + timedelta(days=days))
    client = app.test_client()
    status = text_of(main_of(client.get("/", headers={"Accept-Language": "ru"})))
    assert re.search(rf"(?<!\d){expected}(?!\w)", status), f"{expected!r} not in: {status[:400]}"
    wrong = {"день", "дня", "дней"} - {expected.split()[1]}
    assert not any(f"{days} {word}" in status for word in wrong)


def test_russian_zero_comments_on_the_document_page(app, app_context, tmp_path):
    make_document(tmp_path)
    page = text_of(main_of(app.test_client().get(DOCUMENT, headers={"Accept-Language": "ru"})))
    assert "0 комментариев" in page, page[:600]
    assert "0 комментарий" not in page.replace("0 комментариев", "")


def test_russian_plural_through_the_age_filter(app):
    from consult_app.models.types import utcnow
    from consult_app.templating import age

    with app.test_request_context(), in_language("ru"):
        assert age(utcnow() - timedelta(days=1, hours=1)) == "1 день"
        assert age(utcnow() - timedelta(days=2, hours=1)) == "2 дня"
        assert age(utcnow() - timedelta(days=5, hours=1)) == "5 дней"
        assert age(utcnow() - timedelta(days=21, hours=1)) == "3 недели"
        assert age(utcnow()) == "сегодня"
    with app.test_request_context(), in_language("fr"):
        assert age(utcnow() - timedelta(days=5, hours=1)) == "5 jours"


# 23:30 on 30 November in UTC is 00:30 on 1 December in Paris: the date is the zone's, not UTC's.
MOMENT = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 December 2026, 00:30 CET"),
        ("fr", "1 décembre 2026, 00:30 CET"),
        ("ru", "1 декабря 2026 г., 00:30 CET"),
    ],
)
def test_dates_in_each_language_in_the_consultation_s_time_zone(app, database_url, language, expected):
    from tests.conftest import make_app

    app = make_app(database_url, CONSULT_TIMEZONE="Europe/Paris")
    with app.test_request_context(), in_language(language):
        # Babel writes "2026 г." with a narrow no-break space: compared as a space.
        assert spaced(local_time(MOMENT)) == expected
        assert spaced(local_time(MOMENT, "date")) == expected.split(",")[0]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "1 décembre 2026"), ("ru", "1 декабря 2026 г.")],
)
def test_a_closing_date_on_the_home_page_in_each_language(app, database_url, tmp_path, language, expected):
    """A closed consultation's date, in CONSULT_TIMEZONE (`app` empties the tables after the test)."""
    from tests.conftest import make_app

    paris = make_app(database_url, CONSULT_TIMEZONE="Europe/Paris")
    with paris.app_context():
        make_document(tmp_path, opens=MOMENT - timedelta(days=30), closes=MOMENT)
    page = text_of(main_of(paris.test_client().get("/", headers={"Accept-Language": language})))
    assert expected in page, page[:400]


# --- no interface English left, whichever message it is --------------------------------------------------------


def catalogue_fragments(language: str) -> list[tuple[str, re.Pattern]]:
    """The English of every message the `language` catalogue translates differently, as the pieces a page shows
    whole: the text between placeholders and tags, of two words or more (one word may be a name or a code)."""
    from babel.messages.pofile import read_po

    from tests.unit.test_catalogues import TRANSLATIONS

    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    fragments: dict[str, re.Pattern] = {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated = " ".join(strings)
        for msgid in ids:
            for piece in re.split(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%|<[^>]*>", msgid):
                piece = " ".join(piece.split()).strip(" .,:;()·–-")
                if len(piece.split()) >= 2 and len(piece) >= 10 and piece not in translated:
                    fragments[piece] = re.compile(rf"(?<![\w-]){re.escape(piece)}(?![\w-])")
    return sorted(fragments.items())


@pytest.fixture(scope="module")
def fragments():
    return {language: catalogue_fragments(language) for language in ("fr", "ru")}


@pytest.mark.parametrize("language", ["fr", "ru"])
@pytest.mark.parametrize("page_type", [p for p in PAGE_TYPES if p.whole_catalogue], ids=str)
def test_no_message_of_the_catalogue_is_left_in_english(app, world, fragments, page_type, language):
    """Every piece of English the English page shows from the catalogue is gone from the French and Russian
    pages, in <main> and in the page's <title> (a message marked but not translated, or a translation the page
    does not use)."""
    english = readable(open_page(app, world, page_type, None))
    shown = [(piece, pattern) for piece, pattern in fragments[language] if pattern.search(english)]
    assert shown, f"{page_type}: no message of the catalogue found on the English page"
    other = readable(open_page(app, world, page_type, language))
    left = [piece for piece, pattern in shown if pattern.search(other)]
    assert not left, f"{page_type} in {language}: English left in <title> or <main>: {left}"


def readable(response) -> str:
    """The page's title and main content, as text."""
    title = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.DOTALL)
    return text_of(title.group(1) if title else "") + " | " + text_of(main_of(response))


# --- mail in the reader's language -------------------------------------------------------------------------------


def mails_to(address: str) -> list[str]:
    from consult_app.models import OutboxMail

    rows = db.session.scalars(db.select(OutboxMail).where(OutboxMail.recipient == address).order_by(OutboxMail.id))
    return [f"{row.subject}\n\n{row.body}" for row in rows]


def assert_no_english_left(fragments, english: str, other: str, what: str) -> None:
    shown = [(piece, pattern) for piece, pattern in fragments if pattern.search(spaced(english))]
    assert shown, f"{what}: no message of the catalogue found in the English one"
    left = [piece for piece, pattern in shown if pattern.search(spaced(other))]
    assert not left, f"{what}: English left: {left}\n{other}"


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_a_reviewer_registers_comments_and_gets_mail_in_their_language(app, client, document, fragments, language):
    """Issue 18's "done when": registering in French (or Russian) saves the language on the account; the
    confirmation, the receipt of a comment and the moderator's decision then come in it, whatever language the
    moderator works in. Each mail is compared with the same mail to someone who reads English."""
    for reader, address in ((language, f"{language}@example.org"), ("en", "en@example.org")):
        response = app.test_client().post(
            "/auth/register", data={**REGISTRATION, "email": address}, headers={"Accept-Language": reader}
        )
        assert response.status_code == 200 and page_language(response) == reader
    with app.app_context():
        accounts = {a.email: a for a in db.session.scalars(db.select(User).where(User.email.like("%@example.org")))}
        assert accounts[f"{language}@example.org"].language == language
        assert accounts["en@example.org"].language in ("en", None)
        for account in accounts.values():
            account.email_confirmed_at = account.created_at
        db.session.commit()
        [english_confirmation] = mails_to("en@example.org")
        [confirmation] = mails_to(f"{language}@example.org")
    assert_no_english_left(fragments[language], english_confirmation, confirmation, f"the {language} confirmation")

    references = {}
    for address in (f"{language}@example.org", "en@example.org"):
        reader = app.test_client()
        with app.app_context():
            sign_in_with(reader, session_token_for(db.session.scalar(db.select(User).filter_by(email=address))))
        form = {"body": "Lorem ipsum dolor sit amet.", "kind": "general", "publication": "public_named"}
        # The browser says English: the account's saved language is what counts.
        response = reader.post(SECTION, data=form, headers={"Accept-Language": "en"})
        assert response.status_code in (200, 302, 303), response.status_code
        with app.app_context():
            from consult_app.models import Comment

            comment = db.session.scalars(
                db.select(Comment).join(User, Comment.author_id == User.id).where(User.email == address)
            ).one()
            references[address] = comment.id
            assert comment.language == (language if address.startswith(language) else "en")
    with app.app_context():
        english_receipt, receipt = mails_to("en@example.org")[-1], mails_to(f"{language}@example.org")[-1]
        moderator = make_user("moderator", email="moderator@example.com")
        staff = app.test_client()
        sign_in_with(staff, session_token_for(moderator))
    for comment_id in references.values():
        # The moderator works in English; each author hears in their own language.
        answer = staff.post(
            f"/moderation/comments/{comment_id}/decision",
            data={"decision": "approve"},
            headers={"Accept-Language": "en"},
        )
        assert answer.status_code in (302, 303) and page_language(staff.get("/moderation/")) == "en"
    with app.app_context():
        english_decision, decision = mails_to("en@example.org")[-1], mails_to(f"{language}@example.org")[-1]
    assert english_receipt != english_decision, "no mail about the moderator's decision"
    assert_no_english_left(fragments[language], english_receipt, receipt, f"the {language} receipt")
    assert_no_english_left(fragments[language], english_decision, decision, f"the {language} decision mail")


# --- the language of parts ---------------------------------------------------------------------------------------


class LanguageOfText(HTMLParser):
    """The language each piece of text is in: the `lang` of its nearest element that has one."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str]] = []  # (language, text)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        language = next((lang for _tag, lang in reversed(self.stack) if lang is not None), "")
        self.texts.append((language, data))


def language_of(html: str, text: str) -> set[str]:
    parser = LanguageOfText()
    parser.feed(html)
    return {language for language, data in parser.texts if text in data}


@pytest.mark.parametrize("language", ["fr", "ru"])
@pytest.mark.parametrize("path", [DOCUMENT, SECTION, "/guidance/test-guidance/v1/"])
def test_english_guidance_on_a_french_or_russian_page_is_marked_english(client, document, path, language):
    """WCAG 3.1.2 (language of parts): the guidance is written in English whatever the interface's language, and
    says so, so that a screen reader reads it as English (the Nu checker in tests/browser/test_languages.py
    finds the same when it is not)."""
    html = client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)
    assert language_of(html, "Statistics should serve the") == {"en"}  # section 2's text, on all three pages
