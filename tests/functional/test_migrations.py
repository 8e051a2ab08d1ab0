"""The migrations and the models describe the same schema (what `flask db check` verifies)."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from consult_app.extensions import db
from consult_app.models.search import is_model_object
from tests.conftest import make_app


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        # The same options as migrations/env.py: the full-text search objects are outside the models.
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": is_model_object})
        return compare_metadata(context, db.metadata)


def test_migrated_database_matches_the_models(app_context):
    # The run's database was built by `flask db upgrade` alone (see conftest).
    assert schema_differences(db.engine) == []


def test_migrations_go_down_and_up_again(fresh_database):
    app = make_app(fresh_database("updown"))
    with app.app_context():
        flask_migrate.upgrade()
        assert {"documents", "versions", "sections"} <= set(inspect(db.engine).get_table_names())
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert schema_differences(db.engine) == []
        db.engine.dispose()


def test_a_difference_would_be_noticed(app_context):
    # Guard against a check that cannot fail: a table the migrations never made must show up.
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": is_model_object})
        differences = compare_metadata(context, extra)
    assert [difference[0] for difference in differences] == ["add_table"]


def test_upgrading_a_populated_database_keeps_its_rows(fresh_database):
    """`db upgrade` is run on every deploy, on databases full of comments: later revisions must cope."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    app = make_app(fresh_database("populated"))
    with app.app_context():
        flask_migrate.upgrade(revision="0003")
        statements = [
            "INSERT INTO documents (id, slug, title, summary, source_path, current_version_number, created_at, "
            "updated_at) VALUES (1, 'd', 'D', '', 'd.md', 1, :now, :now)",
            "INSERT INTO versions (id, document_id, number, title, content_hash, source, preamble_md, preamble_html, "
            "loaded_at) VALUES (1, 1, 1, 'D', 'h', 's', '', '', :now)",
            "INSERT INTO users (id, email, display_name, organisation, respondent_type, country, role, active, "
            "password_hash, session_token, created_at) VALUES (1, 'a@example.org', 'A', '', 'individual', '', "
            "'reviewer', true, 'x', 't', :now)",
            "INSERT INTO comments (id, document_id, version_id, section_key, author_id, parent_id, kind, quote, "
            "body_md, body_html, publication, status, created_at, updated_at) VALUES "
            "(1, 1, 1, 'k', 1, NULL, 'general', '', 'b', '<p>b</p>', 'public_named', 'approved', :now, :now),"
            "(2, 1, 1, 'k', 1, 1, 'general', '', 'r', '<p>r</p>', 'private', 'pending', :now, :now)",
        ]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), {"now": datetime(2026, 1, 1, tzinfo=UTC)})
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, parent_id, response, moderation_note FROM comments ORDER BY id"))
            assert [tuple(row) for row in rows] == [(1, None, "", ""), (2, 1, "", "")]
        assert schema_differences(db.engine) == []
        db.engine.dispose()


def test_upgrade_on_every_deploy_leaves_a_populated_database_alone(fresh_database, tmp_path):
    """`flask --app wsgi db upgrade` again on a database already at the newest revision, full of rows: a no-op."""
    from sqlalchemy import func, select, text

    from consult_app.models import Comment, Document, ModerationEvent, User
    from tests.factories import make_comment, make_document, make_user

    app = make_app(fresh_database("redeploy"))
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        document = make_document(tmp_path)
        author = make_user("reviewer")
        parent = make_comment(author, document, status="approved")
        make_comment(author, document, parent_id=parent.id, publication="private")
        db.session.add(ModerationEvent(comment_id=parent.id, actor_label="x", field="status", to_value="approved"))
        db.session.commit()

        def snapshot():
            with db.engine.connect() as connection:
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = (Document, User, Comment, ModerationEvent)
            counts = [db.session.scalar(select(func.count()).select_from(table)) for table in tables]
            return revision, counts, db.session.execute(select(Comment.id, Comment.parent_id, Comment.status)).all()

        before = snapshot()
        for _ in range(2):
            db.session.remove()
            result = runner.invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
        # Users: the author and the factory's moderator; events: its approval of the parent and the one added here.
        assert snapshot() == before and before[1] == [1, 2, 2, 2]
        assert schema_differences(db.engine) == []
        db.session.remove()
        db.engine.dispose()


def test_upgrade_forgets_the_names_of_staff_deleted_before_the_trail_did(fresh_database):
    """Revision 0008: events whose actor is gone lose the name and email kept in their label."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    app = make_app(fresh_database("deleted-staff"))
    with app.app_context():
        flask_migrate.upgrade(revision="0007")
        now = datetime(2026, 1, 1, tzinfo=UTC)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, organisation, respondent_type, country, role, active, "
                    "password_hash, created_at) VALUES (1, 'kept@example.org', 'Kept Moderator', '', 'individual', '', "
                    "'moderator', true, 'x', :now)"
                ),
                {"now": now},
            )
            labels = [(None, "Gone Moderator <gone@example.org>"), (None, "command line"), (1, "Kept Moderator")]
            for number, (actor, label) in enumerate(labels, start=1):
                connection.execute(
                    text(
                        "INSERT INTO moderation_events (id, subject_user_id, actor_id, actor_label, field, to_value, "
                        "reason, created_at) VALUES (:id, 1, :actor, :label, 'role', 'moderator', '', :now)"
                    ),
                    {"id": number, "actor": actor, "label": label, "now": now},
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT actor_label FROM moderation_events ORDER BY id")).scalars().all()
        assert rows == ["Deleted account", "command line", "Kept Moderator"]
        db.engine.dispose()
