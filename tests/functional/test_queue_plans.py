"""On PostgreSQL, the moderation queue's keyset statements read the (status, created_at, id) index.

A statement the planner may answer with a sequential scan costs what the table's physical order and the other
scans running at the time make it cost: at 200,000 pending comments, asking "is there a page before this one?"
read 140,000 rows (26 ms) when a synchronized scan started mid-table (bench/moderation_queue.py found it).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text

from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.services import moderation
from tests.factories import make_comment, make_document, make_user
from tests.support.databases import is_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not is_postgres(os.environ.get("TEST_DATABASE_URL") or "sqlite://"),
        reason="needs TEST_DATABASE_URL pointing at PostgreSQL: these are PostgreSQL's query plans",
    ),
]
PENDING = 20_000
KEYSET = "(comments.created_at, comments.id)"


def add_pending(document, count: int) -> list[int]:
    """`count` pending comments in one insert, a second apart, copied from one written through the service."""
    model = make_comment(make_user("reviewer"), document)
    columns = {c.key: getattr(model, c.key) for c in Comment.__table__.columns if c.key != "id"}
    rows = [{**columns, "created_at": model.created_at + timedelta(seconds=n)} for n in range(1, count + 1)]
    db.session.execute(insert(Comment.__table__), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE comments"))
    db.session.commit()
    return list(db.session.scalars(select(Comment.id).order_by(Comment.created_at, Comment.id)))


def test_keyset_statements_read_the_index_however_deep_the_page(app, client, tmp_path, login_as):
    login_as("moderator")
    with app.app_context():
        ids = add_pending(make_document(tmp_path), PENDING)
        # A tenth of the way in: "is there anything before?" matches 2,000 rows, enough for a scan to look cheap.
        cursor = str(moderation.Cursor.of(db.session.get(Comment, ids[PENDING // 10])))
        engine = db.engine
    statements: list[tuple[str, object]] = []

    def keep(conn, cursor_, statement, parameters, context, executemany):
        if KEYSET in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(f"/moderation/?after={cursor}").status_code == 200
        assert client.get(f"/moderation/?before={cursor}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)

    assert len(statements) >= 4  # each page, and whether there is one the other way
    with engine.connect() as connection:
        for statement, parameters in statements:
            plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
            # Every comment here is pending, so the worklist's (created_at, id) index, filtered on a status every
            # row has, reads the page in order as cheaply as the queue's (status, created_at, id) one: either will do,
            # as long as the rows come from a keyset index in order, not a scan and a sort.
            keyset_index = "ix_comments_status_created" in plan or "ix_comments_created" in plan
            assert keyset_index and "Seq Scan" not in plan and "Sort" not in plan, f"{statement}\n{plan}"
