"""What people do with Consult, in a real browser against the real server, found by role, label and text.

(a) A visitor reads the guidance, section by section.
(b)-(e) One comment's whole life: a new reviewer registers (confirming through the link mailed to the
loopback SMTP server), quotes a passage selected with the mouse and comments on it; a moderator approves it
in the queue and records the drafting team's disposition; a visitor reads it with the response; the
moderator downloads the response log and finds it there.
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import link_in, log_in, mail_to, normalise
from tests.browser.site import ACCOUNTS

pytestmark = pytest.mark.browser

TITLE = "Ethical considerations in the use of machine learning for research and statistics"
# The Introduction's second paragraph (the demo already quotes the first).
FIRST_WORDS = "This guidance has been drafted by the data ethics workstream"
NEW_REVIEWER = {
    "email": "new.reviewer@example.org",
    "name": "Noor Haddad",
    "organisation": "Institute for Survey Methods",
    "respondent_type": "Academia or research",
    "country": "Jordan",
    "password": "lantern orchard velvet harbour",
}
COMMENT = "Please say who signs off the choice of training data, and keep a dated record of that decision."
RESPONSE = "Agreed: version 3 names the senior responsible owner and asks for a dated record."


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def open_section_from_home(page: Page, section_title: str) -> None:
    """Home -> the document -> the section's link in the contents, as a reader would go."""
    page.goto("/")
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(heading(page)).to_have_text(TITLE)
    page.get_by_role("navigation", name="Contents").get_by_role("link", name=section_title).click()
    expect(heading(page)).to_have_text(re.compile(re.escape(section_title) + "$"))


def test_visitor_reads_the_guidance_section_by_section(new_context):
    page = new_context().new_page()
    page.goto("/")
    expect(page).to_have_title("Guidance under consultation \N{EN DASH} Consult")
    page.get_by_role("link", name=TITLE, exact=True).click()

    expect(page).to_have_url(re.compile(r"/guidance/ml-ethics/$"))
    expect(heading(page)).to_have_text(TITLE)
    contents = page.get_by_role("navigation", name="Contents")
    expect(contents.get_by_role("listitem")).to_have_count(15)
    contents.get_by_role("link", name="What machine learning is in official statistics").click()

    expect(page).to_have_url(re.compile(r"/guidance/ml-ethics/what-is-ml/$"))
    expect(heading(page)).to_have_text("2. What machine learning is in official statistics")
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Section 2")).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_role("link", name=re.compile(r"^Next section")).click()

    expect(page).to_have_url(re.compile(r"/guidance/ml-ethics/public-good/$"))
    expect(heading(page)).to_have_text("3. Public good")
    page.get_by_role("link", name=re.compile(r"^Previous section")).click()

    expect(page).to_have_url(re.compile(r"/guidance/ml-ethics/what-is-ml/$"))
    expect(heading(page)).to_have_text("2. What machine learning is in official statistics")
    # A visitor is invited to log in or register rather than shown the form.
    expect(page.get_by_label("Your comment")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("link", name="register")).to_be_visible()


def register_and_confirm(page: Page, mailbox) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register").click()
    expect(heading(page)).to_have_text("Register to comment")
    page.get_by_label("Email address").fill(NEW_REVIEWER["email"])
    page.get_by_label("Name", exact=True).fill(NEW_REVIEWER["name"])
    page.get_by_label("Organisation (optional)").fill(NEW_REVIEWER["organisation"])
    page.get_by_label("You are responding as").select_option(label=NEW_REVIEWER["respondent_type"])
    page.get_by_label("Country (optional)").fill(NEW_REVIEWER["country"])
    page.get_by_label("Password", exact=True).fill(NEW_REVIEWER["password"])
    page.get_by_label("Password again").fill(NEW_REVIEWER["password"])
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Register").click()

    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_role("main")).to_contain_text(f"We have sent a message to {NEW_REVIEWER['email']}")
    link = link_in(mail_to(mailbox, NEW_REVIEWER["email"], "Confirm"), "/auth/confirm/")
    page.goto(link)  # the link opens a page with one button, so that a mail scanner following it confirms nothing
    expect(heading(page)).to_have_text("Confirm your email address")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status")).to_have_text("Thank you: your email address is confirmed and you are logged in.")
    expect(page.get_by_role("link", name=f"Your account ({NEW_REVIEWER['name']})")).to_be_visible()


