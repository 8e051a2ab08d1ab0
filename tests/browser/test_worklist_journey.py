"""The drafting team's worklist in a real browser: filter by a section chosen from the list, search, select
the comments found, assign them to yourself, and find them again under "Assigned to me"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SECTION = "third-party-tools"  # the demo's comments about models bought from a vendor are on this section


def test_filter_by_section_search_and_assign_to_me(new_context, site):
    page = new_context("moderator").new_page()
    page.goto("/moderation/dashboard")
    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Every comment").click()
    page.get_by_label("Section", exact=True).select_option(SECTION)
    page.get_by_label("Search the comments, quoted passages and responses").fill("vendor")
    page.get_by_role("button", name="Show comments").click()
    expect(page).to_have_url(re.compile(rf"[?&]section={SECTION}(&|$)"))  # the filters live in the address
    expect(page).to_have_url(re.compile(r"[?&]q=vendor(&|$)"))
    items = page.locator(".worklist__item")
    expect(items.first).to_be_visible()
    found = items.count()
    assert found > 0
    for index in range(found):
        expect(items.nth(index).locator("mark").first).to_have_text(re.compile("vendor", re.IGNORECASE))
    references = [items.nth(index).get_attribute("id") for index in range(found)]

    page.get_by_role("link", name="Select every comment on this page").click()
    expect(page.get_by_role("checkbox", name=f"Select {references[0]}")).to_be_checked()
    page.get_by_role("button", name="Assign selected").click()
    expect(page.get_by_role("status").filter(has_text="Assigned to you")).to_contain_text(references[0])

    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Assigned to me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comments assigned to me")
    listed = page.locator(".worklist__item")
    assert set(references) <= {listed.nth(i).get_attribute("id") for i in range(listed.count())}
