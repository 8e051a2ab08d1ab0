"""The Big List of Naughty Strings (tests/data/corpora/naughty/blns.json) through every form and command.

Each string goes in through the real form or command; nothing may answer 500 or raise, and what was accepted
must come out of the response log export (the CSV, through the export service) exactly as it went in, apart
from these rules, which are the only changes the app makes to text:

- leading and trailing whitespace (as Python's str.strip sees it) is removed from every text field, and a field
  that is then empty is refused where it is required (comment, name);
- a quoted passage has every run of whitespace made one space: it is matched that way against the section;
- a name, organisation or country is normalised to Unicode NFKC before the strip, and refused (a 400 with the
  field's message; nothing of the form is stored) when it holds a control or format character or a line or
  paragraph separator, has nothing visible, or only combining marks (`profile_value` below states the rule);
- the CSV export puts ' before a value that starts with = + - @, a tab, CR, LF or ' (the formula guard), and
  the import takes a ' before one of those characters off again (so an unedited export reads back unchanged);
- a NUL character is refused with a 400 everywhere (see test_unstorable_text.py).

Too long is refused with the form's message. Everything goes through HTTP forms (the rate limiter is off in
the test config), except what hashes a password per string (registration, `users create`): those take a
sample, because each costs a scrypt hash and they share the profile fields and checks with the profile form,
which takes every string.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, Document, User
from consult_app.models.user import COUNTRY_MAX, NAME_MAX, ORGANISATION_MAX
from consult_app.services import export, importer
from consult_app.services.guidance import load_guidance
from tests import corpora
from tests.factories import (
    DEFAULT_PASSWORD,
    guidance_text,
    make_comment,
    make_user,
    session_token_for,
    sign_in_with,
)
from tests.markup import dangerous_markup

SLUG = "naughty"
SECTION = f"/guidance/{SLUG}/strings/"
# Strings of our own for the rules above: a value that starts with ' (the guard must stay reversible), formulas
# behind whitespace the strip removes, and whitespace-only values of several kinds.
OWN = [
    "'-' means no data",
    "'=SUM(A1)",
    "''",
    "  =1+1",
    "\t@SUM(A1)\t",
    "\u3000\u00a0",
    "\r\n",
    "line one\r\nline two\rline three\nline four",
    "x" * NAME_MAX,
    "y" * (NAME_MAX + 1),
]
# Python-Markdown's backslash escapes (with the tables extension's |): written before these, a character is text.
MARKDOWN_ESCAPES = frozenset("\\`*_{}[]()#+-.!|")
FORMULA_STARTS = tuple("=+-@\t\r\n'")


@pytest.fixture(scope="module")
def naughty() -> list[str]:
    return list(dict.fromkeys(corpora.naughty_strings() + OWN))


def guarded(value: str) -> str:
    """What the CSV shows for a stored value: with the guard's ' in front when it starts like a formula or
    with ' (written out here rather than taken from the app, so that the test states the rule)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unguarded(cell: str) -> str:
    """What the import reads from a cell: a ' before one of the guarded characters is taken for the guard."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


# What a profile field refuses (see the module docstring); the messages are the app's, one per kind of problem.
PROFILE_REFUSED_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")
JOINERS = "\u200c\u200d"  # allowed between two letters, marks, digits or symbols, not both ASCII
BLANK_CHARACTERS = "\u115f\u1160\u3164\uffa0\u2800"  # Hangul fillers and the blank Braille pattern
PROFILE_MESSAGES = ("Remove the invisible character U+", "Enter visible characters", "Enter letters, not only accents")


def profile_value(text: str) -> str | None:
    """What a name, organisation or country field keeps of `text` (written out here rather than taken from the
    app, so that the test states the rule): NFKC without surrounding whitespace, or None when it is refused."""
    value = unicodedata.normalize("NFKC", text).strip()
    if any(
        unicodedata.category(character) in PROFILE_REFUSED_CATEGORIES and not joins_a_word(value, position)
        for position, character in enumerate(value)
    ):
        return None
    visible = [character for character in value if not character.isspace() and character not in BLANK_CHARACTERS]
    if value and all(unicodedata.category(character).startswith("M") for character in visible):
        return None  # nothing visible at all, or only combining marks
    return value


def joins_a_word(value: str, position: int) -> bool:
    if value[position] not in JOINERS or position in (0, len(value) - 1):
        return False
    before, after = value[position - 1], value[position + 1]
    word = all(unicodedata.category(character)[0] in "LMNS" for character in (before, after))
    return word and not (before.isascii() and after.isascii())


def refused_with_a_message(response) -> bool:
    page = response.get_data(as_text=True)
    return response.status_code == 400 and any(message in page for message in PROFILE_MESSAGES)


def collapsed(text: str) -> str:
    return " ".join(text.split())


def literal_markdown(text: str) -> str:
    """`text` as Markdown that renders as exactly its words: HTML's specials as entities, Markdown's escaped."""
    out = []
    for character in collapsed(text):
        if character in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[character])
        else:
            out.append("\\" + character if character in MARKDOWN_ESCAPES else character)
    return "".join(out)


@pytest.fixture
def document(app_context, tmp_path, naughty):
    """A document whose section "strings" has every naughty string as a paragraph of its own, so that each
    can be quoted; loaded through the real loader."""
    paragraphs = [literal_markdown(text) for text in naughty if collapsed(text)]
    text = guidance_text(slug=SLUG, sections=[("Naughty strings {#strings}", "\n\n".join(paragraphs))])
    path = tmp_path / f"{SLUG}.md"
    path.write_text(text, encoding="utf-8")
    load_guidance([path])
    db.session.commit()
    return db.session.scalar(select(Document).where(Document.slug == SLUG))


def sign_in(client, user: User) -> None:
    """Give the client a session of `user`'s as the log-in form does, without checking a password: hundreds of
    accounts log in here, and each log-in would cost a scrypt hash."""
    sign_in_with(client, session_token_for(user))  # made here: the session transaction has an app context of its own


# A section page (which a comment's POST builds) holds every comment its reader may see, their own pending ones
# included: one author posting 500 comments would make the test quadratic, so authors take turns.
TURN = 40


def authors_taking_turns(app, count: int) -> list[tuple[str, str]]:
    """(session token, display name) of enough reviewers for `count` comments, TURN each."""
    with app.app_context():
        return [
            (session_token_for(user), user.display_name)
            for user in clone_users(make_user("reviewer"), count // TURN + 1)
        ]


def clone_users(template: User, count: int, role: str = "reviewer") -> list[User]:
    """`count` confirmed accounts sharing `template`'s password hash (so none costs a hash of its own)."""
    users = [
        User(
            email=f"person{number}@example.org",
            display_name=f"Person {number}",
            organisation="",
            respondent_type="individual",
            country="",
            role=role,
            active=True,
            password_hash=template.password_hash,
            email_confirmed_at=template.email_confirmed_at,
        )
        for number in range(count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return users


def exported_rows() -> dict[str, dict[str, str]]:
    """The response log as the export service writes it, parsed back: reference -> row. Every row has
    exactly the header's columns."""
    text = "".join(export.csv_chunks(export.rows(export.ExportFilters())))
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == list(export.COLUMNS)
    assert {len(row) for row in table} == {len(export.COLUMNS)}
    return {row[0]: dict(zip(export.COLUMNS, row, strict=True)) for row in table[1:]}


def reference_of(response) -> str:
    match = re.search(r"#(C-\d{6,})$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def page_is_sound(response) -> str:
    """A page that answered 200 and has no markup that could run script (our own furniture aside)."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert dangerous_markup(html) == []
    return html


# --- comments, replies, moderation notes, responses, the queue ----------------------------------------------


def test_comments_replies_notes_and_responses(app, client, document, naughty, login_as):
    """Each string is a comment (every other one a reply), is searched for in the queue, becomes the
    moderator's note on a decision (approve and reject alternate) and the drafting team's response."""
    parent = make_comment(make_user("reviewer"), document, key="strings", status="approved", body="The parent.")
    parent_id, parent_reference = parent.id, parent.reference
    authors = authors_taking_turns(app, len(naughty))
    posted: dict[str, str] = {}  # reference -> the string
    replies: set[str] = set()
    for number, text in enumerate(naughty):
        if number % TURN == 0:
            sign_in_with(client, authors[number // TURN][0])
        reply_to = parent_id if number % 2 else ""
        form = {"body": text, "kind": "concern", "publication": "public_named", "parent_id": reply_to}
        response = client.post(SECTION, data=form)
        if text.strip():
            assert response.status_code == 302, (text, response.status_code)
            posted[reference_of(response)] = text
            if reply_to:
                replies.add(reference_of(response))
        else:
            assert response.status_code == 400 and "Write your comment." in response.get_data(as_text=True)
    assert len(posted) >= 0.95 * len(naughty)
    page_is_sound(client.get(SECTION))  # the last author sees theirs, pending
    page_is_sound(client.get("/account/"))

    moderator_client = app.test_client()
    sign_in(moderator_client, make_user("moderator"))
    search_the_queue(moderator_client, naughty)
    for number, (reference, text) in enumerate(posted.items()):
        comment_id = int(reference[2:])
        if number % 50 == 0:  # the redirects are not followed, so their flash messages pile up in the cookie
            with moderator_client.session_transaction() as session:
                session.pop("_flashes", None)
        decision = {"decision": "approve"} if number % 2 else {"decision": "reject", "reason": "other"}
        response = moderator_client.post(f"/moderation/comments/{comment_id}/decision", data={**decision, "note": text})
        expected = 302 if len(text.strip()) <= 1000 else 400
        assert response.status_code == expected, (text, response.status_code)
        response = moderator_client.post(
            f"/moderation/comments/{comment_id}/disposition", data={"disposition": "noted", "response": text}
        )
        assert response.status_code == 302, (text, response.status_code)

    rows = exported_rows()
    for number, (reference, text) in enumerate(posted.items()):
        row = rows[reference]
        assert row["comment"] == guarded(text.strip()), reference
        assert row["parent_reference"] == (parent_reference if reference in replies else "")
        note = text.strip()
        reason = note if number % 2 else ": ".join(filter(None, ["other", note]))
        assert row["moderation_reason"] == guarded(reason), reference
        assert row["response"] == guarded(text.strip()), reference
        assert row["author_name"] == authors[naughty.index(text) // TURN][1]
    assert len(replies) >= 0.45 * len(posted)
    page_is_sound(app.test_client().get(SECTION))  # the visitor sees the approved half, with responses
    for reference in list(posted)[:20]:
        page_is_sound(moderator_client.get(f"/moderation/comments/{int(reference[2:])}"))


def search_the_queue(client, naughty: list[str]) -> None:
    """Every string as the queue's text search (a search for a string that was posted finds it; checked for
    ASCII only, as SQLite's lower() leaves other letters as they are), and a sample as the other filters."""
    for text in naughty:
        response = client.get("/moderation/", query_string={"q": text})
        if len(text) > 200:
            assert response.status_code == 400 and "200" in response.get_data(as_text=True)
            continue
        html = page_is_sound(response)
        if text.strip() and text.isascii():
            assert "Nothing is waiting" not in html, text
    for text in naughty[::5]:
        response = client.get("/moderation/", query_string={"document": text, "section": text})
        assert response.status_code == (200 if len(text) <= 80 else 400), text
    for text in naughty[::25]:
        response = client.get("/moderation/", query_string={"kind": text, "respondent_type": text})
        # Optional() lets a blank choice through as "no filter"; anything else is not one of the choices.
        assert response.status_code == (400 if text.strip() else 200), text


# --- quotes -------------------------------------------------------------------------------------------------


def test_quotes_of_every_string(app, client, document, naughty):
    """The section holds every string, so each can be quoted: the quote is accepted and exported with its
    whitespace collapsed, or refused with the form's message and nothing saved."""
    authors = authors_taking_turns(app, len(naughty))
    accepted, refused = {}, []
    for number, text in enumerate(naughty):
        if number % TURN == 0:
            sign_in_with(client, authors[number // TURN][0])
        form = {"body": "Quoting.", "quote": text, "kind": "general", "publication": "private"}
        response = client.post(SECTION, data=form)
        if response.status_code == 302:
            accepted[reference_of(response)] = text
            continue
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (text, response.status_code)
        assert "The quoted passage is not in this section." in html or "Quote at most" in html, text
        refused.append(text)
    # The section cannot show a few strings as they are: the sanitiser writes other C0 control characters (ESC,
    # BEL, backspace) as "?", and Python-Markdown drops STX and ETX (its own placeholders). Those 4 of 516 are
    # refused as not in the section; everything else must be quotable.
    quotable = [text for text in naughty if collapsed(text)]
    assert len(accepted) >= 0.97 * len(quotable), refused
    plain = re.compile(r"^[\w ,.;:'\"?!()/-]*$")
    assert not [text for text in refused if plain.match(text) and collapsed(text)]
    rows = exported_rows()
    assert len(rows) == len(accepted)
    for reference, text in accepted.items():
        assert rows[reference]["quote"] == guarded(collapsed(text)), reference


# --- the respondent profile ---------------------------------------------------------------------------------


def test_names_organisations_and_countries(app, document, naughty):
    """Each string as one account's name, organisation and country, through the profile form; each account
    writes a comment, and the export shows its profile. Strings too long for the name go in again as the
    organisation only. A refused string leaves the account as it was, which the export shows too."""
    with app.app_context():
        accounts = clone_users(make_user("reviewer"), len(naughty))
        ids = [(account.id, session_token_for(account), account.display_name) for account in accounts]
    client = app.test_client()
    expected: dict[int, tuple[str, str, str]] = {}
    for (user_id, token, original_name), text in zip(ids, naughty, strict=True):
        sign_in_with(client, token)
        value = profile_value(text)
        form = {"name": text, "organisation": text, "country": text, "respondent_type": "individual"}
        response = client.post("/account/profile", data=form)
        if value is None:
            assert refused_with_a_message(response), (text, response.status_code)
            expected[user_id] = (original_name, "", "")  # as clone_users made it: nothing was stored
            continue
        if value and len(value) <= NAME_MAX:
            assert response.status_code == 302, (text, response.status_code)
            expected[user_id] = (value, value, value)
            continue
        assert response.status_code == 400, (text, response.status_code)
        page = response.get_data(as_text=True)
        assert "Enter your name." in page or f"Use at most {NAME_MAX} characters." in page
        organisation = value if len(value) <= ORGANISATION_MAX else ""
        # Cut to the country's length, what is left may be only combining marks: then no country.
        country = profile_value(value[:COUNTRY_MAX]) or ""
        form = {"name": "Long Name Holder", "organisation": organisation, "country": country}
        response = client.post("/account/profile", data={**form, "respondent_type": "individual"})
        assert response.status_code == 302, (text, response.status_code)
        expected[user_id] = ("Long Name Holder", organisation, country)
    with app.app_context():
        users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(expected)))}
        written = {make_comment(users[user_id], document, key="strings").reference: user_id for user_id in expected}
    rows = exported_rows_in(app)
    for reference, user_id in written.items():
        name, organisation, country = expected[user_id]
        row = rows[reference]
        assert (row["author_name"], row["organisation"], row["country"]) == (
            guarded(name),
            guarded(organisation),
            guarded(country),
        ), reference

    admin_client = app.test_client()
    with app.app_context():
        sign_in(admin_client, make_user("admin"))
    for number, text in enumerate(naughty):
        response = admin_client.get("/admin/users", query_string={"q": text})
        if len(text) > 100:
            assert response.status_code == 400, text
            continue
        html = page_is_sound(response)
        found = int(re.search(r"(\d+) accounts? found", html).group(1))
        if text.strip() and text.isascii() and expected[ids[number][0]][0] == text.strip() and found <= 25:
            assert f"person{number}@example.org" in html, text  # the account with this name is in the results
    page_is_sound(app.test_client().get(SECTION))


def exported_rows_in(app) -> dict[str, dict[str, str]]:
    with app.app_context():
        return exported_rows()


# --- registration and log-in --------------------------------------------------------------------------------


def test_registration_takes_a_sample_and_log_in_takes_every_string(app, client, naughty):
    """Registration with a naughty name, organisation and country (a sample: each costs a hash, so the refused
    strings are sampled apart from the others), then the log-in form with every string as email, password and
    next address."""
    fitting = [text for text in naughty if text.strip() and len(text.strip()) <= NAME_MAX]
    refused = [text for text in fitting if profile_value(text) is None]
    for number, text in enumerate(refused[::5]):
        form = {
            "email": f"refused{number}@example.org",
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
            "name": text,
            "respondent_type": "individual",
            "accept_terms": "y",
        }
        response = client.post("/auth/register", data=form)
        assert refused_with_a_message(response), (text, response.status_code)
        with app.app_context():
            assert db.session.scalar(select(User).where(User.email == form["email"])) is None, text
    sample = [text for text in fitting if profile_value(text) is not None][::25]
    for number, text in enumerate(sample):
        form = {
            "email": f"registrant{number}@example.org",
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
            "name": text,
            "organisation": text[:ORGANISATION_MAX],
            "country": text[:COUNTRY_MAX],
            "respondent_type": "individual",
            "accept_terms": "y",
        }
        response = client.post("/auth/register", data=form)
        assert response.status_code == 200, (text, response.status_code)
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == form["email"]))
            assert (user.display_name, user.organisation, user.country) == (
                profile_value(text),
                profile_value(form["organisation"]),
                profile_value(form["country"]),
            )
    for text in naughty:
        response = client.post("/auth/register", data={"email": text, "password": text, "name": text})
        assert response.status_code == 400, text
        response = client.post("/auth/login", query_string={"next": text}, data={"email": text, "password": text})
        assert response.status_code == 400, text
        assert client.get("/auth/login", query_string={"next": text}).status_code == 200
    with app.app_context():
        make_user("reviewer", email="known@example.org")
    for text in naughty[::25]:
        response = app.test_client().post(
            "/auth/login", data={"email": "known@example.org", "password": DEFAULT_PASSWORD, "next": text}
        )
        assert response.status_code == 302, text
        assert response.headers["Location"].startswith("/") and not response.headers["Location"].startswith("//")