def select_with_the_mouse(page: Page, text_start: str) -> str:
    """Drag across the first line of the paragraph that starts with `text_start`; return what got selected."""
    paragraph = page.get_by_text(text_start)
    paragraph.scroll_into_view_if_needed()
    box = paragraph.bounding_box()
    assert box is not None
    line_middle = box["y"] + 12
    page.mouse.move(box["x"] + 1, line_middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, line_middle, steps=8)
    page.mouse.up()
    selected = normalise(page.evaluate("() => getSelection().toString()"))
    assert selected and normalise(paragraph.inner_text()).startswith(selected), selected
    return selected


def comment_on_a_passage(page: Page) -> tuple[str, str]:
    """Returns the new comment's reference and the quoted passage."""
    open_section_from_home(page, "Introduction and scope")
    quote_button = page.get_by_role("button", name="Comment on this passage")
    expect(quote_button).to_be_hidden()
    quote = select_with_the_mouse(page, FIRST_WORDS)
    assert len(quote.split()) >= 4, quote
    quote_button.click()

    expect(page.get_by_label("The passage you are commenting on (optional)")).to_have_value(quote)
    comment_field = page.get_by_label("Your comment", exact=True)
    expect(comment_field).to_be_focused()
    page.keyboard.type(COMMENT)
    expect(page.get_by_text(f"{len(COMMENT)} of 10,000 characters")).to_be_visible()
    page.get_by_label("Suggestion for a change").check()
    page.get_by_label("Public, with my name and organisation").check()
    page.get_by_role("button", name="Send comment").click()

    status = page.get_by_role("status")
    expect(status).to_have_text(re.compile(r"^Thank you\. Your comment C-\d{6} is awaiting moderation\.$"))
    reference = re.search(r"C-\d{6}", status.inner_text()).group(0)
    # Shown where the form was, beside the paragraph, inside the section's text (an article itself).
    mine = page.get_by_role("article", name=NEW_REVIEWER["name"]).filter(
        has=page.get_by_role("link", name=reference, exact=True)
    )
    expect(mine).to_contain_text("Awaiting moderation.")
    expect(mine).to_contain_text(COMMENT)
    expect(mine.get_by_role("blockquote")).to_contain_text(quote)
    # It is in the reviewer's own list too, and nobody else can see it yet.
    page.get_by_role("link", name=re.compile(r"^Your account")).click()
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Awaiting moderation")
    return reference, quote


