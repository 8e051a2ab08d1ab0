"""How the response log writes values: timestamps, and the same rows whichever way they are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from consult_app.services import export


def test_timestamps_are_utc_to_the_second_with_a_z():
    paris_winter = timezone(timedelta(hours=1))
    assert export.iso(datetime(2026, 11, 28, 15, 35, 7, 999_999, tzinfo=paris_winter)) == "2026-11-28T14:35:07Z"
    assert export.iso(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == "2027-01-01T00:00:00Z"
    assert export.iso(None) == ""


def test_each_column_of_the_query_lands_in_its_field():
    """_as_row reads the query's columns by name (_Record): a record built in the query's own column order must
    come out with every value in the field of the same name, and the comment's themes in their own column."""
    keys = [column.key for column in export._row_query().selected_columns]
    submitted = datetime(2026, 11, 28, 14, 35, tzinfo=UTC)
    values = {key: f"<{key}>" for key in keys}
    values.update(comment_id=42, parent_id=7, version=3, section_number=5, author_id=9, created_at=submitted)
    values.update(moderated_at=submitted + timedelta(hours=1), responded_at=submitted + timedelta(days=1))
    assert len(values) == len(keys) == 28
    assert export._as_row(tuple(values[key] for key in keys), "Bias; Privacy") == {
        "reference": "C-000042",
        "document": "<slug>",
        "version": "3",
        "section_number": "5",
        "section_key": "<section_key>",
        "section_title": "<section_title>",
        "parent_reference": "C-000007",
        "kind": "<kind>",
        "quote": "<quote>",
        "comment": "<body_md>",
        "publication": "<publication>",
        "status": "<status>",
        "submitted_at": "2026-11-28T14:35:00Z",
        "author_name": "<display_name>",
        "author_email": "<email>",
        "organisation": "<organisation>",
        "respondent_type": "<respondent_type>",
        "country": "<country>",
        "moderated_by": "<moderator_name>",
        "moderated_at": "2026-11-28T15:35:00Z",
        "moderation_reason": "<moderation_reason>: <moderation_note>",
        "disposition": "<disposition>",
        "response": "<response>",
        "responded_by": "<responder_name>",
        "responded_at": "2026-11-29T14:35:00Z",
        "themes": "Bias; Privacy",
        "language": "<language>",
    }
