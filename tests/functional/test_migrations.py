"""The migrations and the models describe the same schema (what `flask db check` verifies)."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from consult_app.extensions import db
from tests.conftest import make_app


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, extra)
    assert [difference[0] for difference in differences] == ["add_table"]
