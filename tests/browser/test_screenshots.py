"""A full-page screenshot of every page type at desktop (1280 px) and phone (375 px) width.

They are written to test-artifacts/screenshots/ (git-ignored) for a person to look through after a run,
with the two pictures the README shows written to test-artifacts/readme/; copy those to docs/ to refresh
the README (see "What it looks like" there).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import ARTIFACTS
from tests.browser.pages import BY_NAME, PAGE_TYPES, PageType, open_page

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"
README_PICTURES = ARTIFACTS / "readme"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
# README pictures, as small JPEGs: (page type, heading scrolled to the top or None, viewport width and height).
# The section pictures: the introduction as a reviewer sees it (it has comments on passages).
READING = PageType("readme-section", "reviewer", lambda site: f"/guidance/{site.slug}/{site.section_keys[0]}/")
README_SHOTS = {
    "section.jpg": (READING, None, 1280, 800),
    "section-phone.jpg": (READING, None, 375, 740),
    "moderation.jpg": ("moderation-queue", None, 900, 1150),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_screenshots_at_desktop_and_phone_width(new_context, site, page_type):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in WIDTHS.items():
        page = new_context(page_type.role, viewport=viewport).new_page()
        open_page(page, site, page_type)
        path = SCREENSHOTS / f"{page_type.name}-{label}.png"
        data = page.screenshot(path=path, full_page=True, animations="disabled")
        assert data.startswith(PNG_SIGNATURE)
        width = int.from_bytes(data[16:20], "big")
        assert width == viewport["width"], f"{path.name} is {width} px wide, not {viewport['width']}"
        page.context.close()


def _comment_beside_a_paragraph(page) -> None:
    """The section page as the README shows it, from the top: a paragraph's published comments open in its margin,
    and the comment form opened beside it for a new comment on the same paragraph."""
    page.get_by_text(re.compile(r"^\d+ comments? on paragraph")).first.click()
    block = page.locator(".block:has(.margin-note)").first
    block.get_by_role("link", name=re.compile("^Comment on this paragraph")).click()
    page.keyboard.type("Please say who signs off the choice of training data.")
    page.evaluate("() => window.scrollTo(0, 0)")


@pytest.mark.parametrize("name", README_SHOTS)
def test_readme_pictures(new_context, site, name):
    README_PICTURES.mkdir(parents=True, exist_ok=True)
    page_type, heading, width, height = README_SHOTS[name]
    page_type = BY_NAME.get(page_type, page_type)
    page = new_context(page_type.role, viewport={"width": width, "height": height}).new_page()
    open_page(page, site, page_type)
    if name.startswith("section"):
        _comment_beside_a_paragraph(page)
    if heading:
        target = page.get_by_role("heading", name=re.compile("^" + heading))
        target.evaluate("element => element.scrollIntoView({block: 'start'})")
    data = page.screenshot(path=README_PICTURES / name, type="jpeg", quality=70, animations="disabled")
    assert data.startswith(b"\xff\xd8") and len(data) < 150_000, f"{name}: {len(data)} bytes"
