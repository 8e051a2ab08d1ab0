"""The public read API (/api/v1/): what it shows, what it never shows, HTTP caching and CORS, problem details for
bad input, rate limits, the readable page /api/ and the snapshot command.

schemathesis runs over every operation in test_public_api_schemathesis.py; the property that the API lists
exactly the comments a visitor sees on the pages is in test_public_api_property.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from consult_app import http_cache
from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.services import accounts, moderation
from consult_app.services.counts import section_counts
from consult_app.services.guidance import load_guidance
from tests.factories import (
    DEFAULT_PASSWORD,
    factory_moderator,
    load_second_version,
    make_comment,
    make_user,
    session_token_for,
    sign_in_with,
    write_guidance,
)
from tests.functional.test_database_unavailable import FailingQueries
from tests.functional.test_security import limited_app

API = "/api/v1"
DOCUMENTS = f"{API}/documents"
DOCUMENT = f"{API}/documents/test-guidance"
COMMENTS = f"{DOCUMENT}/comments"
PROBLEM = "application/problem+json"


def get_json(client, url: str, status: int = 200, **kwargs) -> dict:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    expected = "application/json" if status == 200 else PROBLEM
    assert response.mimetype == expected
    return response.get_json(force=True)


def references(page: dict) -> list[str]:
    return [comment["reference"] for comment in page["comments"]]


@pytest.fixture
def reviewer(app_context):
    return make_user(email="named@example.org", name="Named Reviewer", organisation="Survey Office")


# --- documents and versions ---------------------------------------------------------------------------------


def test_documents_list_each_document_with_its_window_state_version_and_links(client, document):
    [listed] = get_json(client, DOCUMENTS)["documents"]
    assert listed["slug"] == "test-guidance" and listed["title"] == "Test guidance"
    assert listed["consultation"]["state"] == "open" and listed["current_version"] == 1
    assert listed["consultation"]["closes_at"].endswith("+00:00")
    assert listed["links"] == {
        "self": "http://localhost/api/v1/documents/test-guidance",
        "html": "http://localhost/guidance/test-guidance/",
        "comments": "http://localhost/api/v1/documents/test-guidance/comments",
        "statistics": "http://localhost/api/v1/documents/test-guidance/statistics",
    }


def test_a_document_has_its_sections_as_html_and_text_and_its_versions(client, document, reviewer):
    make_comment(reviewer, document, "public-good", status="approved")
    make_comment(reviewer, document, "public-good", status="pending")
    body = get_json(client, DOCUMENT)
    assert [s["key"] for s in body["sections"]] == ["introduction", "public-good", "bias-and-fairness"]
    public_good = body["sections"][1]
    assert public_good["number"] == 2 and public_good["title"] == "Public good"
    assert public_good["html"] == "<p>Statistics should serve the <em>public</em>.</p>"
    assert public_good["text"] == "Statistics should serve the public."
    assert public_good["comments"] == 1  # the pending one is not counted
    assert public_good["links"]["html"] == "http://localhost/guidance/test-guidance/public-good/"
    assert [v["number"] for v in body["versions"]] == [1]


def test_an_older_version_says_what_changed_per_section(client, document, tmp_path):
    load_second_version(tmp_path)
    old = get_json(client, f"{DOCUMENT}/versions/1")
    assert old["current"] is False and old["document"] == "test-guidance"
    assert [s["key"] for s in old["sections"]] == ["introduction", "public-good", "bias-and-fairness"]
    assert old["sections"][1]["links"]["html"] == "http://localhost/guidance/test-guidance/v1/#public-good"
    status = {change["key"]: change["status"] for change in old["changes"]}
    assert status == {
        "introduction": "changed",
        "public-good": "removed",
        "bias-and-fairness": "unchanged",
        "accountability": "added",
    }
    [introduction] = [change for change in old["changes"] if change["key"] == "introduction"]
    segments = [segment for line in introduction["lines"] for segment in line["segments"]]
    assert {"op": "ins", "text": "now "} in segments
    current = get_json(client, f"{DOCUMENT}/versions/2")
    assert current["current"] is True and current["changes"] == []
    assert get_json(client, DOCUMENT)["current_version"] == 2


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/documents/no-such-document",
        f"{API}/documents/no-such-document/comments",
        f"{API}/documents/no-such-document/statistics",
        f"{API}/documents/no-such-document/versions/1",
        f"{DOCUMENT}/versions/2",
        f"{DOCUMENT}/versions/0",
        f"{DOCUMENT}/versions/-1",
        f"{DOCUMENT}/versions/99999999999999999999",
        f"{DOCUMENT}/versions/one",
        f"{API}/documents/%FF%FE",
        f"{API}/nothing/here",
        f"{API}/",
    ],
)
def test_addresses_that_name_nothing_are_404_problems(client, document, url):
    problem = get_json(client, url, 404)
    assert problem["status"] == 404 and problem["title"] == "Not Found" and problem["type"] == "about:blank"
    assert problem["detail"] and problem["instance"].startswith("/api/v1")


def test_an_unknown_slug_is_named_in_the_problem(client, document):
    assert get_json(client, f"{API}/documents/nope", 404)["detail"] == "There is no document 'nope'."


# --- comments: who is shown, and how ------------------------------------------------------------------------


def test_only_approved_public_comments_are_listed_whatever_else_exists(client, document, reviewer):
    shown = [
        make_comment(reviewer, document, status="approved", publication="public_named"),
        make_comment(reviewer, document, status="approved", publication="public_anonymous"),
    ]
    for status, publication in [
        ("approved", "private"),
        ("pending", "public_named"),
        ("rejected", "public_named"),
        ("withdrawn", "public_named"),
        ("pending", "private"),
    ]:
        make_comment(reviewer, document, status=status, publication=publication)
    assert references(get_json(client, COMMENTS)) == [comment.reference for comment in shown]


def test_named_anonymous_and_deleted_authors_are_shown_as_on_the_pages(client, document, reviewer):
    other = make_user(email="anon@example.org", name="Hidden Name", respondent_type="academia_research")
    gone = make_user(email="gone@example.org", name="Gone Person")
    make_comment(reviewer, document, status="approved", publication="public_named")
    make_comment(other, document, status="approved", publication="public_anonymous")
    make_comment(gone, document, status="approved", publication="public_named")
    accounts.delete_account(gone, DEFAULT_PASSWORD)
    db.session.commit()
    response = client.get(COMMENTS)
    named, anonymous, deleted = (comment["author"] for comment in response.get_json()["comments"])
    assert named == {
        "type": "named",
        "name": "Named Reviewer",
        "organisation": "Survey Office",
        "respondent_type": None,
    }
    assert anonymous == {
        "type": "anonymous",
        "name": None,
        "organisation": None,
        "respondent_type": "academia_research",
    }
    assert deleted == {"type": "deleted", "name": None, "organisation": None, "respondent_type": None}
    text = response.get_data(as_text=True)
    for secret in ("Hidden Name", "anon@example.org", "gone@example.org", "Gone Person", "Norway"):
        assert secret not in text


def test_a_comment_has_its_reference_section_quote_text_reply_and_response(client, document, reviewer):
    first = make_comment(
        reviewer, document, status="approved", kind="concern", quote="serve the", body="Too *vague*.\n\nSay more."
    )
    reply = make_comment(reviewer, document, status="approved", parent_id=first.id, body="Agreed.")
    moderation.set_disposition(factory_moderator(), db.session.get(Comment, first.id), "accepted", "We will.")
    db.session.commit()
    listed, answer = get_json(client, COMMENTS)["comments"]
    assert listed["reference"] == first.reference and listed["section"] == "public-good" and listed["version"] == 1
    assert listed["kind"] == "concern" and listed["quote"] == "serve the" and listed["parent"] is None
    assert listed["html"] == "<p>Too <em>vague</em>.</p>\n<p>Say more.</p>"
    assert listed["text"] == "Too vague. Say more."
    assert listed["disposition"] == "accepted" and listed["response"] == "We will."
    assert listed["responded_at"] is not None and listed["published_at"] is not None
    assert listed["links"]["html"] == f"http://localhost/guidance/test-guidance/public-good/#{first.reference}"
    assert answer["reference"] == reply.reference and answer["parent"] == first.reference
    assert answer["quote"] is None and answer["disposition"] is None and answer["response"] is None


def test_comments_on_a_removed_section_link_to_the_document_page(client, document, reviewer, tmp_path):
    comment = make_comment(reviewer, document, "public-good", status="approved")
    load_guidance([write_guidance(tmp_path, sections=[("Introduction {#introduction}", "Only this.")])])
    db.session.commit()
    [listed] = get_json(client, COMMENTS)["comments"]
    assert listed["links"]["html"] == f"http://localhost/guidance/test-guidance/#{comment.reference}"
    assert references(get_json(client, f"{COMMENTS}?section=public-good")) == [comment.reference]


# --- paging and filters -------------------------------------------------------------------------------------


def test_pages_follow_the_next_link_until_every_comment_was_listed_once(client, document, reviewer):
    made = [make_comment(reviewer, document, status="approved").reference for _ in range(5)]
    seen, url, pages = [], f"{COMMENTS}?limit=2", 0
    while url:
        page = get_json(client, url)
        seen += references(page)
        assert page["links"]["self"].endswith(url.removeprefix("http://localhost"))
        url, pages = page["links"]["next"], pages + 1
        if url:
            assert url == f"http://localhost{COMMENTS}?cursor={page['next_cursor']}&limit=2"
    assert seen == made and pages == 3


def test_filters_by_section_kind_and_publication_time(client, document, reviewer):
    early = make_comment(reviewer, document, "introduction", status="approved", kind="support")
    late = make_comment(reviewer, document, "public-good", status="approved", kind="concern")
    moment = datetime.now(UTC) + timedelta(days=3)
    db.session.get(Comment, late.id).moderated_at = moment
    db.session.commit()
    assert references(get_json(client, f"{COMMENTS}?section=introduction")) == [early.reference]
    assert references(get_json(client, f"{COMMENTS}?kind=concern")) == [late.reference]
    since = (moment - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    page = get_json(client, f"{COMMENTS}?since={since}")
    assert references(page) == [late.reference]
    assert references(get_json(client, f"{COMMENTS}?since=2020-01-01T00:00:00%2B05:00&kind=support")) == [
        early.reference
    ]
    assert get_json(client, f"{COMMENTS}?section=no-such-section")["comments"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=10000", "limit"),
        ("limit=-1", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("limit=1.5", "limit"),
        ("limit=007", "limit"),
        ("limit=", "limit"),
        ("limit=2&limit=3", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=C-12", "cursor"),
        ("cursor=C-00000000000000000000001", "cursor"),
        ("cursor=%FF", "cursor"),
        ("kind=praise", "kind"),
        ("section=Not%20A%20Key", "section"),
        ("section=%FF%FE", "section"),
        ("section=" + "a" * 81, "section"),
        ("since=yesterday", "since"),
        ("since=2026-11-01", "since"),
        ("since=2026-11-01T00:00:00", "since"),
        ("since=2026-02-30T00:00:00Z", "since"),
        ("since=2026-11-01T00:00:00%2B24:00", "since"),
        ("since=99999-01-01T00:00:00Z", "since"),
        ("page=2", "page"),
        ("%FF=1", "%FF"),
    ],
)
def test_bad_parameters_are_400_problems_that_name_the_parameter(client, document, query, parameter):
    problem = get_json(client, f"{COMMENTS}?{query}", 400)
    assert problem["status"] == 400
    assert [error["parameter"] for error in problem["errors"]] == [parameter]
    assert all(error["detail"] for error in problem["errors"])


@pytest.mark.parametrize("url", [DOCUMENTS, DOCUMENT, f"{DOCUMENT}/statistics", f"{API}/openapi.json"])
def test_addresses_without_parameters_refuse_any(client, document, url):
    problem = get_json(client, f"{url}?limit=5", 400)
    assert problem["errors"] == [{"parameter": "limit", "detail": "This address takes no parameter of that name."}]


def test_nul_in_a_parameter_is_a_400_problem(client, document):
    problem = get_json(client, f"{COMMENTS}?section=a%00b", 400)
    assert "NUL" in problem["detail"]


def test_edge_times_and_cursors_are_accepted(client, document, reviewer):
    comment = make_comment(reviewer, document, status="approved")
    for since in ("0001-01-01T00:00:00%2B23:59", "9999-12-31T23:59:60-23:59", "2016-12-31T23:59:60.123456789Z"):
        get_json(client, f"{COMMENTS}?since={since}")
    assert references(get_json(client, f"{COMMENTS}?cursor=C-000000")) == [comment.reference]
    assert get_json(client, f"{COMMENTS}?cursor=C-9999999999")["comments"] == []


# --- statistics ---------------------------------------------------------------------------------------------


def test_statistics_count_the_published_comments_as_the_pages_do(client, document, reviewer):
    anonymous = make_user(email="a@example.org", respondent_type="civil_society")
    make_comment(reviewer, document, "introduction", status="approved", kind="support")
    answered = make_comment(anonymous, document, "public-good", status="approved", publication="public_anonymous")
    make_comment(reviewer, document, "public-good", status="approved", kind="concern")
    make_comment(reviewer, document, "public-good", status="approved", publication="private")
    make_comment(reviewer, document, "public-good", status="pending")
    moderation.set_disposition(factory_moderator(), db.session.get(Comment, answered.id), "noted", "")
    db.session.commit()
    figures = get_json(client, f"{DOCUMENT}/statistics")
    assert figures["published_comments"] == 3 == len(get_json(client, COMMENTS)["comments"])
    per_section = {row["key"]: row["comments"] for row in figures["sections"]}
    assert per_section == {"introduction": 1, "public-good": 2, "bias-and-fairness": 0}
    assert per_section == {key: count.published for key, count in section_counts(document, None).items()} | {
        "bias-and-fairness": 0
    }
    assert figures["kinds"] == {"general": 1, "suggestion": 0, "concern": 1, "support": 1}
    assert figures["respondent_types"]["national_statistics_office"] == 2
    assert figures["respondent_types"]["civil_society"] == 1 and figures["respondent_types"]["deleted_account"] == 0
    assert figures["dispositions"]["noted"] == 1 and figures["dispositions"]["none"] == 2


# --- HTTP: caching, cookies, CORS ---------------------------------------------------------------------------


def test_answers_carry_a_tag_and_a_304_when_nothing_changed(client, document, reviewer):
    first = client.get(COMMENTS)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = client.get(COMMENTS, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    make_comment(reviewer, document, status="approved")
    changed = client.get(COMMENTS, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert client.get(f"{COMMENTS}?limit=1").headers["ETag"] != changed.headers["ETag"]  # another query


@pytest.mark.parametrize("url", [DOCUMENTS, DOCUMENT, f"{DOCUMENT}/versions/1", f"{API}/openapi.json"])
def test_every_answer_can_be_revalidated(client, document, url):
    tag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304


def test_only_answers_without_a_query_are_kept_in_the_page_cache(app, client, document):
    client.get(COMMENTS)
    for limit in range(1, 6):
        client.get(f"{COMMENTS}?limit={limit}")
    with app.app_context():
        assert len(http_cache.page_cache()) == 1
    assert client.get(f"{COMMENTS}?limit=1").status_code == 200


def test_answers_stay_public_and_set_no_cookie_for_a_signed_in_browser(client, document, app):
    with app.app_context():
        token = session_token_for(make_user("moderator"))
    sign_in_with(client, token)
    assert client.get("/account/").status_code == 200  # the cookie does sign this browser in
    for url in (DOCUMENTS, COMMENTS, f"{API}/nothing"):
        response = client.get(url)
        assert "private" not in response.headers.get("Cache-Control", "")
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    assert client.get(COMMENTS).headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/account/").status_code == 200  # and still does: the API left the session alone


def test_any_web_page_may_read_but_not_write(client, document):
    read = client.get(DOCUMENTS, headers={"Origin": "https://elsewhere.example"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in read.headers
    assert "ETag" in read.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        COMMENTS,
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"
    written = client.post(DOCUMENTS, headers={"Origin": "https://elsewhere.example"})
    assert written.status_code == 405 and written.mimetype == PROBLEM
    assert "Access-Control-Allow-Origin" not in written.headers
    assert set(written.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_site_pages_get_no_cors_header(client, document):
    assert "Access-Control-Allow-Origin" not in client.get("/guidance/test-guidance/").headers


def test_failures_are_problems_too(app, client, document):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    @app.get("/api/v1/explode")
    def explode():
        raise RuntimeError("boom")

    failure = get_json(client, f"{API}/explode", 500)
    assert failure["detail"] == "Something went wrong on our side. Please try again later."
    with app.app_context():
        outage = FailingQueries(db.engine)
    outage.on()
    try:
        unavailable = client.get(COMMENTS)
    finally:
        outage.off()
    assert unavailable.status_code == 503 and unavailable.mimetype == PROBLEM
    assert unavailable.headers["Retry-After"] == "10"


# --- rate limits ----------------------------------------------------------------------------------------------


def test_the_api_is_rate_limited_per_address_with_ratelimit_headers_and_a_429_problem(database_url, document):
    app = limited_app(database_url, "memory://")
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    answers = [client.get(url) for url in (DOCUMENTS, DOCUMENT, COMMENTS)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {"3"}
    assert 0 < int(answers[0].headers["RateLimit-Reset"]) <= 61
    refused = client.get(f"{DOCUMENT}/statistics")
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert refused.get_json(force=True)["status"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61 and refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get(DOCUMENTS, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # another address has its own budget
    assert client.get("/guidance/test-guidance/").status_code == 200  # the pages are not counted


def test_the_api_keeps_answering_when_the_rate_limit_store_is_unreachable(database_url, document, caplog):
    client = limited_app(database_url, "redis://127.0.0.1:1").test_client()
    with caplog.at_level("ERROR"):
        response = client.get(DOCUMENTS)
    assert response.status_code == 200 and "RateLimit-Limit" not in response.headers


# --- the description and its page ---------------------------------------------------------------------------


def test_the_openapi_description_is_valid_and_describes_every_api_route(app, client):
    description = get_json(client, f"{API}/openapi.json")
    validate(description)
    assert description["openapi"] == "3.1.0"
    routes = {
        rule.rule.replace("<slug>", "{slug}").replace("<int:number>", "{number}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
    }
    assert routes == set(description["paths"])
    operations = {path: set(methods) for path, methods in description["paths"].items()}
    assert all(methods == {"get"} for methods in operations.values())


def test_the_readable_page_shows_every_operation_and_schema_without_script(client):
    response = client.get("/api/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Open data: the public API</h1>" in html
    description = client.get(f"{API}/openapi.json").get_json()
    for methods in description["paths"].values():
        assert f'id="{methods["get"]["operationId"]}"' in html
    for name in description["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    assert "<script" not in html and 'class="site-header"' in html


# --- the snapshot ---------------------------------------------------------------------------------------------


def test_the_snapshot_writes_the_apis_answers_as_files(app, client, runner, document, reviewer, tmp_path):
    made = [make_comment(reviewer, document, status="approved").reference for _ in range(3)]
    make_comment(reviewer, document, status="pending")
    folder = tmp_path / "mirror"
    result = runner.invoke(args=["export", "api-snapshot", str(folder)])
    assert result.exit_code == 0, result.output
    root = folder / "api" / "v1"
    written = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert written == [
        "documents.json",
        "documents/test-guidance.json",
        "documents/test-guidance/comments.json",
        "documents/test-guidance/statistics.json",
        "documents/test-guidance/versions/1.json",
        "openapi.json",
    ]
    assert f"Wrote {len(written)} files" in result.output
    for name, url in [
        ("documents.json", DOCUMENTS),
        ("documents/test-guidance/statistics.json", f"{DOCUMENT}/statistics"),
    ]:
        assert (root / name).read_bytes() == client.get(url).data
    everything = json.loads((root / "documents/test-guidance/comments.json").read_text(encoding="utf-8"))
    assert references(everything) == made and everything["links"]["next"] is None


def test_the_snapshot_says_why_it_cannot_write(runner, document, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(args=["export", "api-snapshot", str(blocker / "mirror")])
    assert result.exit_code == 1 and "cannot write to" in result.output and "Traceback" not in result.output
