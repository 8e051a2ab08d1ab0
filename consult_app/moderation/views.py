"""The queue of pending comments and its decisions (one card, or the selected cards at once).

The same POST endpoints serve the page without script (redirect back to the next card) and
static/moderation.js, which asks for JSON (`Accept: application/json`) and decides without reloading.
"""

import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, gettext, ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.moderation import bp
from consult_app.moderation.forms import DecisionForm, QueueFilterForm
from consult_app.permissions import Role, can_moderate, role_required
from consult_app.safety import safe_next
from consult_app.services import moderation, similarity, triage


def _filters(form: QueueFilterForm) -> moderation.QueueFilters:
    return moderation.QueueFilters(
        *(getattr(form, name).data or "" for name in ("document", "section", "kind", "respondent_type", "q"))
    )


def _queue_args() -> MultiDict:
    """The queue page's own address: its query string, or after a POST the `next` address the form came from."""
    if request.method == "GET":
        return request.args
    target = safe_next(request.form.get("next"), url_for("moderation.queue"))
    return MultiDict(parse_qsl(urlsplit(target).query, keep_blank_values=True))


def _queue_page(error: str | None = None, status: int = 200, refused: dict | None = None):
    """The queue; `refused` ({"id", "reference", "message", "reason", "note"}) puts an error on one card, whose reject
    panel opens with what was typed."""
    args = _queue_args()
    filters = QueueFilterForm(args)
    filters.set_places(*triage.places())
    context = {"filters": filters, "page": None, "error": error, "refused": refused}
    if not filters.validate():
        return render_template("moderation/queue.html", **context), 400
    try:
        after, before = moderation.cursors(args.get("after"), args.get("before"))
    except moderation.ModerationError as problem:
        return render_template("moderation/queue.html", **{**context, "error": str(problem)}), 400
    chosen = _filters(filters)
    page = moderation.queue(chosen, after, before)
    if chosen == moderation.QueueFilters():
        g.pending_count = page.total  # the unfiltered queue's count is the header's: count once (see below)
    context["page"] = page
    kept = {name: value for name, value in args.items() if name != "select"}  # the page's address, as it was
    return render_template(
        "moderation/queue.html",
        **context,
        here=url_for("moderation.queue", **kept),
        select_all_url=url_for("moderation.queue", **kept, select="all"),
        sections=triage.section_labels(page.items),
        similar=similarity.group_summaries(comment.id for comment in page.items),
        select_all=args.get("select") == "all",
        reason_form=DecisionForm(formdata=None),
        count_limit=moderation.COUNT_LIMIT,
        script_texts=_script_texts(),
    ), status


# Numbers that between them fall in every plural category of English, French and Russian (CLDR).
PLURAL_SAMPLES = (0, 1, 2, 5, 21, 22, 25, 101, 1_000_000)


def plural_forms(say: Callable[[int], str]) -> str:
    """A sentence with a number, in every plural form of the reader's language, as JSON for static/moderation.js:
    {"one": "{n} comment ...", "few": ..., "many": ..., "other": ...}. `say(n)` is the sentence for n (an
    ngettext call, so the words are extracted); the script picks the form with Intl.PluralRules and puts its
    number where "{n}" is. The number is the sentence's only one, so its first occurrence is the placeholder."""
    locale = get_locale()
    forms: dict[str, str] = {}
    for number in PLURAL_SAMPLES:
        category = locale.plural_form(number) if locale is not None else ("one" if number == 1 else "other")
        if category not in forms:
            forms[category] = say(number).replace(format_decimal(number), "{n}", 1).replace(str(number), "{n}", 1)
    return json.dumps(forms, ensure_ascii=False)


def _script_texts() -> dict[str, str]:
    """What static/moderation.js writes on the queue page, translated: it reads them from data-* attributes."""
    return {
        "selected": plural_forms(lambda n: ngettext("%(num)d selected", "%(num)d selected", n)),
        "waiting": plural_forms(
            lambda n: ngettext(
                "%(num)d comment awaiting moderation, oldest first.",
                "%(num)d comments awaiting moderation, oldest first.",
                n,
            )
        ),
    }


