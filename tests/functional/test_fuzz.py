"""Property-based tests (hypothesis) of the three places that take arbitrary text or bytes from outside:

- the guidance loader: any Markdown with any front matter either loads cleanly (and loads again as
  "unchanged") or is refused with a GuidanceLoadError, never another exception, and a refused load leaves the
  database exactly as it was;
- the comment renderer: whatever goes in, the HTML that comes out has only the allowed tags, attributes and
  link schemes (text.COMMENT_TAGS; href and rel on <a>; http, https, mailto or a relative address);
- the response-log import: any bytes give a report (ImportFileError or a plan) and, through the web pages, a
  200 or a 400, never an exception or a 500; a clean plan applies or is refused with ApplyError.

Examples are derandomised (the same every run, so CI is repeatable) and few, so the whole file takes seconds;
run it with a larger HYPOTHESIS_MAX_EXAMPLES to search longer, e.g. HYPOTHESIS_MAX_EXAMPLES=2000.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, Document, Section, Version
from consult_app.services import export, importer, moderation
from consult_app.services.guidance import GuidanceLoadError, load_guidance
from consult_app.text import COMMENT_LINK_REL, COMMENT_TAGS, LINK_PROTOCOLS, render_comment
from tests import corpora
from tests.factories import make_comment, make_document, make_user

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the guidance loader ------------------------------------------------------------------------------------

WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
YAML_VALUES = st.one_of(
    WORDS,
    st.sampled_from(
        [
            '"\\0"',
            '"a\\ud800b"',
            '"\\x41\\u00e9"',
            "'single ''quoted'''",
            "|\n  block\n  text",
            "[a, b]",
            "{a: b}",
            "2026-10-01",
            "2026-02-30",
            "2026-13-01T00:00:00Z",
            "2026-10-01T09:00:00+14:00",
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:00:00+05:00",
            "10:00:00",
            "!!int x",
            "!!binary aGk=",
            "!!python/object:os.system x",
            "&a [*a]",
            "*undefined",
            "~",
            "null",
            "true",
            "1e999",
            "0x1F",
            ".nan",
            "-",
            "? complex",
            "[" * 50,
            "x" * 400,
            "a-slug",
            "UPPER-Slug",
            "t" * 90,
        ]
    ),
)
FRONT_KEYS = st.sampled_from(["title", "slug", "summary", "consultation", "extra", "Title", "opens"])
HEADINGS = st.one_of(
    WORDS.map(lambda text: f"## {text}"),
    st.tuples(WORDS, WORDS).map(lambda pair: f"## {pair[0]} {{#{pair[1]}}}"),
    st.sampled_from(["## ", "##", "## v1", "## A {#v2}", "## Same {#same}", "## Same {#same}", "### Sub", "#### "]),
)
BODY_LINES = st.one_of(
    WORDS,
    st.sampled_from(
        [
            "",
            "```",
            "~~~",
            "    code",
            "> quote",
            "- item",
            "1. item",
            "| a | b |",
            "|---|---|",
            "<script>x</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "![i](data:x)",
            "<!-- c -->",
            "---",
            "...",
            "\ufeff",
            "\u202e",
            "&#0;",
            "<h1>big</h1>",
            "*" * 30,
            "_" * 30,
            "[" * 30,
        ]
    ),
    st.sampled_from(corpora.own_cases()),  # our own cases, beside the third-party corpora
)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
KEYS = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,15}\Z")
GOOD_DATES = st.sampled_from(
    ["2026-10-01T09:00:00Z", "2026-10-01", "2026-10-01 09:00:00+02:00", "2020-01-01T00:00:00Z"]
)
LATER_DATES = st.sampled_from(["2027-06-30T17:00:00Z", "2027-06-30", "2099-12-31T23:59:59-05:00"])


@st.composite
def guidance_files(draw) -> tuple[str, bytes]:
    """A file name and the bytes of a guidance file: a well-formed one (front matter, sections with
    Markdown), then up to two mutations that may or may not make it wrong."""
    # JSON strings are YAML's double-quoted strings.
    front = [f"title: {json.dumps(draw(TEXT), ensure_ascii=False)}"]
    if draw(st.booleans()):
        front.append(f"slug: {draw(KEYS)}")
    if draw(st.booleans()):
        front.append(f"summary: {json.dumps(draw(TEXT), ensure_ascii=False)}")
    if draw(st.booleans()):
        front.append(f"consultation:\n  opens: {draw(GOOD_DATES)}\n  closes: {draw(LATER_DATES)}")
    body = []
    for _ in range(draw(st.integers(1, 4))):
        key = f" {{#{draw(KEYS)}}}" if draw(st.booleans()) else ""
        body.append(f"## {draw(TEXT)}{key}")
        body.extend(draw(st.lists(BODY_LINES, max_size=6)))
    lines = ["---", *front, "---", "", *body]
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.integers(0, len(lines)))
        mutation = draw(st.sampled_from(["front value", "front key", "line", "drop line", "heading"]))
        if mutation == "front value":
            lines.insert(min(where, 2), f"{draw(st.sampled_from(['title', 'slug', 'summary']))}: {draw(YAML_VALUES)}")
        elif mutation == "front key":
            lines.insert(1, f"{draw(FRONT_KEYS)}: {draw(YAML_VALUES)}")
        elif mutation == "line":
            lines.insert(where, draw(st.one_of(BODY_LINES, st.sampled_from(["\x00", "---", "...", "##"]))))
        elif mutation == "drop line" and lines:
            lines.pop(min(where, len(lines) - 1))
        else:
            lines.insert(where, draw(HEADINGS))
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 19)) == 0:
        data += draw(st.binary(max_size=20))
    name = draw(st.sampled_from(["guide", "guide", "a" * 90, "Ünïcode name", "v1", "x.y", "-"]))
    return name, data


def row_counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Document, Version, Section))


@FUZZ
@given(guidance_files())
def test_the_loader_loads_cleanly_or_refuses_and_writes_nothing(app_context, example):
    name, data = example
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.md"
        path.write_bytes(data)
        before = row_counts()
        try:
            reports = load_guidance([path])
            db.session.commit()
        except GuidanceLoadError as error:
            event(f"refused: {error.errors[0].message.split(chr(39))[0][:30]}")  # see --hypothesis-show-statistics
            db.session.rollback()
            assert row_counts() == before
            return
        [report] = reports
        event("loaded")
        document = db.session.scalar(select(Document).where(Document.slug == report.slug))
        assert document is not None and len(document.versions[-1].sections) == report.sections
        again = load_guidance([path])
        db.session.commit()
        assert again[0].action == "unchanged"


# --- the comment renderer -----------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "!",
        "&",
        "#",
        ";",
        ":",
        '"',
        "'",
        "`",
        "*",
        "_",
        "\n",
        "\n\n",
        " ",
        "\t",
        "\\",
        "javascript:",
        "JaVaScRiPt:",
        "vbscript:",
        "data:text/html,",
        "livescript:",
        "mailto:",
        "http://",
        "https://",
        "//",
        "www.",
        "<a href=",
        "<img src=x onerror=",
        "<script>",
        "</script>",
        "<svg onload=",
        "<!--",
        "-->",
        "&#106;",
        "&#x6A;",
        "&#0000106",
        "&Tab;",
        "&colon;",
        "&#58;",
        "&NewLine;",
        "\u200b",
        "\u00ad",
        "\u202e",
        "\ufeff",
        "\x01",
        "\x0b",
        "> ",
        "- ",
        "1. ",
        "    ",
        "```",
        "[x]: ",
        "<javascript:",
        "](",
        "![",
        '"onmouseover=',
        "style=",
    ]
)
COMMENT_SOURCES = st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join)
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
C0_OR_SPACE = "".join(chr(code) for code in range(0x21))


def link_scheme(href: str) -> str | None:
    """The scheme a browser would see in `href` (WHATWG URL parsing: surrounding C0 controls and spaces and
    every tab or line break removed first), or None for a relative address."""
    cleaned = re.sub(r"[\t\n\r]", "", href.strip(C0_OR_SPACE))
    match = SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


class _Inventory(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in COMMENT_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            allowed = tag == "a" and name in ("href", "rel")
            if not allowed:
                self.problems.append(f"{name} on <{tag}>")
            elif name == "rel" and value != COMMENT_LINK_REL:
                self.problems.append(f"rel={value!r}")
            elif name == "href" and link_scheme(value or "") not in (None, *LINK_PROTOCOLS):
                self.problems.append(f"href={value!r}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self.problems.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.problems.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"<![{data}]>")


def problems_in(html: str) -> list[str]:
    inventory = _Inventory()
    inventory.feed(html)
    inventory.close()
    return inventory.problems


def test_the_checker_sees_what_it_must_refuse():
    """The checker below is only as good as this: it finds each kind of thing the renderer must never emit."""
    found = problems_in(
        '<p onclick="x"><img src=x><a href=" java\tscript:alert(1)">a</a><a href="x" rel="opener">b</a></p>'
        '<a href="&#106;avascript:x">c</a><!-- c --><a href="data:x">d</a><span>e</span>'
    )
    assert found == [
        "onclick on <p>", "<img>", "src on <img>", "href=' java\\tscript:alert(1)'", "rel='opener'",
        "href='javascript:x'", "<!-- c -->", "href='data:x'", "<span>",
    ]  # fmt: skip
    assert problems_in('<a href="https://e.org/x" rel="nofollow noopener">x</a><a href="/local">y</a><a>z</a>') == []


@FUZZ
@given(COMMENT_SOURCES)
def test_rendered_comments_keep_to_the_allow_lists(source):
    assert problems_in(render_comment(source)) == []


def test_every_corpus_vector_renders_within_the_allow_lists():
    vectors = corpora.xss_vectors() + corpora.own_cases() + corpora.naughty_strings()
    found = {vector: problems_in(render_comment(vector)) for vector in vectors}
    assert {vector: problems for vector, problems in found.items() if problems} == {}


# --- the response-log import --------------------------------------------------------------------------------

GOOD_REFERENCES = ["C-000001", "C-000002", "C-000003", "C-000004"]
ODD_REFERENCES = st.sampled_from(["C-1", "c-000002", "C-999999", "", "C-99999999999", "C-0000000", "=C-000001", "'C-3"])
GOOD_DISPOSITIONS = st.sampled_from(["noted", "accepted", "out_of_scope", "partially_accepted", ""])
ODD_DISPOSITIONS = st.sampled_from(["Noted", "maybe", "'=noted", " noted ", "noted\n"])
CELLS = st.one_of(
    st.text(st.characters(exclude_characters="\x00"), max_size=15),
    st.sampled_from(["=1+1", "'=1+1", "'-'", '"', "\r\n", ";", ",", "\t"]),
)
RESPONDED = st.one_of(
    st.sampled_from(["", "2026-01-05T09:30:00Z", "2026-01-05 09:30:00", "not a time", "9999-12-31T23:59:59-05:00"]),
    CELLS,
)
ODD_COLUMNS = st.sampled_from(["comment", "Reference", "", "reference ", "status"])


@st.composite
def response_logs(draw) -> bytes:
    """Bytes of a CSV that is usually a response log (reference, disposition and response columns in any order,
    rows of mostly real references and dispositions, saved as a spreadsheet might save it) with up to one
    mutation; one time in ten just noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = ["reference", "disposition", "response"]
    if draw(st.booleans()):
        header.append("responded_at")
    header.extend(draw(st.lists(ODD_COLUMNS, max_size=2)))
    header = draw(st.permutations(header))
    references = draw(st.permutations(GOOD_REFERENCES))
    rows = []
    for number in range(draw(st.integers(0, 6))):
        odd = draw(st.integers(0, 5)) == 0  # one cell in six (about) is off
        cells = {
            "reference": draw(ODD_REFERENCES) if odd or number >= 4 else references[number],
            "disposition": draw(ODD_DISPOSITIONS if draw(st.integers(0, 5)) == 0 else GOOD_DISPOSITIONS),
            "responded_at": draw(RESPONDED),
        }
        extra = draw(st.lists(CELLS, max_size=1)) if draw(st.integers(0, 9)) == 0 else []
        rows.append([cells[name] if name in cells else draw(CELLS) for name in header] + extra)
    buffer = io.StringIO()
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    if draw(st.integers(0, 4)):
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
        writer.writerows([header, *rows])
        text = buffer.getvalue()
    else:  # written by hand, without any quoting: cells with delimiters or quotes make ragged or broken rows
        text = "".join(delimiter.join(row) + newline for row in [header, *rows])
    if draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(['"', "\n", "\x00", "", "\ufeff"])) + text[cut:]
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "utf-16-be", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    return (codecs.BOM_UTF8 + data) if encoding == "utf-8" and draw(st.booleans()) else data


