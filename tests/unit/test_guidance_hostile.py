"""Guidance files that used to crash the parser, or to load on SQLite and fail on PostgreSQL: each is now a
GuidanceError naming the file and line (or, for an odd file name, a clean load)."""

from __future__ import annotations

import os

import pytest

from consult_app.models.document import SLUG_MAX, SOURCE_PATH_MAX
from consult_app.services.guidance_source import GuidanceError, parse_file, parse_text

BODY = "\n\n## One {#one}\n\nText.\n"


def source(front_matter: str, body: str = BODY) -> str:
    return f"---\n{front_matter}\n---{body}"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (source("title: T", "\n\n## One\n\nA NUL\x00 here.\n"), 7, "NUL character"),
        (source('title: "Nul \\0 in YAML"'), 2, "'title' contains the NUL character"),
        (
            source('title: T\nsummary: "\\ud800"'),
            3,
            "'summary' contains the NUL character (U+0000) or a lone surrogate",
        ),
        (
            source("title: T\nconsultation:\n  opens: 2026-02-30T09:00:00Z\n  closes: 2026-03-01"),
            2,
            "day is out of range",
        ),
        (source("title: T\nslug: 2026-13-01"), 2, "month must be in 1..12"),
        (source("title: T\nsummary: !!int x"), 2, "cannot be read"),
        (source("title: " + "[" * 3000), 2, "nested too deeply"),
        (
            source("title: T\nconsultation:\n  opens: 2026-01-01\n  closes: 9999-12-31T23:00:00-05:00"),
            5,
            "'closes' is out of the range of dates",
        ),
        (
            source("title: T", "\n\n## Deep {#deep}\n\n" + "".join("    " * n + "- x\n" for n in range(300))),
            5,
            "nested too deeply",
        ),
        (source("title: " + "t" * 200), 2, f"is longer than {SLUG_MAX} characters"),
        (
            # Stored fine, but shown in a time zone east of UTC it was past the end of the calendar: a 500.
            source("title: T\nconsultation:\n  opens: 2026-01-01\n  closes: 9999-12-31T23:30:00Z"),
            5,
            "'closes' must be in the years 2 to 9998",
        ),
        (source("title: T\nconsultation:\n  opens: 0001-01-01\n  closes: 2026-01-01"), 4, "'opens' must be in"),
    ],
)
def test_refused_with_the_line(text, line, words):
    with pytest.raises(GuidanceError) as raised:
        parse_text(text, "g.md")
    assert raised.value.line == line and words in raised.value.message, (raised.value.line, raised.value.message)


def test_a_slug_made_from_a_long_file_name_is_refused(tmp_path):
    path = tmp_path / f"{'a' * 100}.md"
    path.write_text(source("title: T"), encoding="utf-8")
    with pytest.raises(GuidanceError, match=f"longer than {SLUG_MAX} characters; add a shorter 'slug:'"):
        parse_file(path)


def test_a_file_name_that_is_not_utf8_is_shown_with_replacement_characters(tmp_path):
    path = tmp_path / os.fsdecode(b"caf\xe9.md")
    path.write_text(source("title: T\nslug: cafe"), encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.path.endswith("caf\ufffd.md") and parsed.slug == "cafe"
    parsed.path.encode("utf-8")  # storable


def test_a_path_too_long_for_its_column_keeps_its_end(tmp_path):
    folder = tmp_path
    while len(str(folder)) < SOURCE_PATH_MAX + 50:
        folder = folder / ("d" * 200)
    folder.mkdir(parents=True)
    path = folder / "long.md"
    path.write_text(source("title: T"), encoding="utf-8")
    parsed = parse_file(path)
    assert len(parsed.path) == SOURCE_PATH_MAX and parsed.path.startswith("...") and parsed.path.endswith("/long.md")


def test_a_path_with_a_nul_cannot_be_read(tmp_path):
    with pytest.raises(GuidanceError, match="cannot read the file"):
        parse_file(tmp_path / "a\x00b.md")