@bp.get("/")
@role_required(Role.MODERATOR)
def queue():
    return _queue_page()


def wants_json() -> bool:
    """static/moderation.js asks for JSON; a browser without script asks for HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _decided(decided: list):
    """Queue the authors' mail, commit it with the decisions, and go back to where the moderator was: the
    next card (its anchor is part of `next`), not the top of the page."""
    for comment in decided:
        moderation.notify_author(comment)
    db.session.commit()
    message = decided_words(decided)
    if wants_json():
        count = moderation.pending_count()
        shown = (
            gettext("%(count)s+", count=format_decimal(moderation.COUNT_LIMIT))
            if count > moderation.COUNT_LIMIT
            else str(count)
        )
        return jsonify(decided=[comment.reference for comment in decided], message=message, pending=shown)
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"), url_for("moderation.queue")))


def decided_words(decided: list) -> str:
    """The confirmation of a decision ("C-000012, C-000013 rejected."): one request decides all alike."""
    references = ", ".join(comment.reference for comment in decided)
    if decided[0].status == "approved":
        return ngettext("%(refs)s approved.", "%(refs)s approved.", len(decided), refs=references)
    return ngettext("%(refs)s rejected.", "%(refs)s rejected.", len(decided), refs=references)


def _refused(message: str, status: int, comment_id: int | None = None, field: str | None = None):
    """A decision that was not made: the message names the comment and, on the page, sits at its card. `field`
    ("reason", "note") is the part of the reject panel the message is about: the script opens the panel there."""
    db.session.rollback()
    reference = Comment.reference_of(comment_id) if comment_id else None
    if reference and reference not in message:
        message = gettext("%(ref)s: %(problem)s", ref=reference, problem=message)
    if wants_json():
        return jsonify(error=message, reference=reference, field=field), status
    refused = None
    if comment_id:
        kept = {name: request.form.get(name, "") for name in ("reason", "note")}
        refused = {"id": comment_id, "reference": reference, "message": message, **kept}
    return _queue_page(message, status, refused)


@bp.post("/comments/<int:comment_id>/decision")
@role_required(Role.MODERATOR)
def decide(comment_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        problem = "; ".join(message for messages in form.errors.values() for message in messages)
        field = next((name for name in ("reason", "note") if name in form.errors), None)
        return _refused(problem or gettext("The form was not valid."), 400, comment_id, field)
    try:
        comment = moderation.decide(
            current_user, comment_id, request.form.get("decision", ""), form.reason.data, form.note.data or ""
        )
    except moderation.ModerationError as error:
        return _refused(str(error), error.status, comment_id, error.field)
    return _decided([comment])


@bp.post("/bulk")
@role_required(Role.MODERATOR)
def decide_bulk():
    form = DecisionForm()
    raw_ids = request.form.getlist("comment_ids")
    if not form.validate_on_submit() or not all(
        value.isascii() and value.isdigit() and len(value) <= 9 for value in raw_ids
    ):
        return _refused(gettext("Some of the selected comments are not valid."), 400)
    try:
        decided = moderation.decide_many(
            current_user,
            [int(value) for value in raw_ids],
            request.form.get("decision", ""),
            form.reason.data,
            form.note.data or "",
        )
    except moderation.ModerationError as error:
        return _refused(
            gettext("Nothing was changed. %(problem)s", problem=str(error)), error.status, None, error.field
        )
    return _decided(decided)


@bp.app_context_processor
def moderation_counts():
    """Moderators see how many comments wait for them, in the header of every page."""
    if not can_moderate(current_user):
        return {}
    count = g.get("pending_count")
    if count is None:
        count = moderation.pending_count()
    # pending_count is shown ("10,000+" past the limit); pending_total, a number, chooses the plural form.
    if count > moderation.COUNT_LIMIT:
        return {
            "pending_count": gettext("%(count)s+", count=format_decimal(moderation.COUNT_LIMIT)),
            "pending_total": count,
        }
    return {"pending_count": count, "pending_total": count}
