"""Loading guidance into the database, and comparing two versions of a document."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import or_, select

from consult_app.extensions import db
from consult_app.i18n import LANGUAGES
from consult_app.models import Document, Section, Version
from consult_app.models.document import ORIGIN_FILE, ORIGIN_WEB
from consult_app.models.types import utcnow
from consult_app.services.guidance_source import GuidanceError, ParsedDocument, ParsedSection, parse_file
from consult_app.text import html_to_text, split_blocks


class GuidanceLoadError(Exception):
    """One or more source files cannot be loaded; nothing was written."""

    def __init__(self, errors: Sequence[GuidanceError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = list(errors)


@dataclass
class LoadReport:
    """What a load did to one document."""

    slug: str
    path: str
    action: str  # created | new_version | metadata_updated | unchanged | web_version_kept
    version: int
    sections: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mailed: int = 0  # reviewers told of the new version (web uploads: services/change_mail.py)

    def summary(self) -> str:
        if self.action == "created":
            return f"{self.slug}: created version 1 with {self.sections} sections ({self.path})"
        if self.action == "new_version":
            counts = f"{len(self.changed)} changed, {len(self.added)} added, {len(self.removed)} removed"
            return f"{self.slug}: new version {self.version} ({counts}; {self.path})"
        if self.action == "web_version_kept":
            return f"{self.slug}: kept version {self.version}, uploaded through the web; {self.path} not loaded"
        if self.action == "metadata_updated":
            return f"{self.slug}: version {self.version} unchanged; summary, consultation dates or details updated"
        return f"{self.slug}: unchanged (version {self.version})"


def default_sources(guidance_dir: str | Path) -> list[Path]:
    """Every `*.md` file in the guidance folder, in name order."""
    return sorted(Path(guidance_dir).glob("*.md"))


def load_guidance(paths: Sequence[Path], *, replace_web_uploads: bool = False) -> list[LoadReport]:
    """Parse every file, then write them all; raise GuidanceLoadError before any write if one is bad.

    A document whose current version was uploaded through the web is not replaced by a file with other text
    (the file on disk is most likely the one the upload superseded, and deploys run `guidance load`): its
    report says so with a warning, unless `replace_web_uploads`. The caller commits (or rolls back) once, so a
    load is one transaction.
    """
    parsed, errors = [], []
    for path in paths:
        try:
            parsed.append(parse_file(path))
        except GuidanceError as error:
            errors.append(error)
    errors.extend(_duplicate_slugs(parsed))
    if not errors:
        errors.extend(translation_errors(parsed, keep_web_version=not replace_web_uploads))
    if errors:
        raise GuidanceLoadError(errors)
    # Originals first, so that a translation's section links find the version loaded with it.
    loading = {document.slug for document in parsed}
    ordered = sorted(parsed, key=lambda document: document.translation_of is not None)
    return [
        store_parsed(document, ORIGIN_FILE, keep_web_version=not replace_web_uploads, also_loading=loading)
        for document in ordered
    ]


def _duplicate_slugs(parsed: list[ParsedDocument]) -> list[GuidanceError]:
    first: dict[str, str] = {}
    errors = []
    for document in parsed:
        if document.slug in first:
            errors.append(
                GuidanceError(document.path, None, f"slug '{document.slug}' is also used by {first[document.slug]}")
            )
        first.setdefault(document.slug, document.path)
    return errors


def store_parsed(
    parsed: ParsedDocument, origin: str, *, keep_web_version: bool = False, also_loading: set[str] | None = None
) -> LoadReport:
    """Write one parsed document: a new document, a new version, or only its front matter. The caller commits.

    With `keep_web_version`, a current version that came from the web stays when `parsed` has other text.
    `also_loading`: the slugs loaded in the same run (their translations are not warned about: they come too)."""
    document = db.session.scalar(select(Document).where(Document.slug == parsed.slug))
    if document is None:
        document = Document(slug=parsed.slug, current_version_number=1)
        db.session.add(document)
        _set_metadata(document, parsed)
        document.versions.append(new_version(parsed, 1, origin))
        db.session.flush()
        _touch_relatives(document, None)
        return _report(parsed, "created", 1)
    before = document.translation_of
    current = current_version(document)
    if current.content_hash == parsed.content_hash:
        changed = _set_metadata(document, parsed)
        db.session.flush()
        if changed:
            _touch_relatives(document, before)
        return _report(parsed, "metadata_updated" if changed else "unchanged", current.number)
    if keep_web_version and current.origin == ORIGIN_WEB:
        return _web_version_kept(document, current, parsed)
    number = current.number + 1
    document.versions.append(new_version(parsed, number, origin))
    document.current_version_number = number
    _set_metadata(document, parsed)
    db.session.flush()
    _touch_relatives(document, before)
    report = _report(parsed, "new_version", number)
    _describe_changes(report, current, parsed)
    report.warnings.extend(stale_translations(parsed, also_loading or set()))
    return report


# --- translations -------------------------------------------------------------------------------------------
#
# A translation is a document of its own (its comments stay on it) whose front matter names its original:
# `translation_of: ml-ethics`. Its sections have the original's keys, in the original's order, so that a
# reader can go from a section to the same section in another language; an original is never a translation
# itself, and has at most one translation per language.


@dataclass
class _Original:
    """What a translation is checked against: its original as it will be once the load is done."""

    slug: str
    language: str
    translation_of: str | None
    keys: list[str]
    version: int | None  # the version in the database whose keys these are; None: the file loaded with it


def translation_errors(parsed: Sequence[ParsedDocument], *, keep_web_version: bool = False) -> list[GuidanceError]:
    """Why each translation among `parsed` cannot be loaded (an empty list when all can). The original is looked
    for among `parsed` first (a load of the whole folder brings both), then in the database."""
    in_run = {document.slug: document for document in parsed}
    errors = []
    for document in parsed:
        try:
            _check_translation(document, in_run, keep_web_version)
        except GuidanceError as error:
            errors.append(error)
    return errors


def check_translation(parsed: ParsedDocument) -> None:
    """Raise GuidanceError when `parsed`, loaded on its own (a web upload), is a translation that cannot be."""
    _check_translation(parsed, {parsed.slug: parsed}, keep_web_version=False)


def _check_translation(document: ParsedDocument, in_run: dict[str, ParsedDocument], keep_web_version: bool) -> None:
    if document.translation_of is None:
        return
    where = document.translation_line
    translated_by = _translations_in(document.slug, in_run)
    if translated_by:
        raise GuidanceError(
            document.path,
            where,
            gettext(
                "'%(slug)s' cannot be a translation: '%(other)s' is a translation of it. "
                "A translation translates an original, never another translation.",
                slug=document.slug,
                other=translated_by[0],
            ),
        )
    original = _original(document.translation_of, in_run, keep_web_version)
    if original is None:
        raise GuidanceError(
            document.path,
            where,
            gettext(
                "'translation_of' names '%(slug)s', but there is no such document: load the original first, "
                "or together with its translation",
                slug=document.translation_of,
            ),
        )
    if original.translation_of is not None:
        raise GuidanceError(
            document.path,
            where,
            gettext(
                "'%(slug)s' is itself a translation (of '%(original)s'): write 'translation_of: %(original)s' "
                "to translate the original",
                slug=original.slug,
                original=original.translation_of,
            ),
        )
    if original.language == document.language:
        raise GuidanceError(
            document.path,
            where,
            gettext(
                "the translation is in the same language as its original (%(language)s): "
                "set 'language:' to the language it is written in",
                language=original.language,
            ),
        )
    other = next(
        (slug for slug in _translations_in(original.slug, in_run, document.language) if slug != document.slug), None
    )
    if other is not None:
        raise GuidanceError(
            document.path,
            where,
            gettext(
                "'%(slug)s' already has a translation in %(language)s: '%(other)s'",
                slug=original.slug,
                language=document.language,
                other=other,
            ),
        )
    _check_keys(document, original)


def _check_keys(document: ParsedDocument, original: _Original) -> None:
    keys = [section.key for section in document.sections]
    if keys == original.keys:
        return
    missing = [key for key in original.keys if key not in keys]
    extra = [key for key in keys if key not in original.keys]
    names = {"slug": original.slug, "version": original.version or 0}
    if not missing and not extra:
        names["keys"] = ", ".join(original.keys)
        if original.version:
            message = gettext(
                "the sections are not in the order of the original '%(slug)s', version %(version)d: %(keys)s", **names
            )
        else:
            message = gettext("the sections are not in the order of the original '%(slug)s': %(keys)s", **names)
        raise GuidanceError(document.path, None, message)
    names |= {"missing": _listed(missing), "extra": _listed(extra)}
    if original.version:
        message = gettext(
            "the section keys differ from those of the original '%(slug)s', version %(version)d (missing: %(missing)s; "
            "extra: %(extra)s). Give each section the key of the section it translates, e.g. "
            "'## Introduction {#introduction}'.",
            **names,
        )
    else:
        message = gettext(
            "the section keys differ from those of the original '%(slug)s' (missing: %(missing)s; extra: %(extra)s). "
            "Give each section the key of the section it translates, e.g. '## Introduction {#introduction}'.",
            **names,
        )
    first_extra = next((section.line for section in document.sections if section.key in extra), None)
    raise GuidanceError(document.path, first_extra, message)


def _listed(keys: list[str]) -> str:
    """Section keys for a message: codes, the same in every language; a dash for none."""
    return ", ".join(keys) or "—"


def _original(slug: str, in_run: dict[str, ParsedDocument], keep_web_version: bool) -> _Original | None:
    stored = db.session.scalar(select(Document).where(Document.slug == slug))
    loaded = in_run.get(slug)
    current = current_version(stored) if stored is not None else None
    if loaded is not None:
        kept = (
            keep_web_version
            and current is not None
            and current.origin == ORIGIN_WEB
            and current.content_hash != loaded.content_hash
        )
        if not kept:
            keys = [section.key for section in loaded.sections]
            return _Original(slug, loaded.language, loaded.translation_of, keys, None)
        # The file does not replace the web's version (see load_guidance): its text stays, its front matter too.
    if stored is None:
        return None
    keys = [section.key for section in current.sections]
    return _Original(slug, stored.language, stored.translation_of, keys, current.number)


def _translations_in(slug: str, in_run: dict[str, ParsedDocument], language: str | None = None) -> list[str]:
    """The slugs of the translations of `slug` (into `language`, when given) once the load is done: the files
    of this run as they say, the other documents as the database has them."""
    statement = select(Document.slug).where(Document.translation_of == slug)
    if language is not None:
        statement = statement.where(Document.language == language)
    found = [stored for stored in db.session.scalars(statement) if stored not in in_run]
    found += [
        document.slug
        for document in in_run.values()
        if document.translation_of == slug and language in (None, document.language)
    ]
    return sorted(found)


def stale_translations(parsed: ParsedDocument, also_loading: Collection[str] = ()) -> list[str]:
    """Warnings for the translations of `parsed` (just given a new version) that no longer have its section keys:
    their readers' links to the same section in other languages lead to the document page until they do."""
    keys = [section.key for section in parsed.sections]
    statement = select(Document).where(Document.translation_of == parsed.slug, Document.slug.not_in(also_loading))
    warnings = []
    for translation in db.session.scalars(statement):
        theirs = [section.key for section in current_version(translation).sections]
        if theirs != keys:
            missing = [key for key in keys if key not in theirs]
            extra = [key for key in theirs if key not in keys]
            warnings.append(
                gettext(
                    "%(path)s: the translation '%(slug)s' (%(language)s) no longer has the same sections (missing: "
                    "%(missing)s; extra: %(extra)s); update it to the new version and load it again",
                    path=parsed.path,
                    slug=translation.slug,
                    language=translation.language,
                    missing=_listed(missing),
                    extra=_listed(extra),
                )
            )
    return warnings


