"""Every type of page, as the role that sees it: the accessibility, HTML and screenshot tests go through them all.

A page type is an address to open as a role, and sometimes a form to send from there (a form with errors,
a preview): `open_page` returns the response the server sent for the page the person ends up on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, Response, expect

from tests.browser.site import PROJECT_ROOT, Site


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


def _register_with_a_missing_name(page: Page, site: Site) -> Response:
    """A password typed, then an error elsewhere: the form asks for the password again, with a note."""
    page.get_by_label("Email address").fill("someone.new@example.org")
    page.get_by_label("Password", exact=True).fill("a long and unusual new passphrase")
    page.get_by_label("Password again").fill("a long and unusual new passphrase")
    return _send(page, "Register")


def _ask_again(page: Page, site: Site) -> Response:
    page.get_by_label("Email address").fill("nobody@example.org")
    return _send(page, "Send a new link")


def _ask_for_a_reset_link(page: Page, site: Site) -> Response:
    page.get_by_label("Email address").fill("nobody@example.org")
    return _send(page, "Send the link")


def _preview_a_comment(page: Page, site: Site) -> Response:
    """The preview comes back in place (comments.js sends the form with fetch): the page's HTML is the section's."""
    response = page.reload()
    page.get_by_label("Your comment", exact=True).fill("A *preview* of a comment, with a list:\n\n- one\n- two")
    page.get_by_label("General comment").check()
    page.get_by_label("Public, anonymously").check()
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_role("region", name="Preview")).to_be_focused()
    return response


def _open_a_margin(page: Page, site: Site) -> Response:
    """The section's form opened beside a paragraph, an empty send's errors in it, and a margin's comments open."""
    response = page.reload()
    page.get_by_role("link", name=re.compile(r"^Comment on this paragraph")).first.click()
    page.get_by_role("button", name="Send comment", exact=True).click()
    expect(page.get_by_role("alert")).to_be_focused()
    page.get_by_text(re.compile(r"^\d+ comments? on paragraph")).first.click()
    return response


def _empty_reply(page: Page, site: Site) -> Response:
    """The reply page as sent without script (comments.js leaves a form without data-fragment-form alone): an empty
    send answers with the reply page again, its errors on top."""
    page.get_by_label("Your comment", exact=True).evaluate("field => field.form.removeAttribute('data-fragment-form')")
    return _send(page, "Send reply")


def _open_a_reject_panel(page: Page, site: Site) -> Response:
    """The queue with the first card's reject panel open: its reason and note (static/moderation.js loaded)."""
    response = page.reload()
    page.locator("[data-card] .reject-panel__toggle").first.click()
    expect(page.locator("[data-card] select[name=reason]").first).to_be_visible()
    return response


def _reject_without_a_reason(page: Page, site: Site) -> Response:
    """As sent without script (moderation.js leaves a form marked data-plain alone): the queue again, 400, the error
    at the card and its reject panel open. Nothing is decided."""
    form = page.locator("[data-decision-form]").first
    form.evaluate("form => form.setAttribute('data-plain', '')")
    form.locator(".reject-panel__toggle").click()
    reference = form.evaluate("form => form.closest('[data-card]').id")
    return _send(page, f"Reject {reference}")


def _save_a_reject_without_a_reason(page: Page, site: Site) -> Response:
    page.get_by_label("Reject", exact=True).check()
    return _send(page, "Save")


def _print(page: Page, site: Site) -> Response:
    page.emulate_media(media="print")
    return page.reload()


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


def _upload_guidance(page: Page, name: str, content: bytes) -> Response:
    page.get_by_label("Guidance file (Markdown)", exact=True).set_input_files(
        {"name": name, "mimeType": "text/markdown", "buffer": content}
    )
    return _send(page, "Check the file")


def _check_a_guidance_file(page: Page, site: Site) -> Response:
    """Upload version 1's text over version 2: the dry run (which writes nothing) shows a changed section, a
    removed one and the note fields."""
    return _upload_guidance(page, f"{site.slug}.md", (PROJECT_ROOT / "guidance" / f"{site.slug}.md").read_bytes())


