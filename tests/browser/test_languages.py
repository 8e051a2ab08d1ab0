"""French and Russian in the browser (issue 18): axe-core and the Nu Html Checker at zero, the layout at 320 px
with the longer French labels, and the language switcher with JavaScript switched off.

The browser asks for the language as a person's browser does (Accept-Language, from the context's locale); the
demo accounts have saved no language, so that is what chooses it for them too. The page types are those of
pages.py that need no English label to reach (their `then` steps find buttons by their English names).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.pages import BY_NAME, open_page
from tests.browser.test_accessibility import NARROW, _assert_no_horizontal_scrolling, _assert_no_violations
from tests.browser.test_html_validity import _checker

pytestmark = pytest.mark.browser

LANGUAGES = {"fr": "fr-FR", "ru": "ru-RU"}
# The main page types, each as the role that sees it: reading, account, moderation and administration.
PAGE_NAMES = [
    "home",
    "document",
    "section",
    "old-version",
    "privacy",
    "login",
    "register",
    "not-found",
    "section-reviewer",
    "reply",
    "account",
    "moderation-queue",
    "moderation-comment",
    "worklist",
    "dashboard",
    "themes",
    "theme",
    "similar-group",
    "import",
    "summary",
    "admin-users",
    "admin-guidance",
]
PAGE_TYPES = [BY_NAME[name] for name in PAGE_NAMES]
assert all(page_type.then is None for page_type in PAGE_TYPES), "a page type here may not need English labels"


def in_language(new_context, role: str, language: str, **options):
    """A browser context whose person reads `language` (their browser says so: Accept-Language)."""
    return new_context(
        role, locale=LANGUAGES[language], extra_http_headers={"Accept-Language": f"{language};q=1"}, **options
    )


def assert_language(page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_no_axe_violations_in_french_and_russian(new_context, site, page_type, language):
    page = in_language(new_context, page_type.role, language, bypass_csp=True).new_page()
    open_page(page, site, page_type)
    assert_language(page, language)
    _assert_no_violations(page, page_type, f"{language}, 1280 px wide")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_french_and_russian_reflow_at_320_px(new_context, site, page_type, language):
    """WCAG 1.4.10 with the longer labels of French and Russian: nothing needs scrolling sideways at 320 px."""
    page = in_language(new_context, page_type.role, language, bypass_csp=True, viewport=NARROW).new_page()
    open_page(page, site, page_type)
    assert_language(page, language)
    _assert_no_horizontal_scrolling(page, page_type, f"{language}, 320 px wide")
    _assert_no_violations(page, page_type, f"{language}, 320 px wide")


def test_french_and_russian_pages_are_valid_html(new_context, site, tmp_path):
    command = _checker()
    files = []
    for language in LANGUAGES:
        contexts: dict[str, object] = {}
        for page_type in PAGE_TYPES:
            if page_type.role not in contexts:
                contexts[page_type.role] = in_language(new_context, page_type.role, language)
            page = contexts[page_type.role].new_page()
            response = open_page(page, site, page_type)
            body = response.body()
            assert f'<html lang="{language}">'.encode() in body, f"{page_type} is not in {language}"
            path = tmp_path / f"{page_type.name}.{language}.html"
            path.write_bytes(body)
            files.append(str(path))
            page.close()

    result = subprocess.run([*command, *files], capture_output=True, text=True, timeout=300)
    assert result.stdout, f"vnu.jar printed nothing (exit {result.returncode}): {result.stderr}"
    messages = json.loads(result.stdout)["messages"]
    report = "\n".join(
        f"{m.get('url', '?').rsplit('/', 1)[-1]}:{m.get('lastLine', '?')}: [{m['type']}] {m['message']}"
        f"\n    {m.get('extract', '').strip()!r}"
        for m in messages
    )
    assert not messages, f"{len(messages)} HTML errors and warnings in {len(files)} pages:\n{report}"
    assert result.returncode == 0, result.stderr


def test_the_switcher_works_without_javascript(new_context, site):
    """A visitor without script switches to French from the header, reads on in French (the cookie), then
    to Russian and back to English; each time back on the page they were reading."""
    context = new_context("visitor", java_script_enabled=False, extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    document = site.url(f"/guidance/{site.slug}/")
    page.goto(document)
    assert_language(page, "en")
    switcher = page.locator("form.language-switcher")
    expect(switcher.get_by_role("button", name="Français")).to_be_visible()

    switcher.get_by_role("button", name="Français").click()
    expect(page).to_have_url(document)
    assert_language(page, "fr")
    expect(page.get_by_role("link", name="Aller au contenu principal")).to_be_attached()
    # The current language is said, not offered; the others are buttons, each named in its own language.
    expect(switcher.get_by_role("button", name="Français")).to_have_count(0)
    expect(switcher.get_by_text("Français")).to_have_attribute("aria-current", "true")
    expect(switcher.get_by_role("button", name="English")).to_have_attribute("lang", "en")

    # Reading on: the next pages are in French too, without asking again.
    section = site.url(f"/guidance/{site.slug}/{site.section_keys[0]}/")
    page.locator(f'main a[href="/guidance/{site.slug}/{site.section_keys[0]}/"]').first.click()
    expect(page).to_have_url(section)
    assert_language(page, "fr")
    page.goto(site.url("/privacy"))
    assert_language(page, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("confidentialité"))

    page.locator("form.language-switcher").get_by_role("button", name="Русский").click()
    expect(page).to_have_url(site.url("/privacy"))
    assert_language(page, "ru")
    page.locator("form.language-switcher").get_by_role("button", name="English").click()
    assert_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
