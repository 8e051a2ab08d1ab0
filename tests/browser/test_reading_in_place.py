"""Commenting where you read: the control at a selection, "Comment on this paragraph", forms that answer in place
(comment, reply, edit), no preselected choices, margin counts, and the reading layout's sticky contents.

Each test works on a section nobody else's test writes to, so that they can run in any order.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import focused, normalise, tab_to

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}

# How long after the last key press or mouse release the control took to show, measured in the page.
_TIME_TO_CONTROL = """() => new Promise(resolve => {
  window.__controlShownAt = null;
  const watch = new MutationObserver(() => {
    const control = document.querySelector(".selection-control");
    if (control && !control.hidden && window.__controlShownAt === null) window.__controlShownAt = performance.now();
  });
  const options = {subtree: true, childList: true, attributes: true, attributeFilter: ["hidden", "style"]};
  watch.observe(document.body, options);
  for (const type of ["keyup", "mouseup"]) {
    document.addEventListener(type, () => { window.__lastInputAt = performance.now(); }, true);
  }
  resolve();
})"""


def section(page: Page, site, index: int) -> None:
    page.goto(f"/guidance/{site.slug}/{site.section_keys[index]}/")


def in_viewport(page: Page, box: dict) -> bool:
    size = page.viewport_size
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and (box["y"] + box["height"] <= size["height"])
    )


def selection_box(page: Page) -> dict:
    return page.evaluate(
        """() => { const r = getSelection().getRangeAt(0).getBoundingClientRect();
                   return {x: r.x, y: r.y, width: r.width, height: r.height}; }"""
    )


def assert_control_next_to_selection(page: Page) -> None:
    control = page.get_by_role("button", name="Comment on this passage")
    expect(control).to_be_visible()
    shown, last_input = page.evaluate("() => [window.__controlShownAt, window.__lastInputAt]")
    assert shown is not None and shown - last_input < 200, f"the control took {shown - last_input:.0f} ms"
    box, chosen = control.bounding_box(), selection_box(page)
    assert in_viewport(page, box), f"the control is outside the viewport: {box}"
    # Just under the selection (or just above it, near the bottom of the screen).
    gap = min(abs(box["y"] - (chosen["y"] + chosen["height"])), abs(chosen["y"] - (box["y"] + box["height"])))
    assert gap < 40, f"the control is {gap:.0f} px from the selection ({box} vs {chosen})"


def paragraph(page: Page, number: int):
    return page.locator(f"#section-p{number}")


def first_paragraph(page: Page) -> tuple[int, object]:
    """The number of the section's first block that is a paragraph (not a list or heading), and its <p>."""
    block = page.locator(".block:has(> .block__text > p)").first
    return int(block.get_attribute("data-paragraph")), block.locator(".block__text > p")


def test_a_passage_selected_with_the_mouse_opens_the_form_beside_its_paragraph(new_context, site):
    page = new_context("reviewer").new_page()
    section(page, site, 5)
    page.evaluate(_TIME_TO_CONTROL)
    number, words = first_paragraph(page)
    words.scroll_into_view_if_needed()
    box = words.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 12, steps=6)
    page.mouse.up()
    selected = normalise(page.evaluate("() => getSelection().toString()"))
    assert len(selected.split()) >= 3, selected
    assert_control_next_to_selection(page)

    page.get_by_role("button", name="Comment on this passage").click()

    form = page.get_by_role("region", name=f"Comment on paragraph {number}")
    expect(form.get_by_label("The passage you are commenting on (optional)")).to_have_value(selected)
    expect(form.get_by_label("Your comment", exact=True)).to_be_focused()
    # On a wide screen the form is in the margin, beside the paragraph's text.
    text_box, form_box = words.bounding_box(), form.bounding_box()
    assert form_box["x"] >= text_box["x"] + text_box["width"], (text_box, form_box)
    expect(form.locator("input[type=radio]:checked")).to_have_count(0)  # nothing chosen for the reviewer


def test_a_passage_selected_with_shift_arrow_on_a_phone(new_context, site):
    page = new_context("reviewer", viewport=PHONE).new_page()
    section(page, site, 6)
    page.evaluate(_TIME_TO_CONTROL)
    number, words = first_paragraph(page)
    words.scroll_into_view_if_needed()
    box = words.bounding_box()
    page.mouse.dblclick(box["x"] + 4, box["y"] + 10)  # the paragraph's first word
    for _ in range(3):
        page.keyboard.press("Shift+Control+ArrowRight")  # and word by word from there
    selected = normalise(page.evaluate("() => getSelection().toString()"))
    assert len(selected.split()) >= 3, selected
    assert_control_next_to_selection(page)

    page.keyboard.press("Tab")  # the next stop after the selection is the control
    control = page.get_by_role("button", name="Comment on this passage")
    expect(control).to_be_focused()
    page.keyboard.press("Enter")

    form = page.get_by_role("region", name=f"Comment on paragraph {number}")
    expect(form.get_by_label("The passage you are commenting on (optional)")).to_have_value(selected)
    comment_box = form.get_by_label("Your comment", exact=True)
    expect(comment_box).to_be_focused()
    # On a phone the form opens in place, under the paragraph, across the width.
    assert form.bounding_box()["y"] > words.bounding_box()["y"]
    assert focused(page)["onScreen"]


