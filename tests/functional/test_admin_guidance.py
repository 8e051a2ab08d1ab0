"""/admin/guidance: upload a guidance file, check what changes (nothing written), apply it with change notes,
and tell the reviewers of changed sections by mail (read from a real SMTP server)."""

from __future__ import annotations

import html as html_module
import io
import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Document, Section, User, Version
from consult_app.services import accounts, guidance_upload
from tests.conftest import make_app
from tests.factories import (
    DEFAULT_PASSWORD,
    SECOND_VERSION_SECTIONS,
    guidance_text,
    make_comment,
    make_user,
    write_guidance,
)
from tests.support.client import csrf_token

TOKEN = re.compile(r'name="upload" type="hidden" value="([^"]+)"')


def multipart(data: bytes, name: str) -> bytes:
    """The form's body built by hand: given a large file, the test client spools it to a temporary file that it
    never closes."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')  # a quoted-string, as browsers send it
    return (
        f'--boundary\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'.encode()
        + b"Content-Type: text/markdown\r\n\r\n"
        + data
        + b"\r\n--boundary--\r\n"
    )


def upload(client, data: bytes | str, name: str = "test-guidance.md"):
    data = data.encode() if isinstance(data, str) else data
    body = multipart(data, name)
    return client.post("/admin/guidance", data=body, content_type="multipart/form-data; boundary=boundary")


def token_in(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no apply form in the page"
    return html_module.unescape(match.group(1))


def apply(client, token: str, **notes: str):
    form = {"upload": token, **{f"note-{key}": note for key, note in notes.items()}}
    response = client.post("/admin/guidance/apply", data=form)
    db.session.expire_all()  # the test's own session still holds the rows as they were before the request
    return response


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Document, Version, Section))


def version_rows(number: int, slug: str = "test-guidance") -> tuple:
    version = db.session.scalar(select(Version).join(Document).where(Document.slug == slug, Version.number == number))
    sections = [(s.key, s.number, s.title, s.source_md, s.html, s.line) for s in version.sections]
    return version.title, version.content_hash, version.source, version.preamble_md, version.preamble_html, sections


SECOND = guidance_text(sections=SECOND_VERSION_SECTIONS)


@pytest.fixture
def admin(document, login_as):
    return login_as("admin")


# --- the dry run --------------------------------------------------------------------------------------------


def test_the_dry_run_shows_each_section_and_writes_nothing(client, admin):
    before = counts()
    response = upload(client, SECOND)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nothing has been saved yet" in page and "Publish version 2" in page
    assert "1 changed, 1 added, 1 removed, 1 unchanged" in page
    # the changed line, word by word
    assert 'What it <ins><span class="visually-hidden">[added: </span>now <span class="visually-hidden">]' in page
    assert "Someone must answer for the model." in page  # the added section, shown
    assert 'name="note-introduction"' in page and 'name="note-accountability"' in page
    assert 'name="note-public-good"' not in page and 'name="note-bias-and-fairness"' not in page
    assert counts() == before


def test_the_same_text_has_nothing_to_apply(client, admin, tmp_path):
    page = upload(client, (tmp_path / "test-guidance.md").read_bytes()).get_data(as_text=True)
    assert "There is nothing to apply" in page and "Publish" not in page


# --- applying -----------------------------------------------------------------------------------------------


def test_apply_makes_the_next_version_with_its_notes(client, admin):
    token = token_in(upload(client, SECOND).get_data(as_text=True))
    note = "We narrowed the scope, as *many* asked. <script>alert(1)</script>"
    response = apply(client, token, introduction=note, accountability="New, as suggested.")
    assert response.status_code == 302 and response.headers["Location"].endswith("/guidance/test-guidance/")
    document = db.session.scalar(select(Document))
    assert document.current_version_number == 2
    version = db.session.scalar(select(Version).where(Version.number == 2))
    assert version.origin == "web"
    notes = {s.key: (s.change_note, s.change_note_html) for s in version.sections}
    assert notes["introduction"][0] == note
    assert "<em>many</em>" in notes["introduction"][1] and "<script>" not in notes["introduction"][1]
    assert notes["accountability"][0] == "New, as suggested."
    assert notes["bias-and-fairness"] == (None, None)
    shown = client.get("/guidance/test-guidance/v1/").get_data(as_text=True)
    assert "<em>many</em>" in shown and "&lt;script&gt;" in shown


def test_an_upload_makes_the_same_version_as_the_command_line(client, admin, runner, tmp_path):
    """The same file, once through the web and once through `guidance load`, into an empty database."""
    new = guidance_text(title="Another document", slug="another", sections=SECOND_VERSION_SECTIONS)
    apply(client, token_in(upload(client, new, "another.md").get_data(as_text=True)))
    by_web = version_rows(1, "another")
    web_document = db.session.scalar(select(Document).where(Document.slug == "another"))
    web_metadata = (web_document.title, web_document.summary, web_document.opens_at, web_document.closes_at)
    db.session.delete(web_document)
    db.session.commit()
    path = tmp_path / "another.md"
    path.write_text(new, encoding="utf-8")
    result = runner.invoke(args=["guidance", "load", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert version_rows(1, "another") == by_web
    cli_document = db.session.scalar(select(Document).where(Document.slug == "another"))
    assert (cli_document.title, cli_document.summary, cli_document.opens_at, cli_document.closes_at) == web_metadata


def test_apply_refuses_when_the_document_changed_after_the_check(client, admin, tmp_path):
    token = token_in(upload(client, SECOND).get_data(as_text=True))
    third = [("Introduction {#introduction}", "Quite different now.")]
    from consult_app.services.guidance import load_guidance

    load_guidance([write_guidance(tmp_path, sections=third)])
    db.session.commit()
    response = apply(client, token)
    assert response.status_code == 409
    assert "has changed since you checked the file" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.max(Version.number))) == 2  # the command line's, not the upload


def test_a_tampered_or_foreign_check_is_refused(app, client, admin):
    token = token_in(upload(client, SECOND).get_data(as_text=True))
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    response = apply(client, forged)
    assert response.status_code == 400 and "could not be read back" in response.get_data(as_text=True)
    assert apply(client, "").status_code == 400
    colleague = app.test_client()
    other = make_user("admin")
    assert colleague.post("/auth/login", data={"email": other.email, "password": DEFAULT_PASSWORD}).status_code == 302
    response = apply(colleague, token)
    assert response.status_code == 400 and "another account" in response.get_data(as_text=True)
    assert counts() == (1, 1, 3)


def test_an_expired_check_is_refused(client, admin, monkeypatch):
    token = token_in(upload(client, SECOND).get_data(as_text=True))
    monkeypatch.setattr(guidance_upload, "TOKEN_MAX_AGE", -1)
    response = apply(client, token)
    assert response.status_code == 400 and "more than an hour old" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("x" * 2001, "Write at most 2,000 characters (this note has 2,001)."),
        (">" * 200 + " deep", "nested more than"),
    ],
)
def test_a_bad_note_keeps_the_form_and_saves_nothing(client, admin, note, message):
    token = token_in(upload(client, SECOND).get_data(as_text=True))
    response = apply(client, token, introduction=note, accountability="Kept when shown again.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert 'href="#note-introduction"' in page and "Kept when shown again." in page
    assert token_in(page)  # the apply form is there again, ready
    assert counts() == (1, 1, 3)


# --- bad uploads: a clear message, nothing changed ----------------------------------------------------------

TOO_BIG = 2 * 1024 * 1024 + 1


@pytest.mark.parametrize(
    ("data", "name", "status", "message"),
    [
        (b"", "test-guidance.md", 400, "test-guidance.md: the file is empty."),
        (b" \n\n ", "test-guidance.md", 400, "the file is empty"),
        ("---\ntitle: Caf\u00e9\n".encode("latin-1") + b"---\n", "g.md", 400, "g.md:2: the file is not valid UTF-8"),
        (b"---\ntitle: T\n---\n\n## A\n\nNUL \x00 here\n", "g.md", 400, "g.md:7: the file contains a NUL character"),
        (b"PK\x03\x04 rest of a docx", "guidance.md", 400, "this is a Word document (.docx)"),
        (b"%PDF-1.7 ...", "guidance.md", 400, "this is a PDF document"),
        (guidance_text().encode(), "guidance.docx", 400, "guidance.docx: the file name must end in .md"),
        (b"no front matter\n", "g.md", 400, "g.md:1: missing front matter"),
        (b"---\ntitle: T\n---\n\n## Same {#a}\n\n## Again {#a}\n", "g.md", 400, "g.md:7: duplicate section key 'a'"),
        (b"x" * TOO_BIG, "big.md", 400, "big.md: the file is larger than 2 MB."),
        (b"x" * 3 * 1024 * 1024, "big.md", 413, "The file is larger than 2 MB."),
    ],
    ids=[
        "empty",
        "blank",
        "latin-1",
        "nul",
        "docx",
        "pdf",
        "extension",
        "front-matter",
        "duplicate-key",
        "2mb+1",
        "3mb",
    ],
)
def test_bad_uploads_say_why_and_change_nothing(client, admin, data, name, status, message):
    response = upload(client, data, name)
    page = html_module.unescape(response.get_data(as_text=True))
    assert response.status_code == status
    assert message in page, page[:3000]
    assert "There is a problem" in page and 'name="upload"' not in page
    assert counts() == (1, 1, 3)


def test_a_50_mb_upload_gets_the_upload_page_with_a_413(client, admin):
    response = upload(client, b"x" * (50 * 1024 * 1024), "huge.md")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is larger than 2 MB" in page and "Upload guidance" in page and page.count("<h1>") == 1
    assert counts() == (1, 1, 3)


def test_a_file_of_almost_2_mb_is_checked_and_applied(client, admin):
    """Its text travels in the apply form's token: over a megabyte, in a URL-encoded form under MAX_CONTENT_LENGTH."""
    noise = random.Random(7).randbytes(43 * 20_000).hex()  # text that compresses only to about half
    words = re.findall(".{8}", noise)
    sections = [
        (f"Part {n}", "\n\n".join(" ".join(words[i : i + 100]) for i in range(n * 4800, (n + 1) * 4800, 100)))
        for n in range(43)
    ]
    text = guidance_text(sections=sections)
    assert 1.8e6 < len(text.encode()) <= 2 * 1024 * 1024
    page = upload(client, text).get_data(as_text=True)
    assert len(token_in(page)) > 500_000
    response = apply(client, token_in(page))
    assert response.status_code == 302
    assert version_rows(2)[1] == db.session.scalar(select(Version.content_hash).where(Version.number == 2))