def _upload_a_word_document(page: Page, site: Site) -> Response:
    return _upload_guidance(page, "guidance.docx", b"PK\x03\x04 not Markdown")


def _add_a_nameless_theme(page: Page, site: Site) -> Response:
    return _send(page, "Add the theme")


def _themes(site: Site) -> str:
    return f"/moderation/themes?document={site.slug}"


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
    PageType("register-retype", "visitor", lambda site: "/auth/register", 400, _register_with_a_missing_name),
    PageType("resend-confirmation", "visitor", lambda site: "/auth/resend-confirmation"),
    PageType("confirmation-resent", "visitor", lambda site: "/auth/resend-confirmation", 200, _ask_again),
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
    PageType("section-margin-open", "reviewer", lambda site: _section(site, 0), 200, _open_a_margin),
    PageType("section-print", "visitor", lambda site: _section(site, 0), 200, _print),
    PageType("document-print", "visitor", lambda site: f"/guidance/{site.slug}/", 200, _print),
    PageType("reply", "reviewer", lambda site: f"/comments/{site.approved_comment_id}/reply"),
    PageType("reply-errors", "reviewer", lambda site: f"/comments/{site.approved_comment_id}/reply", 400, _empty_reply),
    PageType("edit-comment", "reviewer", lambda site: f"/comments/{site.own_pending_comment_id}/edit"),
    PageType("account", "reviewer", lambda site: "/account/"),
    PageType("forbidden", "reviewer", lambda site: "/moderation/", 403),
    PageType("section-moderator", "moderator", lambda site: _section(site, 2)),
    PageType("moderation-queue", "moderator", lambda site: "/moderation/"),
    PageType("moderation-comment", "moderator", lambda site: f"/moderation/comments/{site.pending_comment_id}"),
    PageType("moderation-queue-reject-open", "moderator", lambda site: "/moderation/", 200, _open_a_reject_panel),
    PageType("moderation-queue-refused", "moderator", lambda site: "/moderation/", 400, _reject_without_a_reason),
    PageType(
        "moderation-comment-refused",
        "moderator",
        lambda site: f"/moderation/comments/{site.pending_comment_id}",
        400,
        _save_a_reject_without_a_reason,
    ),
    PageType("dashboard", "moderator", lambda site: "/moderation/dashboard"),
    # The worklist searched (highlighted matches, every filter's select), and refusing a filter it cannot use.
    PageType("worklist", "moderator", lambda site: '/moderation/comments/?q="training+data"+OR+vendor&sort=section'),
    PageType("worklist-bad-filter", "moderator", lambda site: "/moderation/comments/?status=lost", 400),
    PageType("similar-group", "moderator", lambda site: f"/moderation/groups/{site.group_id}"),
    PageType("import", "moderator", lambda site: "/moderation/import"),
    PageType("themes", "moderator", lambda site: _themes(site)),
    PageType("themes-errors", "moderator", lambda site: _themes(site), 400, _add_a_nameless_theme),
    PageType("theme", "moderator", lambda site: f"/moderation/themes/{site.theme_id}"),
    # The summary of responses, not published in the test site: the moderators' preview, on screen and in print.
    PageType("summary", "moderator", lambda site: f"/guidance/{site.slug}/responses/"),
    PageType("summary-print", "moderator", lambda site: f"/guidance/{site.slug}/responses/", 200, _print),
    PageType("import-check", "moderator", lambda site: "/moderation/import", 200, _check_a_response_log),
    PageType("home-admin", "admin", lambda site: "/"),
    PageType("admin-users", "admin", lambda site: "/admin/users"),
    PageType("admin-guidance", "admin", lambda site: "/admin/guidance"),
    PageType("admin-guidance-check", "admin", lambda site: "/admin/guidance", 200, _check_a_guidance_file),
    PageType("admin-guidance-refused", "admin", lambda site: "/admin/guidance", 400, _upload_a_word_document),
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
