"""A reader on a section decides to register: a form error keeps their place and asks for the password again
with the focus on what to fix, "Nothing arrived?" sends a new link, and confirming brings them back to the
section they were reading, where a comment they send is acknowledged by mail."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import link_in, mail_to

pytestmark = pytest.mark.browser

EMAIL = "back.to.reading@example.org"
PASSWORD = "cobalt meadow lantern ferry"


def test_register_from_a_section_and_come_back_to_it(new_context, site, mailbox):
    page = new_context().new_page()
    section = f"/guidance/{site.slug}/{site.section_keys[2]}/"
    page.goto(section)
    page.get_by_role("main").get_by_role("link", name="register", exact=True).click()

    # A first try with the privacy box left unticked: the summary takes the focus, on screen, and says to type
    # the password again, which the page never echoes.
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Name", exact=True).fill("Ines Back")
    page.get_by_label("You are responding as").select_option(label="Individual")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("For your safety, type your password again")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Email address")).to_have_value(EMAIL)
    summary.get_by_role("link", name=re.compile("^For your safety")).click()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    # "Nothing arrived?" sends a new link; the newest one brings the reader back to the section.
    page.get_by_role("button", name="Send the confirmation link again").click()
    expect(page.get_by_role("main")).to_contain_text("we have sent it a new link")
    page.goto(link_in(mail_to(mailbox, EMAIL, "Confirm"), "/auth/confirm/"))
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page).to_have_url(site.url(section))
    expect(page.get_by_role("status").first).to_contain_text("your email address is confirmed")
