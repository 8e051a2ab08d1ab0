"""Themes: the code frame's rules, tagging (one, bulk, refused across documents), the pages, and the counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import ModerationEvent, Theme, comment_themes
from consult_app.services import theme_counts, themes
from consult_app.services.themes import ThemeError
from tests.factories import make_comment, make_document, make_user


@pytest.fixture
def frame(app_context, tmp_path):
    """The test document with a two-level frame, a second document with a theme of its own, and comments."""
    document = make_document(tmp_path)
    other = make_document(tmp_path, slug="other-guidance", title="Other guidance")
    moderator = make_user("moderator", name="Mo")
    author = make_user("reviewer")
    quality = themes.create_theme(moderator, document, "Data quality", "Accuracy and coverage.")
    bias = themes.create_theme(moderator, document, "Bias", parent_id=quality.id)
    privacy = themes.create_theme(moderator, document, "Privacy")
    foreign = themes.create_theme(moderator, other, "Foreign theme")
    comments = [make_comment(author, document, key=key) for key in ("public-good", "public-good", "introduction")]
    elsewhere = make_comment(author, other)
    db.session.commit()
    return {
        "document": document,
        "other": other,
        "moderator": moderator,
        "author": author,
        "quality": quality,
        "bias": bias,
        "privacy": privacy,
        "foreign": foreign,
        "comments": comments,
        "elsewhere": elsewhere,
    }


def tagged_ids(theme: Theme) -> set[int]:
    statement = select(comment_themes.c.comment_id).where(comment_themes.c.theme_id == theme.id)
    return set(db.session.scalars(statement))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the theme a name."),
        ("   \t ", "Give the theme a name."),
        ("x" * 500, "at most 80 characters"),
        ("Costs; benefits", "cannot contain “;”"),
        ("Null\x00byte", "NUL"),
        ("Bell\x07", "control"),
        ("Zero\u200bwidth", "invisible"),
        ("DATA QUALITY", "already has a theme called “Data quality”"),
        ("  data   quality ", "already has a theme called “Data quality”"),
    ],
)
def test_bad_theme_names_are_refused_with_a_message(frame, name, message):
    with pytest.raises(ThemeError, match=message):
        themes.create_theme(frame["moderator"], frame["document"], name)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Theme.id))) == 4


def test_names_are_trimmed_and_the_same_name_may_serve_another_document(frame):
    theme = themes.create_theme(frame["moderator"], frame["other"], "  Data \n quality  ")
    assert theme.name == "Data quality"
    assert themes.clean_name("x" * 80) == "x" * 80


def test_the_frame_has_two_levels_at_most(frame):
    moderator, document = frame["moderator"], frame["document"]
    with pytest.raises(ThemeError, match="itself a sub-theme"):
        themes.create_theme(moderator, document, "Deeper", parent_id=frame["bias"].id)
    with pytest.raises(ThemeError, match="not one of this document's themes"):
        themes.create_theme(moderator, document, "Adopted", parent_id=frame["foreign"].id)
    with pytest.raises(ThemeError, match="has sub-themes, so it stays at the top level"):
        themes.update_theme(moderator, frame["quality"], "Data quality", parent_id=frame["privacy"].id)
    with pytest.raises(ThemeError, match="its own parent"):
        themes.update_theme(moderator, frame["privacy"], "Privacy", parent_id=frame["privacy"].id)
    assert [theme.name for theme in themes.themes_for(document)] == ["Data quality", "Bias", "Privacy"]


def test_tagging_a_comment_of_another_document_is_refused_and_nothing_is_tagged(frame):
    mine, theirs = frame["comments"][0], frame["elsewhere"]
    with pytest.raises(ThemeError, match="belongs to another document") as refused:
        themes.tag([mine.id, theirs.id], [frame["privacy"].id], frame["moderator"])
    assert refused.value.status == 400
    db.session.rollback()
    assert tagged_ids(frame["privacy"]) == set()
    with pytest.raises(ThemeError, match="belongs to another document"):
        themes.tag([mine.id], [frame["foreign"].id], frame["moderator"])


def test_tagging_needs_a_moderator_and_things_that_exist(frame):
    comment = frame["comments"][0]
    with pytest.raises(ThemeError) as refused:
        themes.tag([comment.id], [frame["privacy"].id], frame["author"])
    assert refused.value.status == 403
    with pytest.raises(ThemeError, match="no comment C-") as missing:
        themes.tag([comment.id, 999_999], [frame["privacy"].id], frame["moderator"])
    assert missing.value.status == 404
    with pytest.raises(ThemeError, match="no theme"):
        themes.tag([comment.id], [999_999], frame["moderator"])
    with pytest.raises(ThemeError, match="at least one theme"):
        themes.tag([comment.id], [], frame["moderator"])


def test_tag_untag_and_set_record_one_event_per_changed_comment(frame):
    first, second, third = frame["comments"]
    moderator, privacy, bias = frame["moderator"], frame["privacy"], frame["bias"]
    assert themes.tag([first.id, second.id], [privacy.id, bias.id], moderator) == themes.TagResult(2, 4)
    # Tagging again changes nothing and records nothing.
    assert themes.tag([first.id], [privacy.id], moderator) == themes.TagResult(0, 0)
    assert themes.untag([second.id, third.id], [privacy.id], moderator) == themes.TagResult(1, 1)
    assert themes.set_themes(third, [bias.id], moderator) is True
    assert themes.set_themes(third, [bias.id], moderator) is False
    db.session.commit()
    assert tagged_ids(privacy) == {first.id} and tagged_ids(bias) == {first.id, second.id, third.id}
    assert [theme.name for theme in themes.themes_of([first.id])[first.id]] == ["Bias", "Privacy"]
    events = db.session.scalars(select(ModerationEvent).where(ModerationEvent.field == "themes")).all()
    assert sorted((e.comment_id, e.to_value, e.reason) for e in events) == sorted(
        [
            (first.id, "tagged", "Bias; Privacy"),
            (second.id, "tagged", "Bias; Privacy"),
            (second.id, "untagged", "Privacy"),
            (third.id, "tagged", "Bias"),
        ]
    )


def test_deleting_a_theme_untags_its_comments_but_a_parent_is_kept(frame):
    moderator, comment = frame["moderator"], frame["comments"][0]
    themes.tag([comment.id], [frame["bias"].id], moderator)
    with pytest.raises(ThemeError, match="has sub-themes"):
        themes.delete_theme(moderator, frame["quality"])
    assert themes.delete_theme(moderator, frame["bias"]) == 1
    db.session.commit()
    assert themes.themes_of([comment.id]) == {}
    last = db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id.desc())).first()
    assert (last.to_value, last.reason) == ("untagged", "Bias (theme deleted)")
    assert themes.delete_theme(moderator, frame["quality"]) == 0


def test_counts_per_theme_and_per_section(frame):
    first, second, third = frame["comments"]
    moderator = frame["moderator"]
    themes.tag([first.id, second.id], [frame["quality"].id], moderator)
    themes.tag([second.id, third.id], [frame["bias"].id], moderator)
    db.session.commit()
    figures = theme_counts.theme_figures([frame["document"]])[frame["document"].id]
    rows = {row.theme.name: row for row in figures.rows}
    assert (rows["Data quality"].comments, rows["Data quality"].with_sub_themes) == (2, 3)
    assert (rows["Bias"].comments, rows["Bias"].with_sub_themes) == (2, None)
    assert rows["Bias"].by_section == {"public-good": 1, "introduction": 1}
    assert rows["Privacy"].comments == 0 and figures.tagged == 3
    assert [(theme.name, count) for theme, count in figures.main("public-good")] == [("Data quality", 2), ("Bias", 1)]
    assert [section.label for section in figures.sections] == [
        "1. Introduction",
        "2. Public good",
        "3. Bias and fairness",
    ]


# --- the pages ----------------------------------------------------------------------------------------------


def test_moderators_manage_the_frame_through_the_pages(client, frame, login_as):
    login_as("moderator")
    page = client.get("/moderation/themes?document=test-guidance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Data quality" in html and "Sub-theme of Data quality" in html and "Foreign theme" not in html
    added = client.post(
        "/moderation/themes",
        data={"document": "test-guidance", "name": "Costs", "parent_id": str(frame["quality"].id)},
    )
    assert added.status_code == 302
    costs = db.session.scalar(select(Theme).where(Theme.name == "Costs"))
    assert costs.parent_id == frame["quality"].id
    duplicate = client.post("/moderation/themes", data={"document": "test-guidance", "name": "costs"})
    assert duplicate.status_code == 409 and "already has a theme called “Costs”" in duplicate.get_data(as_text=True)
    forged = client.post(
        "/moderation/themes",
        data={"document": "test-guidance", "name": "Forged", "parent_id": "1 OR 1=1"},
    )
    assert forged.status_code == 400 and "Choose a parent theme from the list." in forged.get_data(as_text=True)
    renamed = client.post(f"/moderation/themes/{costs.id}", data={"name": "Costs and benefits", "parent_id": ""})
    assert renamed.status_code == 302
    db.session.expire_all()
    assert (costs.name, costs.parent_id) == ("Costs and benefits", None)
    refused = client.post(f"/moderation/themes/{frame['quality'].id}/delete", data={"confirm": "delete"})
    assert refused.status_code == 409 and "has sub-themes" in refused.get_data(as_text=True)
    deleted = client.post(f"/moderation/themes/{costs.id}/delete", data={"confirm": "delete"})
    db.session.expire_all()
    assert deleted.status_code == 302 and db.session.scalar(select(Theme).where(Theme.name.like("Costs%"))) is None


def test_the_theme_pages_answer_bad_addresses_with_4xx(client, frame, login_as):
    login_as("moderator")
    assert client.get("/moderation/themes").status_code == 200
    assert client.get("/moderation/themes?document=nope").status_code == 404
    assert client.get("/moderation/themes/999999").status_code == 404
    no_document = client.post("/moderation/themes", data={"name": "X"})
    assert no_document.status_code == 400
    theme_id = frame["privacy"].id
    assert client.post(f"/moderation/themes/{theme_id}/delete").status_code == 400  # no confirmation: kept
    assert db.session.get(Theme, theme_id) is not None


def test_bulk_tagging_from_the_worklist_form(client, frame, login_as):
    login_as("moderator")
    first, second, _ = frame["comments"]
    data = {"comment_ids": [first.id, second.id], "theme_id": frame["privacy"].id}
    tagged = client.post("/moderation/themes/tag", data={**data, "next": "/moderation/comments/?theme=1"})
    assert tagged.status_code == 303 and tagged.headers["Location"] == "/moderation/comments/?theme=1"
    assert tagged_ids(frame["privacy"]) == {first.id, second.id}
    untagged = client.post("/moderation/themes/tag", data={**data, "comment_ids": [first.id], "theme_action": "untag"})
    assert untagged.status_code == 303 and tagged_ids(frame["privacy"]) == {second.id}
    across = client.post("/moderation/themes/tag", data={**data, "comment_ids": [first.id, frame["elsewhere"].id]})
    assert across.status_code == 400 and "belongs to another document" in across.get_data(as_text=True)
    assert tagged_ids(frame["privacy"]) == {second.id}
    for bad in ({"theme_id": ""}, {"theme_id": "x"}, {"comment_ids": ["1e3"]}, {"comment_ids": []}):
        assert client.post("/moderation/themes/tag", data={**data, **bad}).status_code == 400, bad


def test_the_dashboard_counts_themes_per_section_with_links_to_the_worklist(client, frame, login_as):
    first, second, _ = frame["comments"]
    themes.tag([first.id, second.id], [frame["privacy"].id], frame["moderator"])
    db.session.commit()
    login_as("moderator")
    html = client.get("/moderation/dashboard?document=test-guidance").get_data(as_text=True)
    privacy = frame["privacy"].id
    by_section = f'/moderation/comments/?document=test-guidance&amp;theme={privacy}&amp;section=public-good">2</a>'
    assert by_section in html
    assert f'/moderation/comments/?document=test-guidance&amp;theme={privacy}">2</a>' in html
    assert "Sub-theme of Data quality: </span>Bias" in html
    worklist = client.get(f"/moderation/comments/?document=test-guidance&theme={privacy}&section=public-good")
    assert worklist.status_code == 200
    listed = worklist.get_data(as_text=True)
    assert first.reference in listed and second.reference in listed


def test_the_decision_screen_saves_themes_with_its_one_form(client, frame, login_as):
    login_as("moderator")
    first, second, _ = frame["comments"]
    privacy, bias, foreign = frame["privacy"].id, frame["bias"].id, frame["foreign"].id
    page = client.get(f"/moderation/comments/{first.id}").get_data(as_text=True)
    assert 'name="theme_ids"' in page and "Foreign theme" not in page
    form = {"themes_shown": "1", "theme_ids": [str(privacy), str(bias)], "decision": "approve"}
    saved = client.post(f"/moderation/comments/{first.id}", data=form, follow_redirects=True)
    assert f"{first.reference} approved. Its themes saved." in saved.get_data(as_text=True)
    assert "Themes added" in saved.get_data(as_text=True)
    assert tagged_ids(frame["privacy"]) == tagged_ids(frame["bias"]) == {first.id}
    # Without the fieldset nothing changes; with it and no box checked, the themes go.
    assert client.post(f"/moderation/comments/{first.id}", data={}).status_code == 302
    assert tagged_ids(frame["privacy"]) == {first.id}
    client.post(f"/moderation/comments/{first.id}", data={"themes_shown": "1"})
    assert tagged_ids(frame["privacy"]) == tagged_ids(frame["bias"]) == set()
    # Another document's theme or a forged value: 400, and the decision in the same form is not saved either.
    for bad, message in ((str(foreign), "belongs to another document"), ("x", "Choose the themes from the list.")):
        refused = client.post(
            f"/moderation/comments/{second.id}", data={"themes_shown": "1", "theme_ids": [bad], "decision": "approve"}
        )
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
        db.session.expire_all()
        assert second.status == "pending" and tagged_ids(frame["foreign"]) == set()


def test_the_worklist_offers_tagging_the_selection(client, frame, login_as):
    login_as("moderator")
    html = client.get("/moderation/comments/?document=test-guidance").get_data(as_text=True)
    assert 'formaction="/moderation/themes/tag"' in html and "Tag with theme" in html
    first = frame["comments"][0]
    # The worklist's checkboxes carry the assignee shown, for the assignment: "<id>:<assignee>".
    data = {"comment_ids": [f"{first.id}:none"], "theme_id": frame["privacy"].id, "theme_action": "tag"}
    assert client.post("/moderation/themes/tag", data={**data, "next": "/moderation/comments/"}).status_code == 303
    assert tagged_ids(frame["privacy"]) == {first.id}