def test_a_comment_on_a_paragraph_with_the_keyboard_only_is_previewed_checked_and_sent_in_place(new_context, site):
    page = new_context("reviewer").new_page()
    section(page, site, 7)
    page.evaluate("() => { window.__samePage = true; }")  # gone if anything reloads the page
    control = page.get_by_role("link", name="Comment on this paragraph (2)")
    tab_to(page, control)
    page.keyboard.press("Enter")

    form = page.get_by_role("region", name="Comment on paragraph 2")
    quote = normalise(paragraph(page, 2).locator(".block__text").inner_text())
    expect(form.get_by_label("The passage you are commenting on (optional)")).to_have_value(quote[:2000])
    expect(form.get_by_label("Your comment", exact=True)).to_be_focused()

    # Sent with nothing chosen and nothing written: the errors come back in the form, the summary has focus.
    tab_to(page, form.get_by_role("button", name="Send comment"))
    page.keyboard.press("Enter")
    summary = form.get_by_role("alert")
    expect(summary).to_be_focused()
    for message in ("Write your comment.", "Choose what kind of comment this is.", "Choose who may read your comment."):
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    assert focused(page)["onScreen"], "the error summary has focus but is off screen"

    form.get_by_label("Your comment", exact=True).focus()
    page.keyboard.type("The paragraph should say who decides.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first kind: General comment
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Public, anonymously
    expect(form.get_by_label("Public, anonymously")).to_be_checked()
    tab_to(page, form.get_by_role("button", name="Preview"))
    page.keyboard.press("Enter")
    preview = form.get_by_role("region", name="Preview")
    expect(preview).to_be_focused()
    expect(preview).to_contain_text("The paragraph should say who decides.")
    assert focused(page)["onScreen"], "the preview has focus but is off screen"

    tab_to(page, form.get_by_role("button", name="Send comment"))
    page.keyboard.press("Enter")
    thanks = form.get_by_role("status")
    expect(thanks).to_have_text(re.compile(r"^Thank you\. Your comment C-\d{6} is awaiting moderation\.$"))
    expect(thanks).to_be_focused()
    expect(form.get_by_role("article")).to_contain_text("The paragraph should say who decides.")
    assert page.evaluate("() => window.__samePage === true"), "the page was reloaded"


def _approved_comment(page: Page, site) -> str:
    """Open the section of the approved comment the reply page is for, at that comment; returns its reference."""
    reference = f"C-{site.approved_comment_id:06d}"
    page.goto(f"/comments/{site.approved_comment_id}/reply")
    href = page.get_by_role("main").get_by_role("link", name=re.compile(r"^\d+\. ")).get_attribute("href")
    page.goto(href)
    expect(page.locator(f"#{reference}")).to_be_visible()  # a comment folded in the margin opens for its link
    return reference


def test_a_reply_in_place_keeps_its_context_after_an_error_and_a_preview(new_context, site):
    page = new_context("reviewer").new_page()
    reference = _approved_comment(page, site)
    page.get_by_role("link", name=f"Reply to comment {reference}").click()

    panel = page.get_by_role("heading", name=f"Reply to comment {reference}")
    expect(panel).to_be_visible()
    form = page.locator("[data-form-panel]").filter(has=panel)
    expect(form.get_by_label("Your comment", exact=True)).to_be_focused()
    expect(form.locator("input[type=radio]:checked")).to_have_count(0)

    form.get_by_role("button", name="Send reply").click()
    expect(form.get_by_role("alert")).to_be_focused()
    expect(form.get_by_role("heading", name=f"Reply to comment {reference}")).to_be_visible()
    assert focused(page)["onScreen"]

    form.get_by_label("Your comment", exact=True).fill("A reply, previewed in place.")
    form.get_by_label("Support", exact=True).check()
    form.get_by_label("Public, anonymously").check()
    form.get_by_role("button", name="Preview").click()
    expect(form.get_by_role("region", name="Preview")).to_be_focused()
    expect(form.get_by_role("heading", name=f"Reply to comment {reference}")).to_be_visible()
    expect(form.get_by_label("Your comment", exact=True)).to_have_value("A reply, previewed in place.")


def test_without_javascript_a_reply_with_an_error_stays_on_the_reply_page(new_context, site):
    page = new_context("reviewer", java_script_enabled=False).new_page()
    reference = f"C-{site.approved_comment_id:06d}"
    page.goto(f"/comments/{site.approved_comment_id}/reply")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    page.get_by_label("Your comment", exact=True).fill("Sent without choosing.")
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Send reply").click()
    assert sent.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reply to comment {reference}")
    expect(page.get_by_role("alert")).to_contain_text("Choose what kind of comment this is.")
    expect(page.get_by_label("Your comment", exact=True)).to_have_value("Sent without choosing.")
    expect(page.get_by_role("alert")).to_be_focused()  # autofocus, without script
    expect(page.get_by_text(re.compile("^Comment on this section"))).to_have_count(0)


def test_editing_previews_and_reports_errors_in_place(new_context, site):
    page = new_context("reviewer").new_page()
    page.goto(f"/comments/{site.own_pending_comment_id}/edit")
    expect(page.get_by_role("main")).not_to_contain_text("section above")
    body = page.get_by_label("Your comment", exact=True)
    original = body.input_value()
    body.fill("")
    page.get_by_role("button", name="Save changes").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Write your comment.")).to_be_visible()
    assert focused(page)["onScreen"]

    page.get_by_label("Your comment", exact=True).fill(original + " Previewed.")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_be_focused()
    expect(preview).to_contain_text("Previewed.")
    assert focused(page)["onScreen"]


def test_margin_counts_are_the_published_comments_quoting_each_paragraph(new_context, site):
    """Per paragraph: the approved public comments (the public API's list) whose quote is in its text."""
    page = new_context().new_page()
    published = page.request.get(f"/api/v1/documents/{site.slug}/comments?limit=200").json()["comments"]
    checked = 0
    for key in site.section_keys:
        page.goto(f"/guidance/{site.slug}/{key}/")
        blocks = page.locator(".block")
        texts = [normalise(text) for text in blocks.locator(".block__text").all_inner_texts()]
        expected = [0] * len(texts)
        for comment in published:
            quote = normalise(comment.get("quote") or "")
            if comment["section"] != key or not quote or comment.get("parent"):
                continue
            first = next((index for index, text in enumerate(texts) if quote in text), None)
            if first is not None:
                expected[first] += 1
        shown = [
            int(block.locator(".margin-note__count").inner_text()) if block.locator("summary").count() else 0
            for block in blocks.all()
        ]
        assert shown == expected, f"{key}: margins {shown}, expected {expected}"
        checked += sum(expected)
    assert checked > 0, "no comment in the demo quotes a passage: the test checked nothing"


def test_the_whole_document_marks_the_section_being_read(new_context, site):
    page = new_context().new_page()
    page.goto(f"/guidance/{site.slug}/")
    contents = page.get_by_role("navigation", name="Contents")
    page.locator(f"#{site.section_keys[3]}").evaluate("element => element.scrollIntoView({block: 'start'})")
    current = contents.locator("a[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("href", re.compile(f"/{site.section_keys[3]}/$"))
    assert in_viewport(page, contents.bounding_box()) or contents.bounding_box()["y"] <= 1, "contents not sticky"
    page.get_by_role("link", name="Back to contents").nth(3).click()
    expect(page).to_have_url(re.compile("#toc-title$"))


def test_on_a_phone_the_heading_comes_soon_after_the_breadcrumbs(new_context, site):
    page = new_context(viewport=PHONE).new_page()
    section(page, site, 1)
    crumbs = page.get_by_role("navigation", name="Breadcrumb").bounding_box()
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert heading["y"] - crumbs["y"] < 120, f"{heading['y'] - crumbs['y']:.0f} px of breadcrumbs and title"
    # And how to comment on a passage is said before the text, on the first screen.
    help_box = page.get_by_text(re.compile("comment on a passage")).bounding_box()
    assert help_box["y"] + help_box["height"] <= PHONE["height"]


def test_the_document_prints_without_navigation_or_forms_with_link_addresses(new_context, site):
    page = new_context().new_page()
    page.emulate_media(media="print")
    page.goto(f"/guidance/{site.slug}/")
    for hidden in (
        page.get_by_role("navigation", name="Main"),
        page.get_by_role("navigation", name="Contents"),
        page.get_by_role("link", name="Back to contents").first,
    ):
        expect(hidden).to_be_hidden()
    second = page.locator(f"#{site.section_keys[1]}")
    assert second.evaluate("element => getComputedStyle(element).breakBefore") == "page"
    link = page.get_by_role("main").locator("a[href^='mailto:']").first  # the consultation's contact
    after = link.evaluate("element => getComputedStyle(element, '::after').content")
    assert link.get_attribute("href") in after, after