def _touch_relatives(document: Document, translated_before: str | None) -> None:
    """The pages of a document's other languages link to it: move their updated_at (their pages' fingerprint,
    services/reading.py) when it is created or changes, so that no cached page keeps an old list of languages."""
    roots = {slug for slug in (translated_before, document.translation_of, document.slug) if slug}
    relatives = select(Document).where(
        or_(Document.slug.in_(roots), Document.translation_of.in_(roots)), Document.id != document.id
    )
    now = utcnow()
    for relative in db.session.scalars(relatives):
        relative.updated_at = now
    db.session.flush()


@dataclass
class OtherLanguage:
    """A link from a document (or one of its sections) to the same text in another language."""

    language: str
    name: str  # the language named in itself: Français
    slug: str
    title: str
    partial: bool
    key: str | None  # the same section there; None: link to the document (no section asked, or it has none)


def other_languages(document: Document, key: str | None = None) -> list[OtherLanguage]:
    """The document's original and its other translations (none for a document with no translations), in the
    order of LANGUAGES; with `key`, each links to that section where its current version has it."""
    root = document.translation_of or document.slug
    family = db.session.scalars(
        select(Document).where(or_(Document.slug == root, Document.translation_of == root), Document.id != document.id)
    ).all()
    order = list(LANGUAGES)
    links = []
    for other in sorted(family, key=lambda d: (order.index(d.language) if d.language in order else len(order), d.slug)):
        found = None
        if key is not None:
            found = db.session.scalar(
                select(Section.key)
                .join(Version)
                .where(
                    Version.document_id == other.id,
                    Version.number == other.current_version_number,
                    Section.key == key,
                )
            )
        name = LANGUAGES.get(other.language, other.language)
        links.append(OtherLanguage(other.language, name, other.slug, other.title, other.translation_partial, found))
    return links


