"""A group of near-duplicate comments (a campaign when it has five or more): its members and group actions."""

from __future__ import annotations

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from consult_app.extensions import db
from consult_app.models import CommentStatus
from consult_app.moderation import bp
from consult_app.moderation.forms import DecisionForm, DispositionForm
from consult_app.moderation.group_forms import GroupTagForm
from consult_app.permissions import Role, role_required
from consult_app.services import group_actions, moderation, similarity, themes, triage


@bp.app_template_global("similar_groups")
def similar_groups(comments) -> dict[int, similarity.GroupSummary]:
    """For the cards of the queue and the worklist: each comment's group, if it has one (one query per page)."""
    return similarity.group_summaries(comment.id for comment in comments)


@bp.app_template_global("campaigns")
def campaigns(document_id: int) -> list[similarity.Campaign]:
    """For the dashboard: the document's groups of five or more comments."""
    return similarity.campaigns(document_id)


def _group_or_404(group_id: int):
    group = similarity.get_group(group_id)
    if group is None:
        abort(
            404,
            description=gettext(
                "There is no group %(number)d: a rebuild of the groups may have replaced it.", number=group_id
            ),
        )
    return group


def _page(group, *, decision=None, answer=None, tagging=None, error: str | None = None, status: int = 200):
    document_themes = themes.themes_for(group.document)
    tagging = tagging or GroupTagForm(formdata=None)
    tagging.offer(document_themes)
    members = similarity.group_members(group.id)
    statuses = Counter(comment.status for comment in members)
    return render_template(
        "moderation/group.html",
        group=group,
        members=members,
        sections=triage.section_labels(members),
        status_counts=[(status.value, statuses[status.value]) for status in CommentStatus if statuses[status.value]],
        pending=statuses[CommentStatus.PENDING.value],
        campaign_size=similarity.CAMPAIGN_SIZE,
        decision_form=decision or DecisionForm(formdata=None),
        answer_form=answer or DispositionForm(formdata=None),
        tag_form=tagging,
        has_themes=bool(document_themes),
        error=error,
    ), status


@bp.get("/groups/<int:group_id>")
@role_required(Role.MODERATOR)
def group(group_id: int):
    return _page(_group_or_404(group_id))


# What was done to the group, one sentence per action (each language words it its own way).
DONE = {
    "approved": lambda n: ngettext("%(num)d comment approved.", "%(num)d comments approved.", n),
    "rejected": lambda n: ngettext("%(num)d comment rejected.", "%(num)d comments rejected.", n),
    "answered": lambda n: ngettext("%(num)d comment answered.", "%(num)d comments answered.", n),
    "tagged": lambda n: ngettext("%(num)d comment tagged.", "%(num)d comments tagged.", n),
}


def _done(group_id: int, result: group_actions.GroupResult, action: str):
    db.session.commit()
    sentences = [DONE[action](len(result.done))]
    if result.unchanged:
        sentences.append(ngettext("%(num)d already was.", "%(num)d already were.", len(result.unchanged)))
    if result.skipped:
        sentences.append(gettext("Left alone: %(comments)s.", comments=result.skipped_text()))
    flash(" ".join(sentences), "success")
    return redirect(url_for("moderation.group", group_id=group_id))


def _unchanged(error: Exception) -> str:
    return gettext("Nothing was changed. %(problem)s", problem=str(error))


@bp.post("/groups/<int:group_id>/decision")
@role_required(Role.MODERATOR)
def group_decision(group_id: int):
    group, form = _group_or_404(group_id), DecisionForm()
    if not form.validate_on_submit():
        return _page(group, decision=form, error=gettext("Nothing was changed: check the form."), status=400)
    decision = request.form.get("decision", "")
    try:
        result = group_actions.decide_all(current_user, group_id, decision, form.reason.data, form.note.data or "")
    except (group_actions.GroupError, moderation.ModerationError) as error:
        db.session.rollback()
        return _page(group, decision=form, error=_unchanged(error), status=error.status)
    for comment in result.done:
        moderation.notify_author(comment)
    return _done(group_id, result, "approved" if decision == moderation.Decision.APPROVE else "rejected")


@bp.post("/groups/<int:group_id>/disposition")
@role_required(Role.MODERATOR)
def group_disposition(group_id: int):
    group, form = _group_or_404(group_id), DispositionForm()
    if not form.validate_on_submit():
        return _page(group, answer=form, error=gettext("Nothing was changed: check the form."), status=400)
    try:
        result = group_actions.respond_all(
            current_user, group_id, form.disposition.data or "", form.response.data or ""
        )
    except (group_actions.GroupError, moderation.ModerationError) as error:
        db.session.rollback()
        return _page(group, answer=form, error=_unchanged(error), status=error.status)
    return _done(group_id, result, "answered")


@bp.post("/groups/<int:group_id>/themes")
@role_required(Role.MODERATOR)
def group_themes(group_id: int):
    group, form = _group_or_404(group_id), GroupTagForm()
    form.offer(themes.themes_for(group.document))
    if not form.validate_on_submit():
        return _page(
            group, tagging=form, error=gettext("Nothing was changed: choose themes from the list."), status=400
        )
    try:
        result = group_actions.tag_all(current_user, group_id, form.theme_ids.data or [])
    except (group_actions.GroupError, themes.ThemeError) as error:
        db.session.rollback()
        return _page(group, tagging=form, error=_unchanged(error), status=error.status)
    return _done(group_id, result, "tagged")
