from datetime import UTC, datetime

import pytest

from consult_app.services.guidance_source import GuidanceError, parse_file, parse_text, slugify
from tests.factories import guidance_text

FRONT = "---\ntitle: T\nslug: t\n---\n"


def refusal(text: str) -> GuidanceError:
    with pytest.raises(GuidanceError) as caught:
        parse_text(text, "g.md")
    return caught.value


def test_front_matter_and_sections_are_read():
    parsed = parse_text(guidance_text(title="My title", slug="my-doc", summary="Sum."), "g.md")
    assert (parsed.title, parsed.slug, parsed.summary) == ("My title", "my-doc", "Sum.")
    assert parsed.opens_at.tzinfo is not None and parsed.opens_at < parsed.closes_at
    assert [(s.number, s.key, s.title) for s in parsed.sections] == [
        (1, "introduction", "Introduction"),
        (2, "public-good", "Public good"),
        (3, "bias-and-fairness", "Bias and fairness"),
    ]


def test_subsections_stay_inside_their_section():
    parsed = parse_text(guidance_text(), "g.md")
    assert "<h3>Scope</h3>" in parsed.sections[0].html
    assert "What it covers." in parsed.sections[0].html
    assert "Scope" not in parsed.sections[1].html


def test_heading_lines_are_recorded():
    parsed = parse_text(FRONT + "\n## One\n\ntext\n\n## Two {#second}\n", "g.md")
    assert [(s.key, s.line) for s in parsed.sections] == [("one", 6), ("second", 10)]


def test_hash_headings_inside_code_fences_do_not_split():
    parsed = parse_text(FRONT + "## One\n\n```\n## not a heading\n```\n\n## Two\n", "g.md")
    assert [s.key for s in parsed.sections] == ["one", "two"]
    assert "## not a heading" in parsed.sections[0].source_md


def test_dates_in_several_forms_become_utc():
    text = "---\ntitle: T\nconsultation:\n  opens: 2026-01-02\n  closes: '2026-03-04T10:00:00+02:00'\n---\n## A\n"
    parsed = parse_text(text, "g.md")
    assert parsed.opens_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert parsed.closes_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def test_text_before_the_first_section_is_a_preamble():
    parsed = parse_text(FRONT + "An opening note.\n\n## One\n", "g.md")
    assert parsed.preamble_html == "<p>An opening note.</p>"


def test_content_hash_ignores_dates_and_summary():
    first = parse_text(guidance_text(summary="one"), "g.md")
    second = parse_text(guidance_text(summary="two"), "g.md")
    third = parse_text(guidance_text(sections=[("Other", "text")]), "g.md")
    assert first.content_hash == second.content_hash != third.content_hash


def test_slug_defaults_to_the_file_name(tmp_path):
    path = tmp_path / "My Guidance.md"
    path.write_text("---\ntitle: T\n---\n## A\n", encoding="utf-8")
    assert parse_file(path).slug == "my-guidance"


def test_slugify():
    assert slugify("Bias & fairness: a «primer»") == "bias-fairness-a-primer"
    assert slugify("Données personnelles") == "donnees-personnelles"
    assert slugify("数据") == ""


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("## A\n", 1, "missing front matter"),
        ("---\ntitle: T\n## A\n", 1, "not closed"),
        ("---\ntitle: [unclosed\n---\n## A\n", 2, "not valid YAML"),
        ("---\ntitle: T\nsummary: a: b\n---\n## A\n", 3, "not valid YAML"),
        ("---\n- a list\n---\n## A\n", 2, "key: value"),
        ("---\nslug: t\n---\n## A\n", 2, "no 'title'"),
        ("---\ntitle: '  '\n---\n## A\n", 2, "'title' is empty"),
        ("---\ntitle: T\ncolour: red\n---\n## A\n", 3, "unknown front matter key 'colour'"),
        ("---\ntitle: T\nslug: Not A Slug\n---\n## A\n", 3, "slug 'Not A Slug'"),
        ("---\ntitle: [1, 2]\n---\n## A\n", 2, "'title' must be text"),
        ("---\ntitle: T\nconsultation: soon\n---\n## A\n", 3, "'consultation' must contain"),
        ("---\ntitle: T\nconsultation:\n  opens: 2026-01-01\n---\n## A\n", 3, "exactly 'opens' and 'closes'"),
        ("---\ntitle: T\nconsultation:\n  opens: 2026-05-01\n  closes: 2026-04-01\n---\n## A\n", 5, "closes before"),
        ("---\ntitle: T\nconsultation:\n  opens: next week\n  closes: 2026-04-01\n---\n## A\n", 4, "'opens' is not"),
        (FRONT + "Only a preamble.\n", 5, "no sections"),
        (FRONT + "## One\n\n## Two {#one}\n", 7, "duplicate section key 'one' (first used on line 5)"),
        (FRONT + "## One\n\n## One\n", 7, "duplicate section key 'one'"),
        (FRONT + "## {#key}\n", 5, "has no title"),
        (FRONT + "##\n", 5, "has no title"),
        (FRONT + "## 数据\n", 5, "cannot make a key"),
        (FRONT + "## Title {#Bad Key}\n", 5, "section key 'Bad Key'"),
        (FRONT + "## Version two {#v2}\n", 5, "reserved"),
        (FRONT + "## Responses\n", 5, "reserved"),
        (FRONT + "## " + "x" * 301 + "\n", 5, "longer than 300"),
    ],
)
def test_bad_sources_are_refused_with_line_and_reason(text, line, words):
    error = refusal(text)
    assert error.line == line
    assert words in error.message
    assert str(error).startswith(f"g.md:{line}: ")


def test_non_utf8_file_is_refused_with_the_line(tmp_path):
    path = tmp_path / "latin.md"
    path.write_bytes(b"---\ntitle: T\n---\n## Caf\xe9\n")
    with pytest.raises(GuidanceError) as caught:
        parse_file(path)
    assert caught.value.line == 4
    assert "not valid UTF-8" in str(caught.value)
    assert "latin.md:4:" in str(caught.value)


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(tmp_path):
    path = tmp_path / "windows.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: T\r\n---\r\n## One\r\n\r\ntext\r\n")
    parsed = parse_file(path)
    assert [s.key for s in parsed.sections] == ["one"]
    assert "\r" not in parsed.source


@pytest.mark.parametrize("make", [lambda p: p / "missing.md", lambda p: p])
def test_unreadable_paths_are_refused(tmp_path, make):
    with pytest.raises(GuidanceError) as caught:
        parse_file(make(tmp_path))
    assert "cannot read the file" in str(caught.value)


def test_removed_html_is_warned_with_file_and_line():
    text = FRONT + "## One\n\nFine.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n"
    parsed = parse_text(text, "g.md")
    assert "<script" not in parsed.sections[0].html
    assert parsed.warnings == [
        "g.md:9: removed <script> element; it will not be shown",
        'g.md:11: removed href="javascript:alert(2)" on <a>; it will not be shown',
    ]