def _web_version_kept(document: Document, current: Version, parsed: ParsedDocument) -> LoadReport:
    older = db.session.scalar(
        select(Version.number).where(Version.document_id == document.id, Version.content_hash == parsed.content_hash)
    )
    what = f"holds the text of version {older}" if older else "differs from it"
    report = _report(parsed, "web_version_kept", current.number)
    report.warnings.append(
        f"{parsed.path}: not loaded: version {current.number} of '{document.slug}' was uploaded through the web "
        f"on {current.loaded_at:%Y-%m-%d %H:%M} UTC and this file {what}. Save that version's text to the file, "
        "or load the file with --replace-web-uploads to make it a new version."
    )
    return report


def _set_metadata(document: Document, parsed: ParsedDocument) -> bool:
    """Copy the front matter onto the document; return whether anything differed."""
    values = {
        "title": parsed.title,
        "summary": parsed.summary,
        "source_path": parsed.path,
        "opens_at": parsed.opens_at,
        "closes_at": parsed.closes_at,
        **asdict(parsed.details),
        "language": parsed.language,
        "translation_of": parsed.translation_of,
        "translation_partial": parsed.translation_partial,
    }
    changed = False
    for name, value in values.items():
        if getattr(document, name) != value:
            setattr(document, name, value)
            changed = True
    return changed and document.id is not None


