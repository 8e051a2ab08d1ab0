"""Every type of page, as the role that sees it: the accessibility, HTML and screenshot tests go through them all.

A page type is an address to open as a role, and sometimes a form to send from there (a form with errors,
a preview): `open_page` returns the response the server sent for the page the person ends up on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, Response

from tests.browser.site import Site


@dataclass(frozen=True)
class PageType:
    name: str
    role: str  # "visitor", "reviewer", "moderator" or "admin"
    path: Callable[[Site], str]
    status: int = 200
    # What the person does there, leading to the page to check: then(page, site) -> the response of that page.
    then: Callable[[Page, Site], Response] | None = None

    def __str__(self) -> str:
        return self.name


def _send(page: Page, button: str) -> Response:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    response = navigation.value
    assert response is not None
    return response


def _register_with_nothing_filled_in(page: Page, site: Site) -> Response:
    return _send(page, "Register")


def _ask_for_a_reset_link(page: Page, site: Site) -> Response:
    page.get_by_label("Email address").fill("nobody@example.org")
    return _send(page, "Send the link")


def _preview_a_comment(page: Page, site: Site) -> Response:
    page.get_by_label("Your comment", exact=True).fill("A *preview* of a comment, with a list:\n\n- one\n- two")
    return _send(page, "Preview")


def _log_in_with_a_wrong_password(page: Page, site: Site) -> Response:
    # An address without an account (the answer is the same for one with an account): failures for the
    # reviewer's account would hold back its own log-ins in the other tests (services/throttle.py).
    page.get_by_label("Email address").fill("no-account@example.org")
    page.get_by_label("Password", exact=True).fill("not the right passphrase")
    return _send(page, "Log in")


def _check_a_response_log(page: Page, site: Site) -> Response:
    """Upload a one-row response log that answers the approved comment, which leads to the dry run's page."""
    reference = f"C-{site.approved_comment_id:06d}"
    log = f"reference,disposition,response\r\n{reference},noted,Thank you: we will say more in version 3.\r\n"
    page.get_by_label("Response log (CSV file)").set_input_files(
        {"name": "response-log.csv", "mimeType": "text/csv", "buffer": log.encode("utf-8")}
    )
    return _send(page, "Check the file")


def _section(site: Site, index: int) -> str:
    return f"/guidance/{site.slug}/{site.section_keys[index]}/"


PAGE_TYPES = [
    PageType("home", "visitor", lambda site: "/"),
    PageType("document", "visitor", lambda site: f"/guidance/{site.slug}/"),
    PageType("section", "visitor", lambda site: _section(site, 0)),
    PageType("old-version", "visitor", lambda site: f"/guidance/{site.slug}/v1/"),
    PageType("privacy", "visitor", lambda site: "/privacy"),
    PageType("api", "visitor", lambda site: "/api/"),
    PageType("register", "visitor", lambda site: "/auth/register"),
    PageType("register-errors", "visitor", lambda site: "/auth/register", 400, _register_with_nothing_filled_in),
    PageType("login", "visitor", lambda site: "/auth/login"),
    PageType("login-failed", "visitor", lambda site: "/auth/login", 400, _log_in_with_a_wrong_password),
    PageType("reset", "visitor", lambda site: "/auth/reset"),
    PageType("reset-sent", "visitor", lambda site: "/auth/reset", 200, _ask_for_a_reset_link),
    PageType("new-password", "visitor", lambda site: f"/auth/reset/{site.reset_token}"),
    PageType("link-not-valid", "visitor", lambda site: "/auth/reset/not-a-valid-token", 400),
    PageType("confirm-link", "visitor", lambda site: f"/auth/change-email/{site.change_email_token}"),
    PageType("not-found", "visitor", lambda site: f"/guidance/{site.slug}/no-such-section/", 404),
    PageType("section-reviewer", "reviewer", lambda site: _section(site, 1)),
    PageType("comment-preview", "reviewer", lambda site: _section(site, 1), 200, _preview_a_comment),
    PageType("reply", "reviewer", lambda site: f"/comments/{site.approved_comment_id}/reply"),
    PageType("edit-comment", "reviewer", lambda site: f"/comments/{site.own_pending_comment_id}/edit"),
    PageType("account", "reviewer", lambda site: "/account/"),
    PageType("forbidden", "reviewer", lambda site: "/moderation/", 403),
    PageType("section-moderator", "moderator", lambda site: _section(site, 2)),
    PageType("moderation-queue", "moderator", lambda site: "/moderation/"),
    PageType("moderation-comment", "moderator", lambda site: f"/moderation/comments/{site.pending_comment_id}"),
    PageType("dashboard", "moderator", lambda site: "/moderation/dashboard"),
    PageType("import", "moderator", lambda site: "/moderation/import"),
    PageType("import-check", "moderator", lambda site: "/moderation/import", 200, _check_a_response_log),
    PageType("home-admin", "admin", lambda site: "/"),
    PageType("admin-users", "admin", lambda site: "/admin/users"),
]
BY_NAME = {page_type.name: page_type for page_type in PAGE_TYPES}


def open_page(page: Page, site: Site, page_type: PageType) -> Response:
    """Open the page type in `page` (whose context is logged in as its role) and check its status."""
    response = page.goto(site.url(page_type.path(site)))
    assert response is not None
    if page_type.then is not None:
        assert response.status == 200, f"{page_type}: {response.url} answered {response.status}"
        response = page_type.then(page, site)
    assert response.status == page_type.status, f"{page_type}: {response.url} answered {response.status}"
    page.wait_for_load_state("load")
    return response