# --- the import ---------------------------------------------------------------------------------------------


def test_import_cells(app, client, document, naughty, login_as):
    """Every string as a response cell of an edited response log (read back with the formula guard undone and
    surrounding whitespace removed), then as a reference and a disposition cell (row errors, never more)."""
    with app.app_context():
        author = make_user("reviewer")
        comments = [make_comment(author, document, key="strings", body=f"Comment {n}").reference for n in naughty]
    login_as("moderator")
    rows = exported_rows_in(app)
    for reference, text in zip(comments, naughty, strict=True):
        rows[reference].update(disposition="noted", response=text)
    response = upload(client, spreadsheet(rows.values()))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    token = re.search(r'name="plan" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert client.post("/moderation/import/apply", data={"plan": token}).status_code == 302
    with app.app_context():
        stored = {c.reference: c.response for c in db.session.scalars(select(Comment))}
    assert [stored[reference] for reference in comments] == [unguarded(text).strip() for text in naughty]
    after = exported_rows_in(app)
    for reference in comments:
        assert after[reference]["response"] == guarded(stored[reference]), reference
    # Exported again and read back unedited, the file changes nothing: the guard always comes off again.
    with app.app_context():
        plan = importer.plan(importer.parse(spreadsheet(after.values())))
    assert (plan.changes, plan.errors, plan.unchanged) == ([], [], len(comments))

    for column in ("reference", "disposition"):
        edited = [
            {**row, column: text, "response": "An answer."} for row, text in zip(after.values(), naughty, strict=True)
        ]
        data = spreadsheet(edited)
        response = upload(client, data)
        assert response.status_code in (200, 400), (column, response.status_code)
        with app.app_context():
            plan = importer.plan(importer.parse(data))
        assert len(plan.errors) + len(plan.changes) + plan.unchanged + plan.unanswered == len(edited)


def spreadsheet(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=export.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client, data: bytes):
    return client.post("/moderation/import", data={"file": (io.BytesIO(data), "log.csv")})


# --- the command line ---------------------------------------------------------------------------------------


def test_command_line_arguments(app, runner, document, naughty, tmp_path):
    """Every string as `users set-role`'s email, an export filter, a path to load, export to or import from;
    a sample as `users create`'s name, organisation and country. A clean exit or a usage or command error,
    never a traceback; what is created is what the export shows."""
    (tmp_path / "out").mkdir()
    for text in naughty:
        if "\x00" in text:  # an argument of a real process cannot hold NUL (see test_unstorable_text.py)
            continue
        # As a file name inside tmp_path only: "../../etc/hosts" must not reach the real one (tests may run as root).
        name = tmp_path / "out" / (text.replace("/", "\u2215") if text not in ("", ".", "..") else "dots")
        for args in (
            ["users", "set-role", text, "reviewer"],
            ["export", "comments", "--document", text, "--section", text],
            ["export", "comments", "--status", text],
            ["guidance", "load", str(name)],
            ["import", "dispositions", str(name)],
            ["export", "comments", "--out", str(name)],
        ):
            result = runner.invoke(args=args)
            assert result.exit_code in (0, 1, 2), (args, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)

    sample = [text for text in naughty if text.strip() and len(text.strip()) <= NAME_MAX and "\x00" not in text]
    refused = [text for text in sample if profile_value(text) is None]
    for number, text in enumerate(refused[::5]):
        email = f"refused{number}@example.org"
        result = runner.invoke(args=["users", "create", "--email", email, "--name", text], input="x\nx\n")
        assert result.exit_code == 2 and "Invalid value for '--name'" in result.output, (text, result.output)
        assert any(message in " ".join(result.output.split()) for message in PROFILE_MESSAGES), result.output
        with app.app_context():
            assert db.session.scalar(select(User).where(User.email == email)) is None, text
    created = {}
    for number, text in enumerate([text for text in sample if profile_value(text) is not None][::25]):
        email = f"cli{number}@example.org"
        args = ["users", "create", "--email", email, "--name", text, "--organisation", text, "--country", text]
        result = runner.invoke(args=args, input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
        assert result.exit_code == 0, (text, result.output)
        created[email] = profile_value(text)
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(created)))}
        references = {make_comment(users[email], document, key="strings").reference: email for email in created}
    rows = exported_rows_in(app)
    for reference, email in references.items():
        value = created[email]
        assert (rows[reference]["author_name"], rows[reference]["organisation"], rows[reference]["country"]) == (
            guarded(value),
            guarded(value),
            guarded(value),
        )