def new_version(parsed: ParsedDocument, number: int, origin: str = ORIGIN_FILE) -> Version:
    """A Version with its sections made from `parsed`, not added to the session (the web upload's dry run
    compares one with the current version and then drops it)."""
    version = Version(
        number=number,
        origin=origin,
        title=parsed.title,
        content_hash=parsed.content_hash,
        source=parsed.source,
        preamble_md=parsed.preamble_md,
        preamble_html=parsed.preamble_html,
    )
    version.sections = [
        Section(key=s.key, number=s.number, title=s.title, source_md=s.source_md, html=s.html, line=s.line)
        for s in parsed.sections
    ]
    return version


def _report(parsed: ParsedDocument, action: str, version: int) -> LoadReport:
    return LoadReport(
        slug=parsed.slug,
        path=parsed.path,
        action=action,
        version=version,
        sections=len(parsed.sections),
        warnings=list(parsed.warnings),
    )


def _describe_changes(report: LoadReport, previous: Version, parsed: ParsedDocument) -> None:
    old = {section.key: section for section in previous.sections}
    new = {section.key: section for section in parsed.sections}
    report.added = [key for key in new if key not in old]
    report.removed = [key for key in old if key not in new]
    report.changed = [key for key in new if key in old and _differs(old[key], new[key])]


def _differs(old: Section, new: Section | ParsedSection) -> bool:
    return (old.title, old.source_md) != (new.title, new.source_md)


