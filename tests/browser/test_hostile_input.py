"""Every XSS vector of the corpora in tests/data, and our own, in every place it is shown, loaded in Chromium.

The site (tests/browser/hostile_site.py) has each vector as comment body, quote, reply, display name,
organisation, country, moderation note and response, and in the guidance text itself. Each page where
those appear is loaded twice:

- with the Content-Security-Policy enforced, as a person's browser does: any CSP violation is recorded (the
  app's own pages cause none, so every violation would be hostile markup that got through);
- with the CSP bypassed, so that anything the sanitiser let through would really run.

On every load, hooks record any dialog or call of alert/confirm/prompt/print/open, any navigation away from
the page, any frame, and any request to a host other than the test server (those are also blocked), and
the rendered page is searched for markup that could run script: script elements other than the app's own,
event-handler or style attributes, frames, objects, forms posting elsewhere, and links or sources with a
javascript:, vbscript: or data: address. The expected number of each is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route

from tests import corpora
from tests.browser.helpers import log_in
from tests.browser.hostile_site import STAFF_ROLES, HostileSite, serve_hostile

pytestmark = pytest.mark.browser

# Runs before any of the page's own scripts: replaces the dialog functions with recorders and listens for
# CSP violations, keeping what it saw in window.__hostile.
WATCH = """(() => {
  const seen = [];
  Object.defineProperty(window, "__hostile", {value: seen});
  const note = (what, detail) => seen.push(what + ": " + String(detail).slice(0, 200));
  for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
    window[name] = (...args) => { note("script ran " + name + "()", args.join(", ")); };
  }
  document.addEventListener("securitypolicyviolation", event => note(
    "CSP violation", event.violatedDirective + " blocked " + (event.blockedURI || "inline code")
      + " " + (event.sample || "")), true);
})();"""

# Markup in the rendered body that could run script or send the reader elsewhere. The app's own markup has
# none: its scripts are files under /static/, it uses no inline styles or handlers, and its forms post to
# itself.
SCAN = """() => {
  const found = [];
  const origin = location.origin;
  const invisible = /[\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u200b-\\u200f\\u2028-\\u202f\\u2060-\\u206f\\ufeff]/g;
  const scriptable = value => /^(javascript|vbscript|data|livescript):/i.test(value.replace(invisible, ""));
  const ours = value => { try { return new URL(value, location.href).origin === origin; } catch { return false; } };
  const show = el => el.outerHTML.slice(0, 160).replace(/\\s+/g, " ");
  // Attributes whose value the browser treats as an address to load or follow (data-* attributes are inert).
  const addresses = ["href", "src", "srcset", "action", "formaction", "xlink:href", "data", "background",
                     "poster", "cite", "longdesc", "lowsrc", "dynsrc", "ping", "codebase", "archive", "usemap"];
  const banned = ["iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link", "style",
                  "portal", "foreignobject", "animate", "set", "handler", "listener", "use"];
  for (const el of document.body.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (banned.includes(tag)) found.push("<" + tag + "> element: " + show(el));
    if (tag === "script" && !(el.src && ours(el.src) && new URL(el.src).pathname.startsWith("/static/")))
      found.push("script that is not the app's: " + show(el));
    if (tag === "form" && !ours(el.getAttribute("action") || "")) found.push("form posting elsewhere: " + show(el));
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) found.push("event handler " + name + ": " + show(el));
      else if (["style", "srcdoc", "formaction"].includes(name)) found.push(name + " attribute: " + show(el));
      else if (addresses.includes(name) && scriptable(attribute.value))
        found.push("script address in " + name + ": " + show(el));
    }
  }
  return found;
}"""

OUTSIDE_REQUESTS_BLOCKED = "request to a host other than the test server (blocked)"


@dataclass
class Watch:
    """What the hooks of one browser context saw."""

    base_url: str
    findings: list[str] = field(default_factory=list)
    expected_url: str = ""

    def note(self, where: str, what: str) -> None:
        self.findings.append(f"{where}: {what}")


def watched_context(context: BrowserContext, watch: Watch) -> BrowserContext:
    context.add_init_script(WATCH)

    def route(route: Route, request: Request) -> None:
        if request.url.startswith(watch.base_url + "/"):
            route.continue_()
        else:
            watch.note(watch.expected_url, f"{OUTSIDE_REQUESTS_BLOCKED}: {request.method} {request.url[:200]}")
            route.abort()

    context.route("**/*", route)
    context.on(
        "dialog", lambda dialog: (watch.note(watch.expected_url, f"dialog {dialog.message!r}"), dialog.dismiss())
    )

    def on_page(page: Page) -> None:
        page.on("frameattached", lambda frame: watch.note(watch.expected_url, f"a frame was added: {frame.url}"))
        page.on(
            "framenavigated",
            lambda frame: (
                frame == page.main_frame
                and frame.url != watch.expected_url
                and watch.note(watch.expected_url, f"navigated to {frame.url[:200]}")
            ),
        )
        page.on("websocket", lambda socket: watch.note(watch.expected_url, f"web socket to {socket.url[:200]}"))

    context.on("page", on_page)
    return context


def visit(page: Page, watch: Watch, path: str) -> None:
    """Load `path`, then record what the hooks saw and any script-capable markup on it."""
    watch.expected_url = watch.base_url + path
    response = page.goto(watch.expected_url)
    assert response is not None
    if response.status != 200:
        watch.note(path, f"answered {response.status}")
        return
    page.wait_for_load_state("load")
    watch.findings.extend(f"{path}: {what}" for what in page.evaluate("() => window.__hostile"))
    watch.findings.extend(f"{path}: {what}" for what in page.evaluate(SCAN))


@pytest.fixture(scope="module")
def vectors() -> list[str]:
    return list(dict.fromkeys(corpora.xss_vectors() + corpora.own_cases()))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, mailbox, vectors) -> Iterator[HostileSite]:
    with serve_hostile(tmp_path_factory.mktemp("hostile-site"), mailbox.url, vectors) as running:
        yield running


@pytest.fixture(scope="module")
def hostile_states(browser, hostile) -> dict[str, dict | None]:
    """Cookies of each staff role logged in to the hostile site through the form; the visitor has none."""
    states: dict[str, dict | None] = {"visitor": None}
    for role in STAFF_ROLES:
        context = browser.new_context(base_url=hostile.base_url)
        try:
            page = context.new_page()
            log_in(page, *hostile.account(role))
            states[role] = context.storage_state()
        finally:
            context.close()
    return states


def _sections(site: HostileSite) -> list[str]:
    return [f"/guidance/{site.slug}/{key}/" for key in site.section_keys]


def _walk(page: Page, watch: Watch, start: str) -> list[str]:
    """Every page of a paged list from `start` on, by its "Next page" links (visiting each on the way)."""
    visited, path = [], start
    while path:
        visit(page, watch, path)
        visited.append(path)
        following = page.get_by_role("link", name="Next page")
        path = following.get_attribute("href") if following.count() else None
        assert len(visited) < 1000, f"the Next page links from {start} go round in a circle"
    return visited


# Paged lists, walked by their "Next page" links: the groups below whose paths are None start here.
WALKS = {"moderation-queue": "/moderation/", "worklist": "/moderation/comments/?status=rejected"}


# Each group: (role, paths to visit, or a function that walks pages itself and returns what it visited).
GROUPS: dict[str, tuple[str, Callable[[HostileSite], list[str]] | None]] = {
    "contents": ("visitor", lambda site: [f"/guidance/{site.slug}/", "/"]),
    "sections-visitor": ("visitor", _sections),
    "old-version": ("visitor", lambda site: [f"/guidance/{site.slug}/v1/"]),
    "sections-reviewer": ("reviewer", _sections),
    "account": ("reviewer", lambda site: ["/account/"]),
    "sections-moderator": ("moderator", _sections),
    "moderation-queue": ("moderator", None),
    "worklist": ("moderator", None),
    # The search words are in many vectors: the first page of results marks matches inside hostile text.
    "worklist-search": ("moderator", lambda site: ["/moderation/comments/?q=script+or+alert+or+onerror"]),
    "history": ("moderator", lambda site: [f"/moderation/comments/{id_}" for id_ in site.rejected_ids]),
    "dashboard": ("moderator", lambda site: ["/moderation/dashboard", "/moderation/import"]),
    "admin-users": ("admin", lambda site: [f"/admin/users?page={n}" for n in range(1, site.user_pages + 1)]),
}


def test_the_seed_put_every_vector_in_place(hostile, vectors):
    """Guards the other tests: they are only as good as the hostile data they load."""
    assert len(vectors) >= 390, f"only {len(vectors)} vectors: are the corpora complete?"
    assert hostile.quoted >= 0.95 * len(vectors), f"only {hostile.quoted} of {len(vectors)} quotes were accepted"
    assert len(hostile.rejected_ids) == len(vectors)


@pytest.mark.parametrize("csp", ["csp-enforced", "csp-bypassed"])
@pytest.mark.parametrize("group", GROUPS)
def test_no_vector_runs_leaves_or_calls_out(browser, hostile, hostile_states, group, csp):
    role, paths = GROUPS[group]
    watch = Watch(hostile.base_url)
    context = browser.new_context(
        base_url=hostile.base_url, storage_state=hostile_states[role], bypass_csp=csp == "csp-bypassed"
    )
    try:
        page = watched_context(context, watch).new_page()
        if paths is None:
            visited = _walk(page, watch, WALKS[group])
        else:
            visited = paths(hostile)
            for path in visited:
                visit(page, watch, path)
    finally:
        context.close()
    assert visited, "no page visited"
    shown = "\n".join(watch.findings[:40])
    assert not watch.findings, f"{len(watch.findings)} findings on {len(visited)} pages ({role}):\n{shown}"
