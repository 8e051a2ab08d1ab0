"""The moderators' dashboard: every figure from a set of comments whose counts are known, in the service and
on the page; who may see it; the charts' text alternatives and escaping."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from consult_app.charts import bar_chart, text_alternative
from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.services.dashboard import (
    DELETED_ACCOUNT,
    REMOVED_SECTIONS,
    Share,
    UnknownDocumentError,
    build_dashboard,
    describe_duration,
    median_duration,
    weekly_counts,
)
from tests.factories import make_comment, make_document, make_user
from tests.markup import dangerous_markup

URL = "/moderation/dashboard"
WEEK_48 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday, midday: the same ISO week in any zone
WEEK_50 = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)

# What the `comments` fixture holds, figure by figure.
SECTION_ROWS = {
    # label: (pending, approved, rejected, withdrawn | general, suggestion, concern, support | total)
    "1. Introduction": ((0, 1, 0, 0), (0, 1, 0, 0), 1),
    "2. Public good": ((1, 2, 1, 0), (2, 0, 1, 1), 4),
    "3. Bias and fairness": ((0, 0, 0, 1), (1, 0, 0, 0), 1),
    REMOVED_SECTIONS: ((1, 0, 0, 0), (0, 0, 1, 0), 1),
}
TOTAL_BY_STATUS = {"pending": 2, "approved": 3, "rejected": 1, "withdrawn": 1}
TOTAL_BY_KIND = {"general": 3, "suggestion": 1, "concern": 2, "support": 1}
RESPONDENTS = [
    ("National statistics office", 2),
    ("Other government body", 0),
    ("International organisation", 0),
    ("Academia or research", 3),
    ("Private sector", 0),
    ("Civil society", 1),
    ("Individual", 0),
    (DELETED_ACCOUNT, 1),
]
WEEKS = [("2026-W48", 3), ("2026-W49", 0), ("2026-W50", 4)]
# Decisions took 35 minutes, 1 hour, 3 days and 4 days 7 hours: the median is the mean of the middle two.
MEDIAN = timedelta(days=1, hours=12, minutes=30)


def _set(comment: Comment, created: datetime, decided_after: timedelta | None = None, **fields) -> Comment:
    comment.created_at = created
    comment.moderated_at = created + decided_after if decided_after is not None else None
    for name, value in fields.items():
        setattr(comment, name, value)
    return comment


@pytest.fixture
def comments(document):
    """Seven comments: every status and kind, four respondent types, a reply, a deleted author, a removed
    section, two weeks with an empty one between, four decisions and three dispositions (one withdrawn)."""
    office = make_user(respondent_type="national_statistics_office")
    academic = make_user(respondent_type="academia_research")
    civil = make_user(respondent_type="civil_society")
    leaver = make_user(respondent_type="individual")
    day = timedelta(days=1)
    first = make_comment(office, document, "introduction", status="approved", kind="suggestion")
    second = make_comment(office, document, "public-good", status="approved", kind="concern")
    rejected = make_comment(academic, document, "public-good", status="rejected", kind="support")
    pending = make_comment(academic, document, "public-good", kind="general")
    withdrawn = make_comment(leaver, document, "bias-and-fairness", status="withdrawn", kind="general")
    reply = make_comment(academic, document, "public-good", status="approved", parent_id=second.id)
    gone = make_comment(civil, document, "public-good", kind="concern")
    _set(first, WEEK_48, timedelta(hours=1), disposition="accepted")
    _set(second, WEEK_48 + day, timedelta(days=4, hours=7), disposition="noted")
    _set(rejected, WEEK_48 + 2 * day, timedelta(days=3))
    _set(pending, WEEK_50)
    # A disposition given while pending, then the author deleted their account: not counted in the share.
    _set(withdrawn, WEEK_50 + day, author_id=None, disposition="noted")
    _set(reply, WEEK_50 + day, timedelta(minutes=35))
    _set(gone, WEEK_50 + 2 * day, section_key="a-section-since-removed")
    db.session.commit()
    return document


# --- the service ------------------------------------------------------------------------------------------


def test_build_dashboard_counts_every_figure(comments):
    [figures] = build_dashboard().documents
    assert figures.document.slug == "test-guidance"
    rows = {row.label: row for row in figures.sections}
    assert list(rows) == list(SECTION_ROWS)
    for label, (statuses, kinds, total) in SECTION_ROWS.items():
        assert tuple(rows[label].counts.by_status.values()) == statuses, label
        assert tuple(rows[label].counts.by_kind.values()) == kinds, label
        assert rows[label].counts.total == total, label
    assert [row.removed for row in figures.sections] == [False, False, False, True]
    assert rows["2. Public good"].key == "public-good"
    assert figures.total.by_status == TOTAL_BY_STATUS
    assert figures.total.by_kind == TOTAL_BY_KIND
    assert figures.total.total == 7
    assert (figures.disposition.part, figures.disposition.whole, figures.disposition.percent) == (2, 6, 33)
    assert figures.respondents == RESPONDENTS
    assert figures.weeks == WEEKS
    assert (figures.median_decision, figures.decided) == (MEDIAN, 4)
    assert figures.section_bars == [(label, total) for label, (_, _, total) in SECTION_ROWS.items()]


def test_build_dashboard_for_one_document_or_all(comments, tmp_path):
    make_document(tmp_path, slug="another", title="Another guidance")
    everything = build_dashboard()
    assert [figures.document.slug for figures in everything.documents] == ["another", "test-guidance"]
    [other] = build_dashboard("another").documents
    assert other.total.total == 0
    assert [row.counts.total for row in other.sections] == [0, 0, 0]
    assert other.disposition == Share(0, 0) and other.disposition.percent is None
    assert other.respondents == [(label, 0) for label, _ in RESPONDENTS]
    assert (other.weeks, other.median_decision, other.decided) == ([], None, 0)
    with pytest.raises(UnknownDocumentError):
        build_dashboard("no-such-document")


def test_weeks_are_counted_in_the_zone_times_are_shown_in(comments):
    # Tuesday 8 December, 12:00 UTC is still Tuesday in Tokyo, but a comment on Sunday 29 November
    # at 20:00 UTC is Monday 30 November there: week 49 instead of week 48.
    late = db.session.scalars(db.select(Comment).where(Comment.kind == "suggestion")).one()
    late.created_at = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    db.session.commit()
    assert build_dashboard(zone=UTC).documents[0].weeks == WEEKS
    tokyo = build_dashboard(zone=ZoneInfo("Asia/Tokyo")).documents[0].weeks
    assert tokyo == [("2026-W48", 2), ("2026-W49", 1), ("2026-W50", 4)]


def test_the_number_of_queries_does_not_grow_with_documents_or_sections(comments, tmp_path):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        build_dashboard()
        one_document = len(statements)
        make_document(
            tmp_path, slug="long", title="Long", sections=[(f"Part {n} {{#part-{n}}}", "Text.") for n in range(12)]
        )
        statements.clear()
        build_dashboard()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Five for the dashboard's own figures, one for the reading pages' count per section (services/counts.py),
    # one for the dispositions per section (services/coverage.py).
    assert one_document == len(statements) == 7


def test_empty_database_has_no_documents(app_context):
    assert build_dashboard().documents == []


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(days=2, hours=4, minutes=59), "2 days 4 hours"),
        (timedelta(minutes=35, seconds=40), "35 minutes"),
        (timedelta(hours=1, minutes=1), "1 hour 1 minute"),
        (timedelta(days=1, minutes=5), "1 day"),
        (timedelta(seconds=20), "less than a minute"),
        (None, ""),
    ],
)
def test_describe_duration(duration, words):
    assert describe_duration(duration) == words


def test_median_and_weeks_edge_cases():
    assert median_duration([]) is None
    assert median_duration([timedelta(hours=3), timedelta(hours=1), timedelta(hours=2)]) == timedelta(hours=2)
    # ISO weeks belong to ISO years: 2026 has 53 weeks, and 1 January 2027 is in 2026-W53.
    moments = [datetime(2026, 12, 22, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)]
    assert weekly_counts(moments, UTC) == [("2026-W52", 1), ("2026-W53", 1), ("2027-W01", 1)]
    assert weekly_counts([], UTC) == []


def test_share_never_rounds_to_all_or_nothing():
    assert [Share(1, 3).percent, Share(1, 2).percent, Share(2, 3).percent] == [33, 50, 67]
    assert [Share(199, 200).percent, Share(1, 1000).percent, Share(0, 5).percent, Share(5, 5).percent] == [
        99,
        1,
        0,
        100,
    ]


# --- the charts -------------------------------------------------------------------------------------------


def test_bar_chart_is_an_accessible_image_scaled_to_the_largest_value():
    svg = str(bar_chart("Votes", [("Yes", 10), ("No", 5), ("Maybe", 0)], description="Votes cast."))
    ids = re.search(r'aria-labelledby="([^"]+)" aria-describedby="([^"]+)"', svg)
    assert ids and svg.startswith('<svg class="chart" role="img"')
    assert f'<title id="{ids[1]}">Votes</title>' in svg
    assert f'<desc id="{ids[2]}">Votes cast. Yes: 10; No: 5; Maybe: 0.</desc>' in svg
    widths = [float(width) for width in re.findall(r'<rect class="chart__bar"[^>]* width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0 and widths[0] > 100
    assert 'viewBox="0 0 300 ' in svg and 'width="100%"' in svg and "style=" not in svg
    other = str(bar_chart("Votes", [("Yes", 1)], description="Votes cast."))
    assert re.search(r'aria-labelledby="([^"]+)"', other)[1] != ids[1]


def test_bar_chart_escapes_and_wraps_long_labels():
    label = "<b>x</b> & <script>alert(1)</script> and a title long enough to need a second line"
    svg = str(bar_chart("A <i>title</i>", [(label, 3)], description="Say <u>this</u>."))
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg and "<u>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "A &lt;i&gt;title&lt;/i&gt;" in svg and "Say &lt;u&gt;this&lt;/u&gt;." in svg
    assert "<tspan" in svg  # the label wraps above its bar
    assert text_alternative("Nothing.", []) == "Nothing. No data."
    assert "No data" in str(bar_chart("Empty", [], description="Nothing."))


# --- the page ---------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every table as caption -> rows of cell texts, and every <dd> text, from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.definitions: list[str] = []
        self._rows: list[list[str]] | None = None
        self._caption: str | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in {"caption", "th", "td", "dd"}:
            self._text = []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag in {"caption", "th", "td", "dd"} and self._text is not None:
            text = " ".join("".join(self._text).split())
            self._text = None
            if tag == "caption":
                self._caption = text
            elif tag == "dd":
                self.definitions.append(text)
            else:
                self._rows[-1].append(text)
        elif tag == "table":
            self.tables[self._caption] = self._rows
            self._rows = self._caption = None


def parse(page: str) -> _Tables:
    parser = _Tables()
    parser.feed(page)
    return parser


def test_the_page_shows_every_figure_in_tables(client, comments, login_as):
    login_as("moderator")
    response = client.get(URL)
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    by_status = page.tables["Comments per section, by status"]
    assert by_status[0] == ["Section", "Pending", "Approved", "Rejected", "Withdrawn", "Total"]
    by_kind = page.tables["Comments per section, by kind"]
    assert by_kind[0] == ["Section", "General", "Suggestion", "Concern", "Support", "Total"]
    for row, (label, (statuses, kinds, total)) in enumerate(SECTION_ROWS.items(), start=1):
        shown = label + (" (removed)" if label == REMOVED_SECTIONS else "")
        assert by_status[row] == [shown, *map(str, statuses), str(total)]
        assert by_kind[row] == [shown, *map(str, kinds), str(total)]
    assert by_status[-1] == ["All sections", *map(str, TOTAL_BY_STATUS.values()), "7"]
    assert by_kind[-1] == ["All sections", *map(str, TOTAL_BY_KIND.values()), "7"]
    assert page.tables["Comments per respondent type"] == [
        ["Respondent type", "Comments"],
        *([label, str(count)] for label, count in RESPONDENTS),
    ]
    assert page.tables["Comments per ISO week of submission"] == [
        ["Week", "Comments"],
        *([label, str(count)] for label, count in WEEKS),
    ]
    assert page.definitions == [
        "7",
        "33% (2 of 6 comments that were not withdrawn)",
        "1 day 12 hours (over 4 decided comments)",
        "2, the oldest written 8 December 2026, 12:00 UTC",
        "4",  # without a disposition: the rejected, pending, reply and removed-section comments (not the withdrawn)
    ]
    coverage = page.tables["Dispositions per section"]
    assert coverage[0] == [
        "Section", "Accepted", "Partially accepted", "Noted", "Not accepted", "Out of scope", "No disposition yet",
        "Answered",
    ]  # fmt: skip
    assert coverage[1:] == [
        ["1. Introduction", "1", "0", "0", "0", "0", "0", "100%"],
        ["2. Public good", "0", "0", "1", "0", "0", "3", "25%"],
        ["3. Bias and fairness", "0", "0", "1", "0", "0", "0", "none to answer"],  # withdrawn
        [f"{REMOVED_SECTIONS} (removed)", "0", "0", "0", "0", "0", "1", "0%"],
        ["All sections", "1", "0", "2", "0", "0", "4", "33%"],
    ]


def test_every_number_on_the_dashboard_leads_to_as_many_comments(client, comments, login_as):
    """Follow every link to the worklist: it lists exactly as many comments as the number linked says."""
    login_as("moderator")
    page = client.get(URL).get_data(as_text=True)
    links = re.findall(r'<a href="(/moderation/comments/\?[^"]+)">(\d+)</a>', page)
    assert len(links) > 30  # the tables of status, kind and disposition per section, key figures, totals
    for href, number in set(links):
        listed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert listed.count('class="worklist__item"') == int(number), href


def test_the_charts_have_text_alternatives_and_no_inline_style_or_script(client, comments, login_as):
    login_as("moderator")
    page = client.get(URL).get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 3
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "2026-W48: 3; 2026-W49: 0; 2026-W50: 4.</desc>" in svgs[2]
    assert "Academia or research: 3;" in svgs[1] and f"{DELETED_ACCOUNT}: 1.</desc>" in svgs[1]
    assert "1. Introduction: 1; 2. Public good: 4; 3. Bias and fairness: 1;" in svgs[0]
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "style=" not in page and "<script" not in page.lower()
    assert page.count("<h1") == 1
    levels = [int(level) for level in re.findall(r"<h([1-6])", page)]
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels))


def test_a_hostile_section_title_is_escaped(client, app_context, tmp_path, login_as):
    document = make_document(tmp_path, sections=[("<b>x</b> & <script>alert(1)</script> {#hostile}", "text")])
    make_comment(make_user(), document, "hostile")
    login_as("moderator")
    page = client.get(URL).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in re.search(r"<svg .*?</svg>", page, flags=re.DOTALL)[0]
    assert "<script" not in page.lower() and "<b>x" not in page
    assert dangerous_markup(page, allowed_tags=frozenset({"svg", "link", "meta", "form"})) == []


def test_one_document_only_and_an_unknown_one(client, comments, tmp_path, login_as):
    make_document(tmp_path, slug="another", title="Another guidance")
    login_as("moderator")
    both = client.get(URL).get_data(as_text=True)
    assert "<h2" in both and both.count('class="dashboard panel"') == 2
    one = client.get(f"{URL}?document=another").get_data(as_text=True)
    assert one.count('class="dashboard panel"') == 1 and "Another guidance</h2>" in one
    assert "Test guidance</h2>" not in one
    missing = client.get(f"{URL}?document=<nope>")
    assert missing.status_code == 404
    assert "There is no guidance document “&lt;nope&gt;”" in missing.get_data(as_text=True)


def test_a_document_without_comments_shows_zeros(client, document, login_as):
    login_as("moderator")
    response = client.get(URL)
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    assert page.tables["Comments per section, by status"][-1] == ["All sections", "0", "0", "0", "0", "0"]
    assert page.tables["Comments per respondent type"][1:] == [[label, "0"] for label, _ in RESPONDENTS]
    assert page.definitions[0] == "0"
    assert "No comments to respond to yet" in page.definitions[1]
    assert "No comment has been approved or rejected yet" in page.definitions[2]
    assert "there are no weeks to show" in response.get_data(as_text=True)


def test_an_empty_database_still_renders(client, login_as):
    login_as("moderator")
    response = client.get(URL)
    assert response.status_code == 200
    assert "No guidance documents have been loaded yet, so there are no comments: 0 comments." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("role", "status"), [("reviewer", 403), ("deactivated", 302), ("moderator", 200), ("admin", 200)]
)
def test_who_may_see_the_dashboard(client, login_as, role, status):
    login_as(role)
    response = client.get(URL)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/auth/login")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
