"""The same journeys with the keyboard only: Tab to move, Enter to follow a link or press a button, Space
to tick; typing in fields. On each page every control is reached with Tab, each shows a visible focus
indicator (a non-none outline, or a box shadow) and is scrolled into view, and Tab always gets out again.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import focused, tab_through_page, tab_to
from tests.browser.site import KEYBOARD_PENDING_TEXT

pytestmark = pytest.mark.browser

TITLE = "Ethical considerations in the use of machine learning for research and statistics"
QUOTE = "Official statistics exist to serve the public."


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def follow_with_enter(page: Page, name, within=None) -> None:
    """Tab from the top of the page to the link called `name` and press Enter."""
    link = (within or page).get_by_role("link", name=name, exact=True)
    tab_to(page, link)
    page.keyboard.press("Enter")


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(new_context):
    page = new_context().new_page()
    page.goto("/guidance/ml-ethics/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert focused(page)["onScreen"], "the skip link stays off screen when it has focus"
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the content, not the header
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_visitor_reads_the_guidance_with_the_keyboard(new_context):
    page = new_context().new_page()
    page.goto("/")
    tab_through_page(page)

    page.goto("/")
    follow_with_enter(page, TITLE)
    expect(heading(page)).to_have_text(TITLE)
    stops = tab_through_page(page)
    assert len(stops) > 40, "the contents, section links and permalinks should all be Tab stops"

    page.reload()
    follow_with_enter(page, "Public good", within=page.get_by_role("navigation", name="Contents"))
    expect(heading(page)).to_have_text("3. Public good")
    tab_through_page(page)

    page.reload()
    follow_with_enter(page, re.compile(r"^Next section"))
    expect(heading(page)).to_have_text("4. Confidentiality and data security")

    follow_with_enter(page, re.compile(r"^Previous section"))
    expect(heading(page)).to_have_text("3. Public good")

    follow_with_enter(page, "Contents", within=page.get_by_role("navigation", name="Sections"))
    expect(heading(page)).to_have_text(TITLE)


def test_reviewer_comments_with_the_keyboard(new_context):
    page = new_context("reviewer").new_page()
    page.goto("/guidance/ml-ethics/public-good/")
    expect(heading(page)).to_have_text("3. Public good")
    stops = [stop["description"] for stop in tab_through_page(page)]
    for control in (
        'textarea "The passage',
        'textarea "Your comment',
        'input[radio] "General comment',
        'input[radio] "Public, with my name',
        'button "Preview',
        'button "Send comment',
    ):
        assert any(stop.startswith(control) for stop in stops), f"{control} not reached; stops: {stops}"

    page.reload()
    tab_to(page, page.get_by_label("The passage you are commenting on (optional)"))
    page.keyboard.type(QUOTE)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your comment", exact=True)).to_be_focused()
    page.keyboard.type("Written without a mouse: the public good needs a definition that users recognise.")
    page.keyboard.press("Tab")  # Tab leaves the text area (it is no trap) for the first group of radio buttons
    expect(page.get_by_label("General comment")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("General comment")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Public, with my name and organisation")).to_be_focused()
    page.keyboard.press("Space")  # nothing is preselected: the reviewer chooses who may read it
    expect(page.get_by_label("Public, with my name and organisation")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Preview")).to_be_focused()
    page.keyboard.press("Space")  # a button is pressed with Space as well as Enter

    expect(page.get_by_role("region", name="Preview")).to_contain_text("Written without a mouse")
    expect(page.get_by_label("Your comment", exact=True)).to_have_value(re.compile("^Written without a mouse"))
    tab_to(page, page.get_by_role("button", name="Send comment"))
    page.keyboard.press("Enter")

    status = page.get_by_role("status")
    expect(status).to_have_text(re.compile(r"^Thank you\. Your comment C-\d{6} is awaiting moderation\.$"))
    reference = re.search(r"C-\d{6}", status.inner_text()).group(0)
    mine = page.get_by_role("article").filter(has=page.get_by_role("link", name=reference, exact=True))
    expect(mine).to_contain_text("Awaiting moderation.")
    expect(mine.get_by_role("blockquote")).to_contain_text(QUOTE)
    # After sending, the comment's own controls are Tab stops too.
    page.reload()
    tab_to(page, mine.get_by_role("button", name=f"Withdraw comment {reference}"))


def test_moderator_approves_answers_and_exports_with_the_keyboard(new_context, site, tmp_path):
    page = new_context("moderator", accept_downloads=True).new_page()
    page.goto("/moderation/")
    expect(heading(page)).to_have_text("Moderation queue")
    tab_through_page(page)

    page.reload()
    tab_to(page, page.get_by_label("Text in the comment or quote"))
    page.keyboard.type(KEYBOARD_PENDING_TEXT)
    page.keyboard.press("Enter")  # Enter in a search field sends its form
    # The queue's own status, not the bulk bar's (a second live region, which its script may fill).
    expect(page.get_by_role("status").filter(has_text="awaiting moderation")).to_have_text(
        "1 comment awaiting moderation, oldest first."
    )
    reference = f"C-{site.keyboard_pending_comment_id:06d}"
    tab_to(page, page.get_by_role("button", name=f"Approve {reference}"))
    page.keyboard.press("Enter")
    # Decided without reloading the page (static/moderation.js): the bulk bar says so, and the card is gone.
    expect(page.get_by_role("status").filter(has_text="approved")).to_have_text(f"{reference} approved.")
    expect(page.get_by_role("button", name=f"Approve {reference}")).to_have_count(0)

    page.goto(f"/moderation/comments/{site.keyboard_pending_comment_id}")
    expect(heading(page)).to_have_text(f"Comment {reference}")
    disposition = page.get_by_label("Disposition", exact=True)
    tab_to(page, disposition)
    page.keyboard.type("Noted")  # a closed select picks the option whose label starts with what is typed
    expect(disposition).to_have_value("noted")
    page.keyboard.press("Tab")
    expect(page.get_by_label("The drafting team's response")).to_be_focused()
    page.keyboard.type("Thank you: answered without a mouse.")
    # On through the rest of the screen's one form (the themes' boxes) to its one button.
    tab_to(page, page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Disposition of {reference} saved.")

    page.goto("/moderation/")
    tab_to(page, page.get_by_role("link", name="Download the response log (CSV)"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = tmp_path / "log.csv"
    download.value.save_as(saved)
    rows = saved.read_text(encoding="utf-8").splitlines()
    mine = [row for row in rows if row.startswith(reference + ",")]
    assert len(mine) == 1 and ",noted," in mine[0] and "answered without a mouse" in mine[0], mine