def test_an_upload_without_a_file_is_400(client, admin):
    response = client.post("/admin/guidance", data={})
    assert response.status_code == 400 and "Choose the guidance file to upload." in response.get_data(as_text=True)


def test_the_upload_works_with_csrf_protection_on(database_url, document):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client, admin = app.test_client(), make_user("admin")
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": admin.email, "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert upload(client, SECOND).status_code == 400  # no token
    form = {"file": (io.BytesIO(SECOND.encode()), "g.md"), "csrf_token": csrf_token(client.get("/admin/guidance").text)}
    page = client.post("/admin/guidance", data=form).get_data(as_text=True)
    assert apply(client, token_in(page)).status_code == 400  # no token
    done = client.post("/admin/guidance/apply", data={"upload": token_in(page), "csrf_token": csrf_token(page)})
    assert done.status_code == 302
    assert db.session.scalar(select(Document.current_version_number)) == 2


# --- the command line and a version uploaded through the web ------------------------------------------------


def test_the_command_line_keeps_a_web_upload_and_says_so(client, admin, runner, tmp_path):
    old_file = write_guidance(tmp_path)  # version 1's text, as on the server's disk
    apply(client, token_in(upload(client, SECOND).get_data(as_text=True)))
    result = runner.invoke(args=["guidance", "load", str(old_file)])
    assert result.exit_code == 0, result.output
    assert "test-guidance: kept version 2, uploaded through the web" in result.output
    assert "holds the text of version 1" in result.output and "--replace-web-uploads" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Document.current_version_number)) == 2
    forced = runner.invoke(args=["guidance", "load", "--replace-web-uploads", str(old_file)])
    assert forced.exit_code == 0 and "new version 3" in forced.output
    assert db.session.scalar(select(Version.origin).where(Version.number == 3)) == "file"