def approve_and_answer(page: Page, mailbox, reference: str) -> None:
    log_in(page, *ACCOUNTS["moderator"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Moderation")).click()
    expect(heading(page)).to_have_text("Moderation queue")
    page.get_by_label("Text in the comment or quote").fill("who signs off the choice of training data")
    page.get_by_role("button", name="Filter").click()
    # The queue's own status, not the bulk bar's (a second live region, which its script may fill).
    expect(page.get_by_role("status").filter(has_text="awaiting moderation")).to_have_text(
        "1 comment awaiting moderation, oldest first."
    )
    comment_page = page.get_by_role("link", name=reference, exact=True).get_attribute("href")
    page.get_by_role("button", name=f"Approve {reference}").click()

    expect(page.get_by_role("status").filter(has_text="approved")).to_have_text(f"{reference} approved.")
    published = mail_to(mailbox, NEW_REVIEWER["email"], f"Your comment {reference} has been published")
    assert f"/guidance/ml-ethics/introduction/#{reference}" in link_in(published, "/guidance/")

    page.goto(comment_page)
    expect(heading(page)).to_have_text(f"Comment {reference}")
    expect(page.get_by_role("definition").first).to_have_text("Approved")
    page.get_by_label("Disposition", exact=True).select_option(label="Accepted")
    page.get_by_label("The drafting team's response").fill(RESPONSE)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(f"Disposition of {reference} saved.")
    history = page.get_by_role("table")
    expect(history).to_contain_text("Approved")
    expect(history).to_contain_text("Disposition set to Accepted")


def read_as_visitor(page: Page, reference: str, quote: str) -> None:
    open_section_from_home(page, "Introduction and scope")
    # A comment on a passage is in the margin of the quoted paragraph, folded under the paragraph's count.
    paragraph = page.locator(".block").filter(has=page.get_by_text(FIRST_WORDS))
    paragraph.get_by_text(re.compile(r"^\d+ comments? on paragraph")).click()
    comment = paragraph.get_by_role("article").filter(has=page.get_by_role("link", name=reference, exact=True))
    expect(comment).to_have_count(1)
    expect(comment.get_by_role("heading")).to_have_text(f"{NEW_REVIEWER['name']}, {NEW_REVIEWER['organisation']}")
    expect(comment).to_contain_text(COMMENT)
    expect(comment.get_by_role("blockquote")).to_contain_text(quote)
    response = comment.get_by_role("region", name=f"Drafting team's response to {reference}")
    expect(response).to_contain_text("Drafting team's response · Accepted")
    expect(response).to_contain_text(RESPONSE)
    # The quoted passage is marked in the section text.
    expect(page.get_by_role("mark").filter(has_text=quote)).to_have_text(quote)


def download_response_log(page: Page, tmp_path) -> list[dict[str, str]]:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Moderation")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the response log (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv"), download.value.suggested_filename
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_comment_from_registration_to_the_response_log(new_context, mailbox, tmp_path):
    reviewer = new_context().new_page()
    register_and_confirm(reviewer, mailbox)
    reference, quote = comment_on_a_passage(reviewer)

    visitor = new_context().new_page()
    open_section_from_home(visitor, "Introduction and scope")
    expect(visitor.get_by_role("link", name=reference, exact=True)).to_have_count(0)  # not before approval

    moderator = new_context().new_page()
    approve_and_answer(moderator, mailbox, reference)

    read_as_visitor(new_context().new_page(), reference, quote)

    rows = [row for row in download_response_log(moderator, tmp_path) if row["reference"] == reference]
    assert len(rows) == 1, f"{reference} is not in the response log once: {rows}"
    row = rows[0]
    expected = {
        "document": "ml-ethics",
        "section_key": "introduction",
        "kind": "suggestion",
        "quote": quote,
        "comment": COMMENT,
        "publication": "public_named",
        "status": "approved",
        "author_name": NEW_REVIEWER["name"],
        "author_email": NEW_REVIEWER["email"],
        "organisation": NEW_REVIEWER["organisation"],
        "respondent_type": "academia_research",
        "country": NEW_REVIEWER["country"],
        "moderated_by": "Morgan Moderator",
        "disposition": "accepted",
        "response": RESPONSE,
        "responded_by": "Morgan Moderator",
    }
    assert {key: row.get(key) for key in expected} == expected
    assert row["responded_at"] and row["moderated_at"]


def test_a_campaign_is_answered_as_one_group(new_context, site):
    """The moderator goes from the dashboard's campaigns to the group and answers all five comments at once,
    through the real form (CSRF on); each comment gets the answer."""
    page = new_context("moderator").new_page()
    page.goto("/moderation/dashboard")
    page.get_by_role("link", name=f"Like C-{site.group_first_comment_id:06d}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("5 similar comments: a campaign")
    page.get_by_label("Disposition", exact=True).select_option(label="Noted")
    page.get_by_label("The drafting team's response").fill("Thank you: the campaign's point is noted.")
    page.get_by_role("button", name="Answer all").click()
    expect(page.get_by_role("status")).to_contain_text("5 comments answered.")
    expect(page.get_by_role("listitem").filter(has_text="Noted")).to_have_count(5)
