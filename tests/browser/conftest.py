"""Fixtures for the browser tests: the live site, Debian's Chromium driven by Playwright, logged-in roles.

Everything here is session-scoped except `new_context`, which opens browser contexts for one test and
closes them after it. These tests need /usr/bin/chromium (Debian's package); without it they fail with
the command that installs it, rather than skip, so that a CI machine without a browser cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.browser import helpers
from tests.browser.site import ACCOUNTS, Site, serve
from tests.smtp import Mailbox, running_server

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as root, on a machine whose only network is loopback: no sandbox (root), no GPU, and
# none of the background connections to Google's services that this network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """One loopback SMTP server for the whole browser run: the app's MAIL_URL points at it."""
    with running_server() as box:
        yield box


@pytest.fixture(scope="session")
def site(tmp_path_factory, mailbox, redis_url) -> Iterator[Site]:
    with serve(tmp_path_factory.mktemp("browser-site"), mailbox.url, redis_url) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with: apt-get update && apt-get install -y chromium",
            pytrace=False,
        )
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def role_state(browser, site) -> Callable[[str], dict | None]:
    """role_state(role): the cookies of a session logged in through the log-in form as the demo account with
    that role ("visitor" is logged out: None). Each role logs in once per run."""
    states: dict[str, dict] = {}

    def state(role: str) -> dict | None:
        if role == "visitor":
            return None
        if role not in states:
            context = browser.new_context(base_url=site.base_url, viewport=DESKTOP)
            try:
                page = context.new_page()
                helpers.log_in(page, *ACCOUNTS[role])
                states[role] = context.storage_state()
            finally:
                context.close()
        return states[role]

    return state


@pytest.fixture
def new_context(browser, site, role_state) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(role="visitor", **options): a fresh browser context on the live site (closed after the test).

    `role` is "visitor" (logged out), "reviewer", "moderator" or "admin" (the demo accounts); other options go
    to Browser.new_context (viewport, bypass_csp, accept_downloads, ...)."""
    opened: list[BrowserContext] = []

    def make(role: str = "visitor", **options) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=site.base_url, storage_state=role_state(role), **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()
