"""The CSV response log has three writers: the reference (csv_chunks over rows(), cells made in Python), the
download's and the CLI's csv_text, whose cells the database makes (services/export.py: _csv_query), and on
PostgreSQL, COPY writing the rows itself (_copy_query). All three must give the same bytes, whatever the cells
hold: formulas, quotes, commas, line breaks, themes, deleted accounts, notes with and without a reason. The suite
runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL, which takes the COPY path."""

from __future__ import annotations

import pytest

from consult_app.extensions import db
from consult_app.models import User
from consult_app.services import export, moderation, themes
from tests.factories import make_comment, make_document, make_user

AWKWARD = [
    "=SUM(A1)",
    "+1",
    "-minus",
    "@at",
    "\ttab",
    "'quoted",
    'He said "a, b"',
    "two\nlines",
    "carriage\r\nreturn",
    "\\.",
    "",
    "Naïve “quotes”, ünïcödé",
]


@pytest.fixture
def awkward(app_context, tmp_path):
    document = make_document(tmp_path)
    other = make_document(tmp_path, slug="other-guidance", title="Other guidance")
    moderator = make_user("moderator", name='=Moderator, "Mo"')
    authors = [make_user("reviewer", name=name or "Plain", organisation=name) for name in AWKWARD]
    frame = [themes.create_theme(moderator, document, name) for name in ("privacy", "Bias", "=SUM(A1)", "ü, “x”")]
    elsewhere = [themes.create_theme(moderator, other, name) for name in ("Zeta", "alpha", '"Quoted", too')]
    made = []
    for number, text in enumerate(AWKWARD):
        author = authors[number]
        comment = make_comment(
            author, document if number % 3 else other, key="public-good" if number % 2 else "introduction",
            quote="serve the public." if number % 4 == 1 else "", body=text or "Empty-looking", status="pending",
        )  # fmt: skip
        if number % 3 == 0:
            moderation.decide(moderator, comment.id, "approve", note=text)
            moderation.set_disposition(moderator, comment, "noted", text)
        elif number % 3 == 1:
            moderation.decide(moderator, comment.id, "reject", "spam", text)
        made.append(comment)
    db.session.commit()
    themes.tag([made[0].id, made[3].id], [theme.id for theme in elsewhere], moderator)
    themes.tag([made[1].id], [theme.id for theme in frame], moderator)
    db.session.commit()
    reply = make_comment(authors[1], other, key="introduction", parent_id=made[0].id, body="=reply", status="approved")
    db.session.delete(db.session.get(User, authors[2].id))  # a deleted account: its comments stay
    db.session.commit()
    return {"document": document, "other": other, "comments": made, "reply": reply}


FILTERS = [
    export.ExportFilters(),
    export.ExportFilters(document="other-guidance"),
    export.ExportFilters(status="approved"),
    export.ExportFilters(section="introduction"),
    export.ExportFilters(status="withdrawn"),  # nothing: the header alone
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("bom", [False, True])
def test_every_csv_writer_gives_the_same_bytes(awkward, filters, bom):
    reference = "".join(export.csv_chunks(export.rows(filters), bom=bom))
    assert "".join(export.csv_text(filters, bom=bom)) == reference
    if filters == export.ExportFilters():
        assert "'=SUM(A1)" in reference and '"two\nlines"' in reference and "Deleted account" in reference
        assert reference.count("\r\n") >= len(AWKWARD) + 2


def test_progress_counts_every_row(awkward):
    counted = []
    text = "".join(export.csv_text(export.ExportFilters(), progress=counted.append))
    assert sum(counted) == export.count_rows(export.ExportFilters()) and text


def test_an_abandoned_download_leaves_the_session_usable(awkward):
    chunks = export.csv_text(export.ExportFilters())
    next(chunks)
    chunks.close()  # the client went away after the header
    db.session.rollback()
    assert export.count_rows(export.ExportFilters()) == len(AWKWARD) + 1
