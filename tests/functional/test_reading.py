"""The reading pages as a visitor sees them."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from consult_app.extensions import db
from consult_app.services.guidance import load_guidance
from tests.factories import load_second_version, make_document


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_home_lists_documents_with_status_and_closing_date(client, document):
    html = page(client, "/")
    assert 'href="/guidance/test-guidance/">Test guidance</a>' in html
    closes = document.closes_at
    assert f"Open for comments until {closes.day} {closes:%B %Y}, {closes:%H:%M} UTC" in html
    assert "A short document for tests." in html


def test_home_without_documents_says_so(client):
    assert "No guidance has been published yet." in page(client, "/")


def test_document_page_has_numbered_contents_and_anchored_sections(client, document):
    html = page(client, "/guidance/test-guidance/")
    contents = html[html.index('id="toc-title"') : html.index("</nav>", html.index('id="toc-title"'))]
    assert re.findall(r'href="/guidance/test-guidance/([^/]+)/"', contents) == [
        "introduction",
        "public-good",
        "bias-and-fairness",
    ]
    for key in ("introduction", "public-good", "bias-and-fairness"):
        assert f'<section class="section" id="{key}"' in html
        assert f'href="#{key}"' in html
    assert "<h3>Scope</h3>" in html
    assert html.count("<h1>") == 1


def test_section_page_has_previous_and_next(client, document):
    first = page(client, "/guidance/test-guidance/introduction/")
    assert 'rel="prev"' not in first
    assert 'href="/guidance/test-guidance/public-good/" rel="next"' in first
    middle = page(client, "/guidance/test-guidance/public-good/")
    assert 'href="/guidance/test-guidance/introduction/" rel="prev"' in middle
    assert 'href="/guidance/test-guidance/bias-and-fairness/" rel="next"' in middle
    assert "Statistics should serve the <em>public</em>." in middle
    last = page(client, "/guidance/test-guidance/bias-and-fairness/")
    assert 'rel="next"' not in last


@pytest.mark.parametrize(
    ("opens", "closes", "words"),
    [
        (-10, 30, "Open for comments until"),
        (5, 30, "Opens for comments on"),
        (-30, -2, "Consultation closed on"),
    ],
)
def test_consultation_state_is_shown(client, app_context, tmp_path, opens, closes, words):
    now = datetime.now(UTC)
    make_document(tmp_path, opens=now + timedelta(days=opens), closes=now + timedelta(days=closes))
    assert words in page(client, "/guidance/test-guidance/public-good/")


def test_times_are_shown_in_the_configured_time_zone(app, client, document):
    app.config["CONSULT_TIMEZONE"] = "Asia/Tokyo"
    local = document.closes_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M} JST" in page(client, "/")


def test_a_document_without_a_consultation_block_is_not_open(client, app_context, tmp_path):
    path = tmp_path / "plain.md"
    path.write_text("---\ntitle: Plain\n---\n## Only\n\nText.\n", encoding="utf-8")
    load_guidance([path])
    db.session.commit()
    assert "Not open for comments" in page(client, "/guidance/plain/")


def test_old_version_shows_what_changed_per_section(client, document, tmp_path):
    load_second_version(tmp_path)
    html = page(client, "/guidance/test-guidance/v1/")
    assert "This is an older version" in html
    assert 'href="/guidance/test-guidance/v1/"' not in html
    # Changed, added and removed sections first, each with its difference as rendered text, not Markdown source.
    changes, unchanged = html.split('<h2 id="unchanged-title">')
    # The guidance's words are marked with the document's language (the hidden labels are the reader's).
    assert '<ins><span class="visually-hidden">[added: </span><span lang="en">now </span>' in changes  # introduction
    assert "1. Introduction" in changes and "Changed</span>" in changes
    assert "2. Public good" in changes and "Removed</span>" in changes
    removed = '<del><span class="visually-hidden">[removed: </span>'
    added = '<ins><span class="visually-hidden">[added: </span>'
    assert removed + '<span lang="en">Statistics should serve the public.' in changes
    assert "Accountability" in changes and "New section</span>" in changes
    assert added + '<span lang="en">Someone must answer for the model.' in changes
    assert "*public*" not in html and "### Scope" not in html and ">Scope" in changes
    # Then a link to each unchanged section, without its text.
    link = '<a href="/guidance/test-guidance/bias-and-fairness/" lang="en">3. Bias and fairness</a>'
    assert f'<li id="bias-and-fairness">{link}' in unchanged
    assert "Models can be unfair" not in html
    current = page(client, "/guidance/test-guidance/")
    assert 'href="/guidance/test-guidance/v1/">Version 1</a>' in current
    assert "This is the current version." in page(client, "/guidance/test-guidance/v2/")


@pytest.mark.parametrize(
    "url",
    [
        "/guidance/nothing-here/",
        "/guidance/test-guidance/no-such-section/",
        "/guidance/test-guidance/v7/",
        "/guidance/test-guidance/v0/",
        "/no/such/page",
    ],
)
def test_unknown_addresses_are_friendly_404s(client, document, url):
    html = page(client, url, 404)
    assert "<h1>Not Found</h1>" in html
    assert 'class="site-header"' in html


def test_unexpected_errors_get_the_500_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explode")
    def explode():
        raise RuntimeError("boom")

    html = page(client, "/explode", 500)
    assert "Something went wrong on our side" in html
    assert "boom" not in html


def test_post_to_a_reading_page_is_405(client, document):
    assert client.post("/guidance/test-guidance/").status_code == 405


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_healthz_reports_an_unreachable_database(tmp_path):
    from tests.conftest import make_app

    broken = make_app(f"sqlite:///{tmp_path}/missing-folder/none.db")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503


def test_security_headers_on_every_page(client, document):
    response = client.get("/guidance/test-guidance/")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_skip_link_landmarks_and_one_h1(client, document):
    for url in ("/", "/guidance/test-guidance/", "/guidance/test-guidance/public-good/", "/guidance/test-guidance/v1/"):
        html = page(client, url)
        assert '<a class="skip-link" href="#main">' in html
        assert '<main id="main"' in html and "<header" in html and "<footer" in html
        assert len(re.findall(r"<h1[ >]", html)) == 1, url
        # No inline style or script: only our own static files (the CSP would block anything else).
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html)
