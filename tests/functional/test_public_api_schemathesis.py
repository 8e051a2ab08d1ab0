"""schemathesis against the public API, in-process through WSGI, on this run's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): every operation of the OpenAPI description with its examples, coverage and fuzzing phases,
valid and invalid data, and every check schemathesis has (no 5xx, status codes, content types, headers and
bodies as described, invalid data refused with a 4xx, valid data accepted); then its stateful run, which follows
the description's links from the list of documents to a document, its versions, comments and figures.

The data is a small consultation with comments in every state and publication choice, replies, answers, an
author who deleted the account, and a second version that removed a commented section, so that there is
something to page through and every kind of comment the API must show, or hide, is there.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from consult_app import create_app
from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.services import accounts, moderation
from consult_app.services.guidance import load_guidance
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, factory_moderator, make_comment, make_document, make_user, write_guidance
from tests.support.databases import empty_all_tables

EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40"))
QUICK = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
STATES = ["approved", "approved", "pending", "approved", "rejected", "withdrawn"]
PUBLICATIONS = ["public_named", "public_anonymous", "private"]
KINDS = ["general", "suggestion", "concern", "support"]
DISPOSITIONS = ["accepted", "noted", "not_accepted"]
SECOND_VERSION = [
    ("Introduction {#introduction}", "Why this guidance exists, now with more words."),
    ("Bias and fairness", "Models can be unfair to small groups."),
]


def seed_consultation(folder) -> None:
    """A document in two versions with about thirty comments of every kind (see the module's docstring)."""
    document = make_document(folder)
    people = [
        make_user(email="named@example.org", name="Named Person"),
        make_user(email="academic@example.org", respondent_type="academia_research", organisation=""),
        make_user(email="leaving@example.org", respondent_type="individual"),
    ]
    keys = ["introduction", "public-good", "bias-and-fairness"]
    published = []
    for number in range(24):
        comment = make_comment(
            people[number % 3],
            document,
            keys[number % 3],
            status=STATES[number % len(STATES)],
            publication=PUBLICATIONS[number % 3] if number % 5 else "public_named",
            kind=KINDS[number % 4],
            quote="serve the" if keys[number % 3] == "public-good" and number % 2 else "",
        )
        if comment.status == "approved" and comment.publication != "private":
            published.append(comment)
    for number, parent in enumerate(published[:4]):
        make_comment(people[number % 2], document, parent.section_key, status="approved", parent_id=parent.id)
    moderator = factory_moderator()
    for number, comment in enumerate(published[::2]):
        moderation.set_disposition(moderator, db.session.get(Comment, comment.id), DISPOSITIONS[number % 3], "Thanks.")
    accounts.delete_account(people[2], DEFAULT_PASSWORD)
    db.session.commit()
    load_guidance([write_guidance(folder, sections=SECOND_VERSION)])  # version 2: public-good is gone
    db.session.commit()
    make_comment(people[0], document, "introduction", status="approved")


@pytest.fixture(scope="module")
def api_app(database_url, tmp_path_factory):
    app = make_app(database_url)
    with app.app_context():
        seed_consultation(tmp_path_factory.mktemp("guidance"))
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables(db.engine, db.metadata)
        db.engine.dispose()


# The description is read once, when the tests are collected, from an app that needs no database (the description
# is made from the code); the calls go to the seeded app. (schemathesis's from_fixture would load it per test, but
# relies on a pytest attribute that pytest 9 no longer has.)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
)


@schema.parametrize()
@QUICK
def test_every_operation(case, api_app):
    case.call_and_validate(app=api_app)


def test_following_the_links_between_operations(api_app):
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"app": api_app}

    Workflow.run(settings=settings(QUICK, max_examples=max(EXAMPLES // 2, 5), stateful_step_count=6))