@pytest.fixture
def answered_log(app_context, tmp_path):
    """Four comments, one already answered, and a moderator to apply with."""
    document = make_document(tmp_path)
    author, moderator = make_user("reviewer"), make_user("moderator")
    comments = [make_comment(author, document, status="approved", body=f"Comment {n}") for n in range(4)]
    moderation.set_disposition(moderator, comments[2], "noted", "Already answered.")
    db.session.commit()
    return moderator


def answers() -> list[tuple]:
    db.session.expire_all()
    return [(c.disposition, c.response) for c in db.session.scalars(select(Comment).order_by(Comment.id))]


@FUZZ
@given(response_logs())
def test_the_importer_reports_on_any_bytes(answered_log, data):
    before = answers()
    try:
        parsed = importer.parse(data)
    except importer.ImportFileError as error:
        event(f"file refused: {str(error).split(chr(39))[0][:30]}")
        return
    plan = importer.plan(parsed)
    assert len(plan.changes) + len(plan.errors) + plan.unchanged + plan.unanswered >= len(parsed.rows)
    event(f"plan: {len(plan.changes)} changes, {len(plan.errors)} errors")
    try:
        importer.apply(answered_log, plan, {change.reference for change in plan.conflicts})
    except importer.ApplyError:
        db.session.rollback()
        assert answers() == before  # refused as a whole
    else:
        db.session.rollback()  # keep the four comments as they were for the next example


@pytest.fixture
def moderator_client(client, answered_log, login_as):
    login_as("moderator")
    return client


@FUZZ
@given(response_logs())
def test_the_import_pages_answer_any_upload_with_a_report(moderator_client, data):
    client = moderator_client
    before = answers()
    response = client.post("/moderation/import", data={"file": (io.BytesIO(data), "upload.csv")})
    assert response.status_code in (200, 400), response.status_code
    match = re.search(r'name="plan" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    if match is None:
        assert answers() == before  # a dry run writes nothing
        return
    applied = client.post("/moderation/import/apply", data={"plan": match.group(1)})
    event(f"apply answered {applied.status_code}")
    assert applied.status_code in (302, 400, 409), applied.status_code
    if applied.status_code != 302:
        assert answers() == before


def test_an_exported_log_is_a_fixed_point_of_the_import(answered_log):
    """The property the fuzzing above cannot state: the export, read back unedited, changes nothing."""
    text = "".join(export.csv_chunks(export.rows(export.ExportFilters())))
    plan = importer.plan(importer.parse(text.encode("utf-8")))
    assert (plan.changes, plan.errors, plan.unchanged, plan.unanswered) == ([], [], 1, 3)
