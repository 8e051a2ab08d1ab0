"""Loading guidance into the database, and comparing two versions of a document."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Document, Section, Version
from consult_app.models.document import ORIGIN_FILE, ORIGIN_WEB
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
    if errors:
        raise GuidanceLoadError(errors)
    return [store_parsed(document, ORIGIN_FILE, keep_web_version=not replace_web_uploads) for document in parsed]


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


def store_parsed(parsed: ParsedDocument, origin: str, *, keep_web_version: bool = False) -> LoadReport:
    """Write one parsed document: a new document, a new version, or only its front matter. The caller commits.

    With `keep_web_version`, a current version that came from the web stays when `parsed` has other text."""
    document = db.session.scalar(select(Document).where(Document.slug == parsed.slug))
    if document is None:
        document = Document(slug=parsed.slug, current_version_number=1)
        db.session.add(document)
        _set_metadata(document, parsed)
        document.versions.append(new_version(parsed, 1, origin))
        db.session.flush()
        return _report(parsed, "created", 1)
    current = current_version(document)
    if current.content_hash == parsed.content_hash:
        changed = _set_metadata(document, parsed)
        db.session.flush()
        return _report(parsed, "metadata_updated" if changed else "unchanged", current.number)
    if keep_web_version and current.origin == ORIGIN_WEB:
        return _web_version_kept(document, current, parsed)
    number = current.number + 1
    document.versions.append(new_version(parsed, number, origin))
    document.current_version_number = number
    _set_metadata(document, parsed)
    db.session.flush()
    report = _report(parsed, "new_version", number)
    _describe_changes(report, current, parsed)
    return report


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
