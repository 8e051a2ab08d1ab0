"""The worklist of every comment: filters (agreeing with the response log), full-text search on the database's
own engine, keyset pages in every order, bad input, and the neighbours the decision screen walks through."""

import csv
import io
import re

import pytest

from consult_app.extensions import db
from consult_app.services import moderation, search, worklist
from tests.factories import make_comment, make_document, make_user

ITEM = re.compile(r'<li class="worklist__item" id="(C-\d{6,})"')


def shown(client, **query) -> list[str]:
    response = client.get("/moderation/comments/", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return ITEM.findall(response.get_data(as_text=True))


def exported(client, **query) -> list[str]:
    response = client.get("/moderation/export.csv", query_string=query)
    assert response.status_code == 200
    return [row["reference"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True), newline=""))]


@pytest.fixture
def comments(app_context, tmp_path):
    """Two documents; comments in every status on several sections, one answered, one with a quote."""
    document = make_document(tmp_path)
    other = make_document(tmp_path, title="Another guidance", slug="another")
    ada = make_user("reviewer", name="Ada", country="Chile", respondent_type="academia_research")
    bob = make_user("reviewer", name="Bob", country="Norway", respondent_type="civil_society")
    mod = make_user("moderator", name="Mo")
    made = {
        "drift": make_comment(
            ada, document, status="approved", body="Models **drift over time** once they are in production."
        ),
        "pending": make_comment(bob, document, key="introduction", body="The scope is too narrow for surveys."),
        "rejected": make_comment(bob, document, status="rejected", kind="concern", body="Buy cheap watches"),
        "withdrawn": make_comment(ada, document, key="bias-and-fairness", status="withdrawn", body="Never mind."),
        "quoted": make_comment(
            ada, document, key="bias-and-fairness", kind="suggestion", quote="unfair to small groups", body="Say how."
        ),
        "other": make_comment(bob, other, key="introduction", status="approved", body="A different document."),
    }
    moderation.set_disposition(mod, made["drift"], "accepted", "We added a paragraph on monitoring.")
    db.session.commit()
    return made


FILTERS = [
    {},
    {"document": "test-guidance"},
    {"document": "another"},
    {"status": "approved"},
    {"status": "pending"},
    {"section": "introduction"},
    {"document": "test-guidance", "section": "bias-and-fairness"},
    {"document": "test-guidance", "status": "withdrawn", "section": "bias-and-fairness"},
]


def test_the_worklist_lists_what_the_response_log_exports(client, login_as, comments):
    login_as("moderator")
    for query in FILTERS:
        listed = shown(client, **query)
        assert listed == exported(client, **query), query
        assert listed, query  # every filter here selects something: a comparison of two empty lists proves nothing


OTHER_FILTERS = [
    ({"kind": "concern"}, ["rejected"]),
    ({"respondent_type": "academia_research"}, ["drift", "withdrawn", "quoted"]),
    ({"country": "chile"}, ["drift", "withdrawn", "quoted"]),
    ({"disposition": "accepted"}, ["drift"]),
    ({"disposition": "none", "document": "another"}, ["other"]),
    ({"assignee": "none", "status": "rejected"}, ["rejected"]),
    ({"assignee": "me"}, []),
]


def test_filters(client, login_as, comments):
    login_as("moderator")
    for query, expected in OTHER_FILTERS:
        assert shown(client, **query) == [comments[name].reference for name in expected], query


def test_an_empty_result_says_so_honestly(client, login_as, comments):
    login_as("moderator")
    page = client.get("/moderation/comments/", query_string={"q": "nothing-like-this"}).get_data(as_text=True)
    assert "No comment matches these filters." in page and "0 comments match these filters" in page


def test_sections_are_offered_by_number_and_title_and_stored_values_by_label(client, login_as, comments):
    login_as("moderator")
    page = client.get("/moderation/comments/").get_data(as_text=True)
    assert '<option value="bias-and-fairness">3. Bias and fairness</option>' in page
    assert '<optgroup label="Another guidance">' in page
    assert '<option value="test-guidance">Test guidance</option>' in page
    assert "2. Public good" in page and "Awaiting moderation" in page and "Suggestion for a change" in page
    # Comment text as plain text: Markdown neither raw nor rendered in the list.
    assert "Models drift over time once they are in production." in page and "**drift" not in page


def test_search_finds_a_phrase_in_an_approved_comment_and_marks_it(client, login_as, comments):
    login_as("moderator")
    assert shown(client, q='"drift over time"') == [comments["drift"].reference]
    page = client.get("/moderation/comments/", query_string={"q": '"drift over time"'}).get_data(as_text=True)
    assert "<mark>drift</mark> <mark>over</mark> <mark>time</mark>" in page
    # Words in another order are not the phrase; alone, all must appear.
    assert shown(client, q='"time over drift"') == []
    assert shown(client, q="time drift") == [comments["drift"].reference]


SEARCHES = [
    ("monitoring", ["drift"]),  # in the response
    ("small groups", ["quoted"]),  # in the quote
    ("surveys or watches", ["pending", "rejected"]),
    ("watches OR survey", ["pending", "rejected"]),  # stemmed: "survey" finds "surveys"
    ("document -different", []),
    ("models -paragraph", []),
    ("-watches scope", ["pending"]),
    ("Watch", ["rejected"]),
]


def test_search_syntax_is_the_same_on_both_databases(client, login_as, comments):
    login_as("moderator")
    for q, expected in SEARCHES:
        assert shown(client, q=q) == [comments[name].reference for name in expected], q


