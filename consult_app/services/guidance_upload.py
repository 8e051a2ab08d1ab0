"""A guidance file uploaded through the web (/admin/guidance): check it, show what it changes, then apply it.

The checks and messages are the command line's (guidance_source.parse_bytes): an upload and `flask guidance
load` of the same file make the same version. The database is the truth for reading; the upload is not
written to `guidance/` (the server's code folder may be read-only and shared by several processes), and
`guidance load` keeps a version that came from the web rather than replace it with an older file from disk
(services/guidance.py).

Nothing is kept on the server between the dry run and the apply: the uploaded text travels in the apply form,
signed with SECRET_KEY for the admin who checked it, together with its SHA-256 and the version it was compared
with. The apply parses exactly that text again and refuses if the document has changed since.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from flask import current_app
from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Document, Section, Version
from consult_app.models.document import CHANGE_NOTE_MAX, ORIGIN_WEB
from consult_app.models.types import is_storable
from consult_app.nesting import NestingError
from consult_app.services import change_mail
from consult_app.services.guidance import (
    LoadReport,
    SectionComparison,
    check_translation,
    compare_versions,
    current_version,
    new_version,
    stale_translations,
    store_parsed,
)
from consult_app.services.guidance_errors import GuidanceError
from consult_app.services.guidance_source import ParsedDocument, parse_bytes, slugify
from consult_app.text import render_comment

UPLOAD_MAX = 2 * 1024 * 1024
EXTENSIONS = (".md", ".markdown")
NAME_MAX = 200
TOKEN_SALT = "admin-guidance-upload"  # noqa: S105 - a salt name, not a password
TOKEN_MAX_AGE = 3600
# Files people pick by mistake, recognised by their first bytes; each message is filled with the file's name.
NOT_MARKDOWN = {
    b"PK\x03\x04": _l(
        "%(name)s: this is a Word document (.docx), a spreadsheet or another zip file, not Markdown text."
    ),
    b"\xd0\xcf\x11\xe0": _l("%(name)s: this is an old Word or Excel document (.doc, .xls), not Markdown text."),
    b"%PDF": _l("%(name)s: this is a PDF document, not Markdown text."),
    b"{\\rtf": _l("%(name)s: this is a rich text document (.rtf), not Markdown text."),
}
UNREADABLE = _l("The checked file could not be read back. Upload the file again.")
SAVE_AS = _l("Save the guidance as plain text in UTF-8, with the extension .md.")


class UploadError(ValueError):
    """The upload as a whole cannot be used (size, name, kind of file); the message says why."""


class ApplyError(ValueError):
    """The checked upload cannot be applied (expired, another account's, or the document changed since).
    `status` is the HTTP status to answer with: 409 when the document changed, else 400."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class NoteError(ValueError):
    """Some change notes cannot be stored; `errors` maps section keys to messages, `preview` is the check."""

    def __init__(self, preview: Preview, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.preview, self.errors = preview, errors


@dataclass(frozen=True)
class Upload:
    """What the dry run saw: the text as uploaded and the version it was compared with (0: no document yet)."""

    name: str
    text: str
    base_version: int
    base_hash: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass
class Preview:
    upload: Upload
    parsed: ParsedDocument
    document: Document | None
    comparisons: list[SectionComparison] = field(default_factory=list)
    # An earlier version with exactly this text (an upload that goes back to it), if any.
    same_as: int | None = None

    @property
    def action(self) -> str:
        if self.document is None:
            return "created"
        if self.upload.base_hash == self.parsed.content_hash:
            return "metadata_updated" if self.front_matter_changes else "unchanged"
        return "new_version"

    @property
    def front_matter_changes(self) -> list[str]:
        """The front matter fields (title, summary, dates, details) that differ from the document's."""
        if self.document is None:
            return []
        parsed, document = self.parsed, self.document
        values = {"title": parsed.title, "summary": parsed.summary, **asdict(parsed.details)}
        values |= {"opens_at": parsed.opens_at, "closes_at": parsed.closes_at}
        values |= {
            "language": parsed.language,
            "translation_of": parsed.translation_of,
            "translation_partial": parsed.translation_partial,
        }
        return [name for name, value in values.items() if getattr(document, name) != value]

    def with_status(self, *statuses: str) -> list[SectionComparison]:
        return [comparison for comparison in self.comparisons if comparison.status in statuses]

    @property
    def notable_keys(self) -> list[str]:
        """The sections that may carry a "changes made" note: changed and added ones."""
        return [comparison.key for comparison in self.with_status("changed", "added")]


def upload_name(filename: str | None) -> str:
    """The file's own name, without any folder a browser sent along; used in messages and stored as the
    document's source_path, as the command line stores the path it was given."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    if not is_storable(name):
        name = name.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return name[:NAME_MAX] or "upload.md"


def check_upload(data: bytes, filename: str | None) -> Preview:
    """Parse an uploaded file and compare it with the current version of its document; write nothing.

    Raises UploadError for a file that is too large, empty, not Markdown by name or content, and GuidanceError
    (with file and line) for everything the command line refuses."""
    name = upload_name(filename)
    if not name.lower().endswith(EXTENSIONS):
        what = gettext("%(name)s: the file name must end in .md or .markdown.", name=name)
        raise UploadError(f"{what} {SAVE_AS}")  # two sentences, each translated whole
    if len(data) > UPLOAD_MAX:
        raise UploadError(
            gettext("%(name)s: the file is larger than %(size)s MB.", name=name, size=UPLOAD_MAX // 2**20)
        )
    if not data.strip():
        raise UploadError(gettext("%(name)s: the file is empty.", name=name))
    for signature, message in NOT_MARKDOWN.items():
        if data.startswith(signature):
            raise UploadError(f"{str(message) % {'name': name}} {SAVE_AS}")
    parsed = parse_bytes(data, name, default_slug=slugify(PurePosixPath(name).stem))
    check_translation(parsed)  # a translation needs its original, with the same section keys
    parsed.warnings.extend(stale_translations(parsed))  # an original whose new sections its translations lack
    return preview(Upload(name, parsed.source, *_base(parsed.slug)), parsed)


def _base(slug: str) -> tuple[int, str]:
    document = db.session.scalar(select(Document).where(Document.slug == slug))
    if document is None:
        return 0, ""
    current = current_version(document)
    return current.number, current.content_hash


def preview(upload: Upload, parsed: ParsedDocument) -> Preview:
    document = db.session.scalar(select(Document).where(Document.slug == parsed.slug))
    result = Preview(upload, parsed, document)
    if document is None:
        return result
    current = current_version(document)
    # A version that is never added to the session: compare_versions only reads its sections.
    result.comparisons = compare_versions(current, new_version(parsed, current.number + 1))
    if result.action == "new_version":
        result.same_as = db.session.scalar(
            select(Version.number).where(
                Version.document_id == document.id, Version.content_hash == parsed.content_hash
            )
        )
    return result


# --- the signed token that carries the checked upload to the apply step --------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_token(upload: Upload, user_id: int) -> str:
    payload = {
        "user": user_id,
        "name": upload.name,
        "text": upload.text,
        "digest": upload.digest,
        "base_version": upload.base_version,
        "base_hash": upload.base_hash,
    }
    return _serializer().dumps(payload)


def read_token(token: str, user_id: int) -> Upload:
    """The upload a token of make_token carries for `user_id`; ApplyError for anything else."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise ApplyError(gettext("This check is more than an hour old. Upload the file again.")) from None
    except BadData:
        raise ApplyError(str(UNREADABLE)) from None
    if not isinstance(payload, dict) or payload.get("user") != user_id:
        raise ApplyError(gettext("This check was made by another account. Upload the file again."))
    try:
        upload = Upload(payload["name"], payload["text"], payload["base_version"], payload["base_hash"])
    except (KeyError, TypeError):
        raise ApplyError(str(UNREADABLE)) from None
    if upload.digest != payload.get("digest"):
        raise ApplyError(str(UNREADABLE))
    return upload


# --- applying -----------------------------------------------------------------------------------------------


def check_notes(notes: dict[str, str], keys: list[str]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """({key: (Markdown, HTML)} to store, {key: message}) for the notes typed per section; only `keys` (changed
    or added sections) take one. Blank notes are dropped; a note is Markdown, at most CHANGE_NOTE_MAX
    characters, rendered like a comment."""
    kept, errors = {}, {}
    for key in keys:
        note = (notes.get(key) or "").replace("\r\n", "\n").strip()
        if not note:
            continue
        if len(note) > CHANGE_NOTE_MAX:
            errors[key] = ngettext(
                "Write at most %(max)s character (this note has %(count)s).",
                "Write at most %(max)s characters (this note has %(count)s).",
                CHANGE_NOTE_MAX,
                max=format_decimal(CHANGE_NOTE_MAX),
                count=format_decimal(len(note)),
            )
            continue
        if not is_storable(note):
            # models.types.UNSTORABLE, in a whole sentence of the reader's language.
            errors[key] = gettext(
                "The note contains the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)."
            )
            continue
        try:
            kept[key] = (note, render_comment(note))
        except NestingError as error:
            errors[key] = gettext("The note has %(problem)s.", problem=error)
    return kept, errors


def apply_upload(upload: Upload, notes: dict[str, str]) -> LoadReport:
    """Load exactly the checked text as the document's next version (origin "web"), with `notes` on its
    sections; the caller commits. ApplyError when the document changed after the check; GuidanceError
    cannot happen for a text that passed the check, but is not caught here if it does."""
    parsed = parse_bytes(upload.text.encode(), upload.name, default_slug=slugify(PurePosixPath(upload.name).stem))
    if _base(parsed.slug) != (upload.base_version, upload.base_hash):
        raise ApplyError(
            gettext(
                "'%(slug)s' has changed since you checked the file (someone loaded another version). "
                "Upload the file again to see what it changes now.",
                slug=parsed.slug,
            ),
            status=409,
        )
    try:
        check_translation(parsed)
    except GuidanceError as error:  # the original changed since the check (or went): say so, as for the document
        raise ApplyError(gettext("%(error)s Upload the file again once it matches.", error=error), status=409) from None
    checked = preview(upload, parsed)
    kept, errors = check_notes(notes, checked.notable_keys)
    if errors:
        raise NoteError(checked, errors)
    report = store_parsed(parsed, ORIGIN_WEB)
    if report.action == "new_version":
        _store_notes(checked.document, report.version, kept)
        report.mailed = change_mail.tell_reviewers_of_version(checked.document, report.version)
    return report


def _store_notes(document: Document, number: int, notes: dict[str, tuple[str, str]]) -> None:
    sections = db.session.scalars(
        select(Section).join(Version).where(Version.document_id == document.id, Version.number == number)
    )
    for section in sections:
        if section.key in notes:
            section.change_note, section.change_note_html = notes[section.key]
    db.session.flush()