# --- telling reviewers --------------------------------------------------------------------------------------


def test_reviewers_of_changed_sections_get_one_mail_each(client, admin, document, mailbox):
    several = make_user("reviewer", name="Several Sections", email="several@example.org")
    make_comment(several, document, "introduction", status="approved")
    make_comment(several, document, "public-good")  # pending, on the removed section
    make_comment(several, document, "introduction")
    unchanged = make_user("reviewer", email="unchanged@example.org")
    make_comment(unchanged, document, "bias-and-fairness", status="approved")
    opted_out = make_user("reviewer", email="opted-out@example.org")
    make_comment(opted_out, document, "introduction")
    withdrawn = make_user("reviewer", email="withdrawn@example.org")
    make_comment(withdrawn, document, "introduction", status="withdrawn")
    inactive = make_user("reviewer", email="inactive@example.org")
    make_comment(inactive, document, "introduction")
    unconfirmed = make_user("reviewer", email="unconfirmed@example.org", confirmed=False)
    make_comment(unconfirmed, document, "introduction")
    deleted = make_user("reviewer", email="deleted@example.org")
    make_comment(deleted, document, "introduction", status="approved")
    accounts.delete_account(deleted, DEFAULT_PASSWORD)
    db.session.scalar(select(User).filter_by(email="opted-out@example.org")).notify_changes = False
    db.session.scalar(select(User).filter_by(email="inactive@example.org")).active = False
    db.session.commit()

    page = upload(client, SECOND).get_data(as_text=True)
    assert "Reviewers to tell</dt><dd>1 " in page
    response = apply(client, token_in(page), introduction="Scope narrowed after comments.")
    assert response.status_code == 302
    [message] = mailbox.deliver(1)
    assert message["To"] == "several@example.org"
    assert message["Subject"] == "Version 2 of “Test guidance” changes 2 sections you commented on"
    body = message.get_content()
    assert "Introduction: changed\nChanges made in response to comments: Scope narrowed after comments." in body
    assert "http://localhost/guidance/test-guidance/introduction/" in body
    assert "Public good: removed" in body and "http://localhost/guidance/test-guidance/v1/#public-good" in body
    assert "What changed, section by section:\nhttp://localhost/guidance/test-guidance/v1/" in body
    assert "Bias" not in body
    assert "http://localhost/account/#mail-title" in body
    assert len(mailbox.messages) == 1


