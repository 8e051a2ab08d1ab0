"""How the comment, reply and edit forms answer: shown again where the person was, never somewhere else.

A form sent the ordinary way gets a whole page back: the section page for a comment, the reply page (with the
comment replied to) for a reply, the edit page for an edit; the form's box has the error summary or the preview,
which takes the focus. comments.js sends the same forms with fetch and the FRAGMENT_HEADER request header; the
answer is then only the form's box (or, once sent, a "thank you" box with the comment), which the script puts in
the place of the one on screen. The same views, checks and services answer both.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from consult_app.comments.forms import CommentForm
from consult_app.models import Comment
from consult_app.reading.views import render_section
from consult_app.services import comments

FRAGMENT_HEADER = "Consult-Fragment"
SECTION_PANEL = "comment-panel"


def wants_fragment() -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _fragment(status: int, **context) -> Response:
    response = make_response(render_template("comments/_fragment.html", **context).strip(), status)
    response.headers[FRAGMENT_HEADER] = "1"  # the script inserts only answers that say they are a fragment
    response.vary.add(FRAGMENT_HEADER)
    return response


def reply_panel_id(parent: Comment) -> str:
    return f"reply-{parent.id}"


def comment_form_again(page, form: CommentForm, parent: Comment | None, preview_html=None, status=200):
    """The comment (or reply) form after a send or preview on the section's POST address."""
    if parent is not None:
        return reply_form(parent, form, preview_html, status)
    if wants_fragment():
        action = url_for("comments.post", slug=page.document.slug, key=page.section.key)
        return _fragment(status, form=form, action=action, preview_html=preview_html, panel_id=SECTION_PANEL)
    return render_section(page, form, preview_html=preview_html, status=status)


def reply_form(parent: Comment, form: CommentForm, preview_html=None, status=200):
    """The reply form: on its own page, or as a box under the comment on the section page. Either way it says
    which comment it answers, on every round trip."""
    if wants_fragment():
        panel_id = reply_panel_id(parent)
        form.with_id_prefix(panel_id + "-")
        action = url_for("comments.post", slug=parent.document.slug, key=parent.section_key)
        context = {"form": form, "action": action, "preview_html": preview_html, "panel_id": panel_id}
        return _fragment(status, reply_to=parent, **context)
    section = comments.section_of(parent)
    return render_template(
        "comments/reply.html", parent=parent, section=section, form=form, preview_html=preview_html
    ), status


def edit_form(comment: Comment, form: CommentForm, preview_html=None, status=200):
    if wants_fragment():
        action = url_for("comments.edit", comment_id=comment.id)
        context = {"form": form, "action": action, "preview_html": preview_html, "panel_id": SECTION_PANEL}
        return _fragment(status, editing=comment, **context)
    section = comments.section_of(comment)
    return render_template(
        "comments/edit.html", comment=comment, section=section, form=form, preview_html=preview_html
    ), status


def done(comment: Comment, message: str, panel_id: str, next_url: str):
    """After a successful send: the "thank you" box with the comment, or the message on the page it was sent from."""
    if wants_fragment():
        return _fragment(200, done=message, comment=comment, panel_id=panel_id)
    flash(message, "success")
    return redirect(next_url)


def reply_parent(page) -> Comment | None:
    """The comment a reply form answers (None for a comment on the section), checked enough to show it again;
    comments.create_comment checks the rest. A parent that is unknown, or not shown to this person, is a 400."""
    raw = request.form.get("parent_id", "")
    if not raw:
        return None
    parent = comments.get_comment(int(raw)) if raw.isdigit() and len(raw) <= 9 else None
    on_this_section = parent is not None and (parent.document_id, parent.section_key) == (
        page.document.id,
        page.section.key,
    )
    if not on_this_section or not comments.may_see(current_user, parent):
        abort(400, description=gettext("You can only reply to a published comment on this section."))
    return parent
