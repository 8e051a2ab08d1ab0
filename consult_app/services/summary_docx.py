"""The summary of responses as a Word document (python-docx): the same headings, numbering, tables and text as
the web page (templates/summary/responses.html), for a drafting team that edits in Word.

Text goes in literally, as the authors wrote it (their Markdown source; Word shows no markup), with one
exception: characters XML 1.0 cannot hold at all (C0 control characters other than tab, line feed and
carriage return; lone surrogates; U+FFFE and U+FFFF), which python-docx refuses. Each is replaced with U+FFFD
(the replacement character "�"), so the reader sees that something was there rather than losing it silently.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from flask_babel import gettext, ngettext

from consult_app.i18n import current_language
from consult_app.services.summary import Quoted, SectionSummary, Summary, Tally

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
LINK_COLOUR = "0B4F8A"  # the site's link colour (static/consult.css)


def xml_safe(text: str) -> str:
    """`text` with every character XML cannot hold replaced by U+FFFD (see the module docstring)."""
    return NOT_XML.sub(REPLACEMENT, str(text or ""))  # str(): labels are lazy translations


def summary_docx(summary: Summary, published_words: str) -> bytes:
    """The .docx file's bytes, in the language of the request (as the page). `published_words` says when it was
    published (or that it is a preview), as the page says it, in the site's time zone (the caller formats it:
    services do not know the time zone)."""
    import docx  # deferred: python-docx (and lxml) only for this download, not at every start-up

    word = docx.Document()
    title = gettext("Summary of responses: %(title)s", title=summary.document.title)
    word.core_properties.title = xml_safe(title)
    word.core_properties.language = current_language()
    word.add_heading(xml_safe(title), level=0)
    version = gettext("Version %(number)d.", number=summary.version.number)
    word.add_paragraph(xml_safe(f"{version} {published_words}"))
    _who_responded(word, summary)
    for section in summary.sections:
        _section(word, section)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _who_responded(word, summary: Summary) -> None:
    word.add_heading(gettext("Who responded"), level=1)
    people = ngettext("%(num)d person", "%(num)d people", summary.people)
    word.add_paragraph(
        ngettext(
            "%(num)d comment from %(people)s.", "%(num)d comments from %(people)s.", summary.comments, people=people
        )
    )
    if summary.comments:
        _tally_table(word, gettext("Respondent type"), summary.by_type)
        _tally_table(word, gettext("Country"), summary.by_country)


def _tally_table(word, heading: str, tallies: list[Tally]) -> None:
    unknown = gettext("not known")  # people behind the comments of deleted accounts
    rows = [
        (tally.label, unknown if tally.people is None else str(tally.people), str(tally.comments)) for tally in tallies
    ]
    _table(word, (heading, gettext("People"), gettext("Comments")), rows)


def _section(word, section: SectionSummary) -> None:
    word.add_heading(xml_safe(section.label), level=1)
    word.add_paragraph(_count_words(section))
    if section.themes:
        word.add_heading(gettext("Main themes"), level=2)
        _table(word, (gettext("Theme"), gettext("Comments")), [(name, str(count)) for name, count in section.themes])
    if section.notes:
        word.add_heading(gettext("Changes made in response to comments"), level=2)
        for note in section.notes:
            word.add_paragraph(xml_safe(gettext("Version %(number)d: %(note)s", number=note.version, note=note.text)))
    if section.quoted:
        word.add_heading(gettext("You said, we did"), level=2)
        table = _table(word, (gettext("You said"), gettext("We did")), [])
        for quoted in section.quoted:
            cells = table.add_row().cells
            _you_said(cells[0], quoted)
            _we_did(cells[1], quoted)


def _count_words(section: SectionSummary) -> str:
    """The same sentence as the page: '3 comments, of which 1 private (counted, not quoted).'"""
    if section.private:
        return ngettext(
            "%(num)d comment, of which %(private)d private (counted, not quoted).",
            "%(num)d comments, of which %(private)d private (counted, not quoted).",
            section.comments,
            private=section.private,
        )
    return ngettext("%(num)d comment.", "%(num)d comments.", section.comments)


def _you_said(cell, quoted: Quoted) -> None:
    heading = cell.paragraphs[0]
    _hyperlink(heading, quoted.reference, quoted.link)
    heading.add_run(xml_safe(f" {quoted.author} ({quoted.kind})"))
    if quoted.parent_reference:
        cell.add_paragraph(gettext("In reply to %(reference)s", reference=quoted.parent_reference))
    if quoted.quote:
        cell.add_paragraph().add_run(xml_safe(f"“{quoted.quote}”")).italic = True
    cell.add_paragraph(xml_safe(quoted.body))


def _we_did(cell, quoted: Quoted) -> None:
    cell.paragraphs[0].add_run(xml_safe(quoted.disposition or gettext("No response yet"))).bold = True
    if quoted.response:
        cell.add_paragraph(xml_safe(quoted.response))


def _table(word, headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A bordered table whose first row is a header row (repeated on each page, read as such by screen readers)."""
    from docx.oxml import OxmlElement  # deferred with docx (see summary_docx)
    from docx.oxml.ns import qn

    table = word.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = xml_safe(text)
    return table


def _hyperlink(paragraph: Paragraph, text: str, url: str) -> None:
    """A real link in Word (python-docx has no call for one): a relationship to `url` and a w:hyperlink run."""
    from docx.opc.constants import RELATIONSHIP_TYPE  # deferred with docx (see summary_docx)
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    relationship = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relationship)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    colour, underline = OxmlElement("w:color"), OxmlElement("w:u")
    colour.set(qn("w:val"), LINK_COLOUR)
    underline.set(qn("w:val"), "single")
    properties.extend([colour, underline])
    run.append(properties)
    words = OxmlElement("w:t")
    words.text = xml_safe(text)
    run.append(words)
    link.append(run)
    paragraph._p.append(link)