def test_reviewers_opt_out_on_the_account_page(client, document, login_as):
    reviewer = login_as("reviewer")
    page = client.get("/account/").get_data(as_text=True)
    box = re.search(r'<input [^>]*name="notify_changes"[^>]*>', page).group(0)
    assert " checked " in box and "Tell me when a new version changes a section I commented on" in page
    saved = client.post("/account/notifications", data={"mail_form": "1", "notify_responses": "y"})
    assert saved.status_code == 302, re.findall(r"field-error.*", saved.get_data(as_text=True))
    user = db.session.get(User, reviewer.id)
    assert (user.notify_changes, user.notify_responses) == (False, True)


def test_the_command_line_tells_reviewers_when_asked(document, runner, tmp_path, mailbox):
    make_comment(make_user("reviewer", email="told@example.org"), document, "introduction")
    quiet = runner.invoke(args=["guidance", "load", str(write_guidance(tmp_path, sections=SECOND_VERSION_SECTIONS))])
    assert quiet.exit_code == 0 and "told" not in quiet.output
    third = [("Introduction {#introduction}", "Shorter."), *SECOND_VERSION_SECTIONS[1:]]
    result = runner.invoke(
        args=["guidance", "load", "--notify-reviewers", str(write_guidance(tmp_path, sections=third))]
    )
    assert result.exit_code == 0, result.output
    assert "test-guidance: 1 reviewer(s) told of the sections they commented on" in result.output
    [message] = mailbox.deliver(1)
    assert message["To"] == "told@example.org" and "Version 3 of" in message["Subject"]
    assert "http://localhost/guidance/test-guidance/v2/" in message.get_content()


@pytest.mark.parametrize("name", ["../../secret/<draft> & notes.md", "C:\\Users\\me\\<draft> & notes.md"])
def test_a_file_name_with_folders_or_markup_is_shown_as_its_plain_name(client, admin, name):
    page = upload(client, SECOND, name).get_data(as_text=True)
    assert '<p class="lead">&lt;draft&gt; &amp; notes.md: nothing has been saved yet.</p>' in page


# Any bytes, and texts that look like guidance with a byte changed here and there.
_GUIDANCE_BYTES = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda text, position, byte: text[:position] + bytes([byte]) + text[position + 1 :],
        st.just(SECOND.encode()),
        st.integers(min_value=0, max_value=len(SECOND.encode())),
        st.integers(min_value=0, max_value=255),
    ),
)


@pytest.mark.fuzz
@settings(
    # Fewer than test_fuzz.py's 150 by default: each example is a request, and the loader has its own fuzz test.
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_GUIDANCE_BYTES)
def test_any_upload_gets_a_dry_run_or_a_reason_and_writes_nothing(client, admin, data):
    response = upload(client, data)
    assert response.status_code in (200, 400), response.status_code
    page = response.get_data(as_text=True)
    assert ("nothing has been saved yet" in page) == (response.status_code == 200)
    assert counts() == (1, 1, 3)