def test_search_keeps_up_with_edits_and_answers(client, login_as, comments):
    """The search index follows the comments (SQLite: triggers; PostgreSQL: an expression index)."""
    login_as("moderator")
    comment = comments["pending"]
    comment.body_md = "Rewritten entirely about calibration."
    db.session.commit()
    assert shown(client, q="calibration") == [comment.reference]
    assert shown(client, q="narrow") == []
    db.session.delete(comments["withdrawn"])
    db.session.commit()
    assert shown(client, q="never mind") == []


BAD_QUERIES = [
    {"q": "a\x00b"},
    {"q": "x" * 10_000},
    {"q": " ".join(["word"] * 40)},
    {"status": "lost"},
    {"kind": "rant"},
    {"disposition": "maybe"},
    {"document": "no-such-document"},
    {"assignee": "someone"},
    {"assignee": "99999999999"},
    {"theme": "-1"},
    {"sort": "random"},
    {"after": "1-2-3"},
    {"after": "garbage"},
    {"after": "999999999999999999-1"},
    {"after": "1-1", "before": "1-1"},
    {"sort": "section", "after": "1-1"},
    {"section": "k" * 300},
]


def test_bad_filters_and_page_addresses_are_400_with_a_message(client, login_as, comments):
    login_as("moderator")
    for query in BAD_QUERIES:
        response = client.get("/moderation/comments/", query_string=query)
        assert response.status_code == 400, query
        # NUL is refused for every address before any view runs (consult_app/security.py), with its own message.
        assert "There is a problem" in response.get_data(as_text=True) or "NUL character" in response.get_data(
            as_text=True
        )


OPERATOR_SOUP = [
    '"',
    '""',
    "-",
    "or",
    "OR OR",
    "*",
    "NEAR(a b)",
    "a AND NOT b",
    "title:x",
    "'; DROP TABLE comments; --",
    "(((",
    "\\",
    "^a",
    "a:*",
    "!!a",
    "a & b | !c",
    '"unclosed phrase',
    "ümlaut",
    "x" * 500,
]


def test_search_strings_full_of_operators_answer_never_fail(client, login_as, comments):
    login_as("moderator")
    for q in OPERATOR_SOUP:
        assert client.get("/moderation/comments/", query_string={"q": q}).status_code == 200, q


def test_the_parser_reads_the_web_search_syntax():
    query = search.parse('fair "small groups" or bias -"black box" OR')
    assert query.groups == (
        (search.Term(("fair",)),),
        (search.Term(("small", "groups")), search.Term(("bias",))),
        (search.Term(("black", "box"), excluded=True),),
    )
    assert search.parse("*** -").is_empty


def test_highlighting_escapes_the_text():
    marked = search.highlight("<script>fair</script> & fairness", search.parse("fair"))
    assert str(marked) == "&lt;script&gt;<mark>fair</mark>&lt;/script&gt; &amp; <mark>fairness</mark>"


@pytest.mark.parametrize("sort", ["age", "section", "status"])
def test_pages_in_every_order_cover_every_comment_once(client, login_as, comments, monkeypatch, sort):
    login_as("moderator")
    monkeypatch.setattr(worklist, "PER_PAGE", 2)
    expected_order = {
        "age": ["drift", "pending", "rejected", "withdrawn", "quoted", "other"],
        # Another guidance comes after Test guidance: it was loaded later (document id order).
        "section": ["pending", "drift", "rejected", "withdrawn", "quoted", "other"],
        "status": ["pending", "quoted", "drift", "other", "rejected", "withdrawn"],
    }[sort]
    seen, url = [], f"/moderation/comments/?sort={sort}"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += ITEM.findall(page)
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [comments[name].reference for name in expected_order]
    # And back: "Previous page" from the last page.
    previous = re.search(r'href="([^"]+)" rel="prev"', page).group(1).replace("&amp;", "&")
    assert ITEM.findall(client.get(previous).get_data(as_text=True)) == seen[-4:-2]


def test_neighbours_follow_the_filter_and_order(app_context, comments):
    viewer = make_user("moderator")
    chosen = worklist.WorklistFilter.from_args({"document": "test-guidance", "sort": "section"})
    ids = [comments[name].id for name in ("pending", "drift", "rejected", "withdrawn", "quoted")]
    assert worklist.neighbours(chosen, ids[0], viewer) == (None, ids[1])
    assert worklist.neighbours(chosen, ids[2], viewer) == (ids[1], ids[3])
    assert worklist.neighbours(chosen, ids[-1], viewer) == (ids[-2], None)
    assert worklist.neighbours(chosen, 999_999, viewer) == (None, None)
    assert worklist.WorklistFilter.from_args(chosen.to_args()) == chosen


def test_comment_links_keep_the_filter(client, login_as, comments):
    login_as("moderator")
    page = client.get("/moderation/comments/", query_string={"status": "approved", "q": "drift"}).get_data(as_text=True)
    assert f'href="/moderation/comments/{comments["drift"].id}?q=drift&amp;status=approved"' in page


def test_searches_that_match_many_comments_answer_the_same(client, login_as, comments, monkeypatch):
    """Past search.DENSE matches SQLite reads the comments in age order instead of sorting the matches: the
    same comments, in the same order, on every page."""
    login_as("moderator")
    before = {q: shown(client, q=q) for q, _ in SEARCHES}
    monkeypatch.setattr(search, "DENSE", 0)
    monkeypatch.setattr(worklist, "PER_PAGE", 1)
    for q, expected in SEARCHES:
        assert before[q] == [comments[name].reference for name in expected], q
        assert shown(client, q=q) == before[q][:1], q
    page = client.get("/moderation/comments/", query_string={"q": "surveys or watches"}).get_data(as_text=True)
    after = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert ITEM.findall(client.get(after).get_data(as_text=True)) == [comments["rejected"].reference]