def current_version(document: Document) -> Version:
    """The version people read."""
    return get_version(document, document.current_version_number)


def get_version(document: Document, number: int) -> Version | None:
    return db.session.scalar(select(Version).where(Version.document_id == document.id, Version.number == number))


# --- comparing versions ------------------------------------------------------------------------------------


@dataclass
class DiffRow:
    """One line of a section's source in a comparison; `segments` are (op, text) with op same/ins/del."""

    kind: str  # same | removed | added | changed | gap
    segments: list[tuple[str, str]]


@dataclass
class SectionComparison:
    key: str
    title: str
    status: str  # unchanged | changed | added | removed
    old: Section | None
    new: Section | None
    rows: list[DiffRow] = field(default_factory=list)

    @property
    def rendered_rows(self) -> list[DiffRow]:
        """The difference as readers see it, for the older-version page (`rows` compare the Markdown source, for
        the people who edit it): the title, then the rendered text of each block (paragraph, list, table ...) as
        a line, changed words marked. An added section is all insertions, a removed one all deletions; empty
        when only the source's formatting changed."""
        before, after = readable_lines(self.old), readable_lines(self.new)
        if not before or not after:
            return [DiffRow("removed", [("del", line)]) for line in before] + [
                DiffRow("added", [("ins", line)]) for line in after
            ]
        return diff_rows("\n".join(before), "\n".join(after))


def readable_lines(section: Section | None) -> list[str]:
    """A section as text: its title, then one line per block of its rendered HTML (per item of a list, so that a
    changed item is not lost in a long line); none for no section."""
    if section is None:
        return []
    pieces = (piece for block in split_blocks(section.html) for piece in _LIST_ITEM.split(block))
    return [section.title, *(text for text in map(html_to_text, pieces) if text)]


_LIST_ITEM = re.compile(r"(?=<li[\s>])")


def compare_versions(old: Version, new: Version) -> list[SectionComparison]:
    """Per section, what changed from `old` to `new`: old sections in order, then sections new in `new`."""
    new_by_key = {section.key: section for section in new.sections}
    old_keys = {section.key for section in old.sections}
    comparisons = []
    for section in old.sections:
        after = new_by_key.get(section.key)
        if after is None:
            comparisons.append(SectionComparison(section.key, section.title, "removed", section, None))
        elif not _differs(section, after):
            comparisons.append(SectionComparison(section.key, after.title, "unchanged", section, after))
        else:
            rows = diff_rows(f"{section.title}\n{section.source_md}", f"{after.title}\n{after.source_md}")
            comparisons.append(SectionComparison(section.key, after.title, "changed", section, after, rows))
    for section in new.sections:
        if section.key not in old_keys:
            comparisons.append(SectionComparison(section.key, section.title, "added", None, section))
    return comparisons


def diff_rows(before: str, after: str, context: int = 1) -> list[DiffRow]:
    """A readable line diff; a changed line is shown word by word."""
    old_lines, new_lines = before.split("\n"), after.split("\n")
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows: list[DiffRow] = []
    for group_number, group in enumerate(matcher.get_grouped_opcodes(context)):
        if group_number:
            rows.append(DiffRow("gap", []))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows_for(tag, old_lines[i1:i2], new_lines[j1:j2]))
    return rows


def _rows_for(tag: str, old: list[str], new: list[str]) -> list[DiffRow]:
    if tag == "equal":
        return [DiffRow("same", [("same", line)]) for line in old]
    if tag == "replace" and len(old) == len(new):
        return [DiffRow("changed", _word_diff(a, b)) for a, b in zip(old, new, strict=True)]
    return [DiffRow("removed", [("del", line)]) for line in old] + [DiffRow("added", [("ins", line)]) for line in new]


def _word_diff(before: str, after: str) -> list[tuple[str, str]]:
    old_words, new_words = before.split(" "), after.split(" ")
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    segments: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("same", " ".join(old_words[i1:i2]) + " "))
            continue
        if i2 > i1:
            segments.append(("del", " ".join(old_words[i1:i2]) + " "))
        if j2 > j1:
            segments.append(("ins", " ".join(new_words[j1:j2]) + " "))
    return segments
