"""The older-version page's difference: rendered text, block by block and list item by list item, word by word."""

from __future__ import annotations

from consult_app.extensions import db
from consult_app.services import reading
from consult_app.services.guidance import compare_versions, load_guidance
from tests.factories import load_second_version, make_document, write_guidance

BEFORE = "Models need *care*.\n\n- keep a **log**\n- ask people\n- publish the code"
AFTER = "Models need *great care*.\n\n- keep a **log**\n- ask the people affected\n- publish the code"


def test_a_changed_list_item_is_its_own_line_and_no_markdown_shows(app_context, tmp_path):
    document = make_document(tmp_path, sections=[("Care {#care}", BEFORE)])
    load_second_version_with(tmp_path, AFTER)
    [comparison] = compare_versions(reading.version_with_sections(document, 1), reading.version_with_sections(document))
    rows = comparison.rendered_rows
    changed = [row for row in rows if row.kind == "changed"]
    assert [row.segments for row in changed] == [
        [("same", "Models need "), ("ins", "great "), ("same", "care. ")],
        [
            ("same", "ask "),
            ("ins", "the "),
            ("same", "people "),
            ("ins", "affected "),
        ],
    ]
    text = "".join(text for row in rows for _, text in row.segments)
    assert "*" not in text and "keep a log" in text and "- " not in text


def test_an_added_section_is_all_insertions(app_context, tmp_path):
    document = make_document(tmp_path)
    load_second_version(tmp_path)
    comparisons = compare_versions(reading.version_with_sections(document, 1), reading.version_with_sections(document))
    added = next(c for c in comparisons if c.status == "added")
    assert [(row.kind, row.segments) for row in added.rendered_rows] == [
        ("added", [("ins", "Accountability")]),
        ("added", [("ins", "Someone must answer for the model.")]),
    ]


def load_second_version_with(folder, body: str) -> None:
    load_guidance([write_guidance(folder, sections=[("Care {#care}", body)])])
    db.session.commit()
