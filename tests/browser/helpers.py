"""What the browser tests do again and again: log in, read mail, check focus, run axe-core.

Pages are found the way a person finds things: by role, accessible name, label and text. The only
script run in the pages reads what a person could see (the focused element and its computed style, the
selection, the page's width) or is axe-core itself.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.smtp import Mailbox

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = PROJECT_ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def normalise(text: str) -> str:
    """Whitespace as a reader sees it (what comments.js does to a selection before quoting it)."""
    return " ".join(text.split())


def log_in(page: Page, email: str, password: str) -> None:
    """Log in through the form, from the link in the header, and check that it worked."""
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def mail_to(mailbox: Mailbox, address: str, subject_part: str, timeout: float = 5.0):
    """The newest message to `address` whose subject contains `subject_part` (AssertionError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            message
            for message in list(mailbox.messages)
            if message["To"] == address and subject_part in str(message["Subject"])
        ]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            subjects = [(str(m["To"]), str(m["Subject"])) for m in mailbox.messages]
            raise AssertionError(f"no mail to {address} about {subject_part!r}; the mailbox has {subjects}")
        time.sleep(0.05)


def link_in(message, path_part: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", body)
    assert match, f"no link containing {path_part!r} in:\n{body}"
    return match.group(0)


# --- keyboard ------------------------------------------------------------------------------------------------

# How an element is named in failure messages: its tag (and input type) and its label or text.
_DESCRIBE = """const describe = el => {
  const label = (el.labels && el.labels.length ? el.labels[0].innerText : "")
    || el.getAttribute("aria-label") || el.innerText || el.value || el.name || "";
  const tag = el.tagName.toLowerCase() + (el.tagName === "INPUT" ? "[" + el.type + "]" : "");
  return tag + ' "' + label.trim().replace(/\\s+/g, " ").slice(0, 60) + '"';
};"""

# The focused element as a person perceives it: what it is, whether its focus indicator can be seen (an
# outline that is not `none` and has a width, or a box shadow) and whether it is on screen.
_FOCUSED = (
    """() => {"""
    + _DESCRIBE
    + """
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    description: describe(el),
    visible: outline || shadow,
    style: "outline: " + style.outlineStyle + " " + style.outlineWidth + "; box-shadow: " + style.boxShadow,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
    key: window.__keyOf ? window.__keyOf(el) : null,
  };
}"""
)

# Every element that should be a Tab stop, in document order: links, buttons, fields and anything with a
# tabindex of 0 or more, that is rendered and not disabled; a group of radio buttons is one stop.
_TAB_STOPS = (
    """() => {"""
    + _DESCRIBE
    + """
  const ids = new WeakMap();
  let next = 1;
  window.__keyOf = el => { if (!ids.has(el)) ids.set(el, next++); return ids.get(el); };
  const candidates = document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]");
  const groups = new Set();
  const stops = [];
  for (const el of candidates) {
    if (el.tabIndex < 0 || el.disabled || el.type === "hidden") continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    if (el.type === "radio") {
      if (groups.has(el.name)) continue;
      groups.add(el.name);
      const radios = [...document.querySelectorAll('input[type="radio"]')].filter(r => r.name === el.name);
      stops.push({keys: radios.map(r => window.__keyOf(r)), description: 'radio group "' + el.name + '"'});
    } else {
      stops.push({keys: [window.__keyOf(el)], description: describe(el)});
    }
  }
  return stops;
}"""
)


def focused(page: Page) -> dict | None:
    return page.evaluate(_FOCUSED)


def tab_through_page(page: Page, limit: int = 400) -> list[dict]:
    """Press Tab from the top of a page just loaded until focus leaves the page or comes back to the first stop.

    Checks on the way that every focused element shows a focus indicator and is on screen, that every
    expected stop is reached and that focus is never trapped (it gets through the page within `limit` presses).
    Returns the focused elements in order."""
    expected = page.evaluate(_TAB_STOPS)
    reached: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None or (reached and now["key"] == reached[0]["key"]):
            break
        assert now["visible"], f"no visible focus indicator on {now['description']} ({now['style']})"
        assert now["onScreen"], f"{now['description']} has focus but is not scrolled into view"
        reached.append(now)
    else:
        stuck = reached[-1]["description"] if reached else "nothing"
        raise AssertionError(f"focus is trapped: {limit} presses of Tab never left the page (last: {stuck})")
    keys = {item["key"] for item in reached}
    missed = [stop["description"] for stop in expected if not keys.intersection(stop["keys"])]
    assert not missed, f"not reachable with Tab: {missed}"
    assert len(reached) >= len(expected), "some stops were reached twice, others not at all"
    return reached


def tab_to(page: Page, target: Locator, limit: int = 200) -> int:
    """Press Tab until `target` has focus (checking each stop's focus indicator); return the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is not None:
            assert now["visible"], f"no visible focus indicator on {now['description']} ({now['style']})"
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{target} not reached after {limit} presses of Tab")


# --- axe-core ------------------------------------------------------------------------------------------------

_RUN_AXE = """async tags => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on the page as it is now.

    axe is injected as a script element, so the page's context must be made with bypass_csp=True."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` in {PROJECT_ROOT}", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            lines.extend(f"        {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)
