"""Controls that must stay in view on a phone (375 px), not only the page as a whole (test_accessibility.py
checks that nothing but boxes that scroll on their own sticks out at 320 px)."""

from __future__ import annotations

import pytest

from tests.browser.pages import BY_NAME, open_page

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}

# Every "Change role" and "Deactivate"/"Reactivate" button and role list: where it is, and whether its table
# scrolls sideways to show it.
_CONTROLS = """() => {
  const wrap = document.querySelector(".table-wrap");
  const controls = [...document.querySelectorAll(".data-table select, .data-table button")];
  return {
    tableScrolls: wrap.scrollWidth > wrap.clientWidth,
    viewport: document.documentElement.clientWidth,
    outside: controls
      .map(el => ({name: el.textContent.trim() || el.id, right: el.getBoundingClientRect().right}))
      .filter(box => box.right > document.documentElement.clientWidth),
    count: controls.length,
  };
}"""


def test_the_admin_users_table_shows_its_role_controls_on_a_phone(new_context, site):
    page = new_context("admin", viewport=PHONE).new_page()
    open_page(page, site, BY_NAME["admin-users"])
    layout = page.evaluate(_CONTROLS)
    assert layout["count"] >= 4, layout  # the demo has several accounts besides the admin's own
    assert not layout["tableScrolls"], "the table of accounts scrolls sideways on a 375 px screen"
    assert layout["outside"] == [], f"controls beyond the {layout['viewport']} px screen: {layout['outside']}"
    # Each cell says which column it is: the column headings are out of sight.
    assert page.get_by_text("Role", exact=True).first.is_visible()
