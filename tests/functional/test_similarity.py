"""Near-duplicate comments and campaigns: planted paraphrases are grouped as they are written and by the batch
command, unrelated comments are not; groups merge; an interrupted rebuild changes nothing; group pages and
their actions, with bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from consult_app.extensions import db
from consult_app.models import CommentSignature, ModerationEvent, SimilarGroup
from consult_app.services import similarity, similarity_batch
from tests.factories import make_comment, make_user

CAMPAIGN = (
    "The guidance should require every statistical office to publish the code of its machine learning models. "
    "Without the code nobody outside the office can check how an estimate was made. "
    "Publishing code is cheap and it builds trust in official statistics. "
    "Where code cannot be published for security reasons the office should say so and explain why."
)
# The same text as people send it: copies, another case and punctuation, sentences reordered, a few words changed.
PARAPHRASES = [
    CAMPAIGN,
    CAMPAIGN.upper().replace(".", "!!").replace(" the ", " THE  "),
    " ".join(reversed(CAMPAIGN.split(". "))).replace("why.", "why") + ".",
    CAMPAIGN.replace("cheap", "inexpensive").replace("every", "each"),
    CAMPAIGN.replace("nobody", "no one").replace("security reasons", "security concerns").lower(),
]
UNRELATED = [
    "Section three says too little about consent. People whose records train a model were never asked, and the "
    "guidance should say when that matters and what an office must do about it.",
    "I welcome the guidance on bias but the examples are all from the labour force survey. Please add examples "
    "from business statistics and from administrative data, where the problems are different.",
    # The campaign's subject in other words: much vocabulary in common, but not nearly the same text.
    "Statistical offices should be open about their models. Publishing the code of machine learning models would "
    "let outside experts check estimates, which matters more than the cost of publishing it.",
]


@pytest.fixture
def author(app_context):
    return make_user("reviewer")


def group_of(comment) -> int | None:
    return db.session.scalar(select(CommentSignature.group_id).where(CommentSignature.comment_id == comment.id))


def partition() -> set[frozenset[int]]:
    """The groups as sets of comment ids (group ids change on a rebuild; membership must not)."""
    rows = db.session.execute(select(CommentSignature.group_id, CommentSignature.comment_id)).all()
    groups: dict[int, set[int]] = {}
    for group_id, comment_id in rows:
        if group_id is not None:
            groups.setdefault(group_id, set()).add(comment_id)
    return {frozenset(members) for members in groups.values()}


def test_normalising_ignores_case_punctuation_spacing_and_sentence_order():
    assert similarity.shingles("Hello,  World! It is me.") == similarity.shingles("it IS me\nhello world")
    assert similarity.jaccard(similarity.shingles(CAMPAIGN), similarity.shingles(PARAPHRASES[3])) >= 0.8
    assert similarity.jaccard(similarity.shingles(CAMPAIGN), similarity.shingles(UNRELATED[2])) < 0.5


def test_planted_campaign_is_grouped_as_written_and_unrelated_comments_are_not(document, author):
    planted = [make_comment(author, document, body=text) for text in PARAPHRASES]
    unrelated = [make_comment(author, document, body=text) for text in UNRELATED]
    short = [make_comment(author, document, body="I agree.") for _ in range(2)]

    groups = {group_of(comment) for comment in planted}
    assert len(groups) == 1 and None not in groups
    assert [group_of(comment) for comment in unrelated + short] == [None] * 5
    summaries = similarity.group_summaries(comment.id for comment in planted + unrelated)
    assert set(summaries) == {comment.id for comment in planted}
    first = summaries[planted[0].id]
    assert (first.first_reference, first.others, first.size) == (planted[1].reference, 4, 5)
    assert summaries[planted[3].id].first_reference == planted[0].reference
    assert [c.group_id for c in similarity.campaigns(document.id)] == [groups.pop()]


def test_the_batch_command_finds_the_same_groups(document, author, runner):
    for text in PARAPHRASES + UNRELATED:
        make_comment(author, document, body=text)
    as_written = partition()
    # Comments from before this feature have no signature: the command compares them.
    db.session.execute(delete(CommentSignature))
    db.session.execute(delete(SimilarGroup))
    db.session.commit()
    result = runner.invoke(args=["comments", "similar"])
    assert result.exit_code == 0, result.output
    assert "test-guidance: rebuilt; 5 comments in 1 groups" in result.output
    assert partition() == as_written and len(as_written) == 1

    result = runner.invoke(args=["comments", "similar"])
    assert "test-guidance: up to date" in result.output
    result = runner.invoke(args=["comments", "similar", "--rebuild"])
    assert "rebuilt" in result.output and partition() == as_written


def test_a_comment_like_two_groups_joins_them(document, author):
    # Two texts that are not nearly the same (Jaccard 0.70), and a third nearly the same as both (0.82).
    common = CAMPAIGN
    left = common + " Privacy annexes need rewriting from scratch with real examples of linked records."
    right = common + " Glossaries miss several terms such as calibration drift and feature leakage overall."
    left_group = [make_comment(author, document, body=left) for _ in range(2)]
    right_group = [make_comment(author, document, body=right) for _ in range(2)]
    assert similarity.jaccard(similarity.shingles(left), similarity.shingles(right)) < similarity.THRESHOLD
    older, newer = group_of(left_group[0]), group_of(right_group[0])
    assert older is not None and newer is not None and older != newer

    bridge = make_comment(author, document, body=common)
    assert {group_of(c) for c in [*left_group, *right_group, bridge]} == {older}  # the oldest group stays
    assert db.session.get(SimilarGroup, newer) is None


def test_an_edited_comment_leaves_its_group(document, author, client, login_as):
    first = make_comment(author, document, body=CAMPAIGN)
    second = make_comment(author, document, body=CAMPAIGN)
    assert group_of(first) == group_of(second) is not None
    from consult_app.services import comments

    comments.edit_comment(author, second, comments.Draft(body=UNRELATED[0]))
    db.session.commit()
    assert group_of(second) is None
    assert similarity.group_summaries([first.id]) == {}  # alone in its group: no "similar to" line


def test_an_interrupted_rebuild_leaves_the_groups_as_they_were_and_a_new_run_finishes(
    document, author, runner, monkeypatch
):
    for text in PARAPHRASES + UNRELATED:
        make_comment(author, document, body=text)
    before = partition()
    groups_before = set(db.session.scalars(select(SimilarGroup.id)))
    calls = []

    def interrupt():
        calls.append(1)
        if len(calls) == 2:  # the signatures are written, the bands not yet
            raise KeyboardInterrupt

    monkeypatch.setattr(similarity_batch, "CHUNK", 3)
    monkeypatch.setattr(similarity_batch, "after_chunk", interrupt)
    result = runner.invoke(args=["comments", "similar", "--rebuild"])
    assert result.exit_code != 0 and len(calls) == 2
    db.session.expire_all()
    assert partition() == before
    assert set(db.session.scalars(select(SimilarGroup.id))) == groups_before
    assert db.session.scalar(select(func.count()).select_from(CommentSignature)) == len(PARAPHRASES + UNRELATED)

    monkeypatch.setattr(similarity_batch, "after_chunk", None)
    result = runner.invoke(args=["comments", "similar", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert partition() == before


# --- the group page and its actions --------------------------------------------------------------------------


@pytest.fixture
def campaign(document, author):
    """Five planted paraphrases, pending, and their group id."""
    planted = [make_comment(author, document, body=text) for text in PARAPHRASES]
    return planted, group_of(planted[0])


def test_group_page_lists_the_members(client, login_as, campaign):
    planted, group_id = campaign
    login_as("moderator")
    page = client.get(f"/moderation/groups/{group_id}").get_data(as_text=True)
    assert "5 similar comments: a campaign" in page
    assert all(comment.reference in page for comment in planted)
    queue = client.get("/moderation/").get_data(as_text=True)
    assert f"Similar to {planted[1].reference} and 3 others" in queue
    assert f'href="/moderation/groups/{group_id}"' in queue
    worklist = client.get("/moderation/comments/").get_data(as_text=True)
    assert f"Similar to {planted[0].reference} and 3 others" in worklist  # on the rows of the four others


def test_deciding_a_group_records_an_event_per_comment_and_skips_own_comments(
    app, client, login_as, campaign, document
):
    planted, group_id = campaign
    moderator = login_as("moderator")
    own = make_comment(db.session.get(type(moderator), moderator.id), document, body=CAMPAIGN)
    assert group_of(own) == group_id
    decided_elsewhere = planted[0]
    from consult_app.services import moderation
    from tests.factories import factory_moderator

    moderation.decide(factory_moderator(), decided_elsewhere.id, "approve")
    db.session.commit()

    response = client.post(
        f"/moderation/groups/{group_id}/decision", data={"decision": "reject", "reason": "duplicate", "note": "Seen."}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 comments rejected." in page
    assert f"{own.reference} (your own comment)" in page and f"{decided_elsewhere.reference} (already approved)" in page
    db.session.expire_all()
    events = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.to_value == "rejected").order_by(ModerationEvent.comment_id)
    ).all()
    assert [event.comment_id for event in events] == [comment.id for comment in planted[1:]]
    assert all(event.reason == "Duplicate: Seen." or event.reason.endswith("Seen.") for event in events)


def test_answering_a_group_records_the_answer_on_each_member(client, login_as, campaign):
    planted, group_id = campaign
    login_as("moderator")
    response = client.post(
        f"/moderation/groups/{group_id}/disposition", data={"disposition": "noted", "response": "Thank you."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    for comment in planted:
        db.session.refresh(comment)
        assert (comment.disposition, comment.response) == ("noted", "Thank you.")
    events = db.session.scalar(
        select(func.count()).select_from(ModerationEvent).where(ModerationEvent.field == "disposition")
    )
    assert events == len(planted)


def test_tagging_a_group_tags_every_member(client, login_as, campaign, document):
    from consult_app.services import themes

    planted, group_id = campaign
    moderator = login_as("moderator")
    theme = themes.create_theme(db.session.get(type(moderator), moderator.id), document, "Openness")
    db.session.commit()
    response = client.post(f"/moderation/groups/{group_id}/themes", data={"theme_ids": [str(theme.id)]})
    assert response.status_code == 302, response.get_data(as_text=True)
    tagged = themes.themes_of([comment.id for comment in planted])
    assert all([t.name for t in tagged[comment.id]] == ["Openness"] for comment in planted)


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("", None, 404),
        ("/decision", {"decision": "approve"}, 404),
        ("/decision", {"decision": "maybe"}, 400),
        ("/decision", {"decision": "reject"}, 400),  # no reason
        ("/decision", {"decision": "reject", "reason": "made-up"}, 400),
        ("/disposition", {"disposition": "yes", "response": "x"}, 400),
        ("/disposition", {"disposition": "noted", "response": "x" * 10_001}, 400),
        ("/themes", {"theme_ids": ["abc"]}, 400),
        ("/themes", {}, 400),
        ("/themes", {"theme_ids": ["999999"]}, 404),
    ],
)
def test_bad_group_requests_change_nothing(client, login_as, campaign, path, form, status):
    planted, group_id = campaign
    login_as("moderator")
    target = group_id + 1000 if status == 404 and path in ("", "/decision") else group_id
    url = f"/moderation/groups/{target}{path}"
    response = client.get(url) if form is None else client.post(url, data=form)
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 0
    assert all(db.session.get(type(c), c.id).status == "pending" for c in planted)


def test_dashboard_counts_campaigns(client, login_as, campaign, document):
    _, group_id = campaign
    login_as("moderator")
    page = client.get("/moderation/dashboard").get_data(as_text=True)
    assert "Campaigns" in page
    assert f'href="/moderation/groups/{group_id}"' in page


def test_a_failed_comparison_never_loses_the_comment(document, author, runner, monkeypatch):
    def broken(comment):
        raise RuntimeError("the comparison broke")

    first = make_comment(author, document, body=CAMPAIGN)
    monkeypatch.setattr(similarity, "compare", broken)
    second = make_comment(author, document, body=CAMPAIGN)
    assert db.session.get(type(second), second.id).body_md == CAMPAIGN
    assert group_of(second) is None and group_of(first) is None
    monkeypatch.undo()
    result = runner.invoke(args=["comments", "similar"])
    assert "test-guidance: compared 1 new" in result.output
    assert group_of(first) == group_of(second) is not None
