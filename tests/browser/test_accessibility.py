"""axe-core on every page type, as the role that sees it: at desktop width, at 320 px and with text at 200 %.

axe-core (npm package, version pinned in package.json) runs the WCAG 2.0, 2.1 and 2.2 A and AA rules.
It is injected as a script element, which the app's Content-Security-Policy rightly forbids, so these
contexts (and only these) are made with bypass_csp=True.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import axe_violations, describe_violations
from tests.browser.pages import PAGE_TYPES, open_page

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# The page's width as laid out, and the elements that stick out of it (not counting those inside a box that
# scrolls or clips on its own), for a readable failure.
_OVERFLOW = """() => {
  const root = document.documentElement;
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > root.clientWidth + 0.5 && !clipped(el)) {
      out.push(Math.round(box.right) + " px: " + el.outerHTML.slice(0, 120).replace(/\\s+/g, " "));
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, outside: out.slice(-5)};
}"""


def _assert_no_violations(page, page_type, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page_type} ({where}, {page.url}):\n{describe_violations(violations)}"


def _assert_no_horizontal_scrolling(page, page_type, where: str) -> None:
    layout = page.evaluate(_OVERFLOW)
    assert layout["scrollWidth"] <= layout["clientWidth"], (
        f"{page_type} ({where}) scrolls sideways: {layout['scrollWidth']} px of content in "
        f"{layout['clientWidth']} px; innermost elements outside it: {layout['outside']}"
    )


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_no_axe_violations_at_desktop_width(new_context, site, page_type):
    page = new_context(page_type.role, bypass_csp=True).new_page()
    open_page(page, site, page_type)
    _assert_no_violations(page, page_type, "1280 px wide")


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_reflows_at_320_px_without_violations(new_context, site, page_type):
    """WCAG 1.4.10: at 320 CSS px (a 1280 px screen at 400 % zoom) nothing needs scrolling sideways."""
    page = new_context(page_type.role, bypass_csp=True, viewport=NARROW).new_page()
    open_page(page, site, page_type)
    assert page.evaluate("() => window.innerWidth") == NARROW["width"]
    _assert_no_horizontal_scrolling(page, page_type, "320 px wide")
    _assert_no_violations(page, page_type, "320 px wide")


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_text_at_200_percent(new_context, site, page_type):
    """WCAG 1.4.4: text doubled (as a person's browser font size setting of 32 px would: our sizes are in
    rem and em), still no sideways scrolling at desktop width, and no violations."""
    page = new_context(page_type.role, bypass_csp=True).new_page()
    open_page(page, site, page_type)
    before = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    after = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert after == pytest.approx(2 * before), f"text did not scale with the browser's font size: {before} -> {after}"
    _assert_no_horizontal_scrolling(page, page_type, "text at 200 %")
    _assert_no_violations(page, page_type, "text at 200 %")
