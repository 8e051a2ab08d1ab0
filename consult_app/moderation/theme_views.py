"""Themes: a document's code frame (list, add, edit, delete) and tagging the comments selected in the worklist."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf

from consult_app.extensions import db
from consult_app.moderation import bp
from consult_app.moderation.theme_forms import TagForm, ThemeForm
from consult_app.permissions import Role, role_required
from consult_app.safety import safe_next
from consult_app.services import reading, theme_counts, themes
from consult_app.services.themes import ThemeError

ID_DIGITS = 9  # ids in forms: digits only, short enough to be an int column's value


class DeleteForm(FlaskForm):
    """The theme is in the address; `confirm` (the button's form always sends it) keeps an empty post harmless."""

    confirm = HiddenField(validators=[AnyOf(["delete"])])


def _document_or_404(slug: str):
    document = reading.find_document(slug)
    if document is None:
        abort(404, description=gettext("There is no guidance document “%(slug)s”, so it has no themes.", slug=slug))
    return document


def _theme_or_404(theme_id: int):
    theme = db.session.get(themes.Theme, theme_id)
    if theme is None:
        abort(404, description=gettext("There is no theme number %(number)d.", number=theme_id))
    return theme


def _form_id(value: str | None, refusal: str) -> int | None:
    """An id from a form field ("" is None); anything else that is not an id is refused with `refusal`."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= ID_DIGITS):
        raise ThemeError(refusal, field="parent_id")
    return int(value)


def _frame_page(document, form: ThemeForm, status: int = 200):
    frame = themes.themes_for(document)
    form.offer_parents(frame)
    figures = theme_counts.theme_figures([document])[document.id]
    return render_template(
        "moderation/themes.html",
        document=document,
        documents=reading.list_documents(),
        figures=figures,
        form=form,
    ), status


def _refused(form: ThemeForm, error: ThemeError) -> None:
    db.session.rollback()
    getattr(form, error.field or "name").errors = [str(error)]


@bp.get("/themes")
@role_required(Role.MODERATOR)
def themes_page():
    slug = request.args.get("document", "")
    if not slug:
        return render_template("moderation/themes.html", document=None, documents=reading.list_documents())
    document = _document_or_404(slug)
    return _frame_page(document, ThemeForm(formdata=None, document=document.slug))


@bp.post("/themes")
@role_required(Role.MODERATOR)
def create_theme():
    form = ThemeForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("The form could not be read (it may be too old). Open the themes page again."))
    document = reading.find_document(form.document.data or "")
    if document is None:
        abort(400, description=gettext("Choose the document the theme belongs to, from the themes page."))
    try:
        parent_id = _form_id(form.parent_id.data, gettext("Choose a parent theme from the list."))
        theme = themes.create_theme(current_user, document, form.name.data, form.description.data, parent_id)
    except ThemeError as error:
        _refused(form, error)
        return _frame_page(document, form, error.status)
    db.session.commit()
    flash(gettext("Theme “%(name)s” added.", name=theme.name), "success")
    return redirect(url_for("moderation.themes_page", document=document.slug))


@bp.get("/themes/<int:theme_id>")
@role_required(Role.MODERATOR)
def theme_page(theme_id: int):
    theme = _theme_or_404(theme_id)
    return _edit_page(theme, _filled_form(theme))


def _filled_form(theme) -> ThemeForm:
    parent_id = str(theme.parent_id or "")
    return ThemeForm(formdata=None, name=theme.name, description=theme.description, parent_id=parent_id)


def _edit_page(theme, form: ThemeForm, status: int = 200, error: str | None = None):
    form.offer_parents([t for t in themes.themes_for(theme.document) if t.id != theme.id])
    tagged = theme_counts.theme_figures([theme.document])[theme.document_id]
    row = next(row for row in tagged.rows if row.theme.id == theme.id)
    return render_template(
        "moderation/theme.html", theme=theme, form=form, delete_form=DeleteForm(formdata=None), row=row, error=error
    ), status


@bp.post("/themes/<int:theme_id>")
@role_required(Role.MODERATOR)
def update_theme(theme_id: int):
    theme, form = _theme_or_404(theme_id), ThemeForm()
    if not form.validate_on_submit():
        return _edit_page(theme, form, 400)
    try:
        parent_id = _form_id(form.parent_id.data, gettext("Choose a parent theme from the list."))
        changed = themes.update_theme(current_user, theme, form.name.data, form.description.data, parent_id)
    except ThemeError as error:
        _refused(form, error)
        return _edit_page(_theme_or_404(theme_id), form, error.status)
    db.session.commit()
    flash(gettext("Theme “%(name)s” saved.", name=theme.name) if changed else gettext("Nothing changed."), "success")
    return redirect(url_for("moderation.themes_page", document=theme.document.slug))


@bp.post("/themes/<int:theme_id>/delete")
@role_required(Role.MODERATOR)
def delete_theme(theme_id: int):
    theme, form = _theme_or_404(theme_id), DeleteForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("The form could not be read (it may be too old). Open the theme’s page again."))
    name, slug = theme.name, theme.document.slug
    try:
        untagged = themes.delete_theme(current_user, theme)
    except ThemeError as error:
        db.session.rollback()
        theme = _theme_or_404(theme_id)
        return _edit_page(theme, _filled_form(theme), error.status, str(error))
    db.session.commit()
    flash(
        ngettext(
            "Theme “%(name)s” deleted; %(num)d comment untagged.",
            "Theme “%(name)s” deleted; %(num)d comments untagged.",
            untagged,
            name=name,
        ),
        "success",
    )
    return redirect(url_for("moderation.themes_page", document=slug))


@bp.post("/themes/tag")
@role_required(Role.MODERATOR)
def tag_comments():
    """The worklist's bulk form: `comment_ids`, `theme_id`, and `theme_action` = tag (default) or untag. A refusal
    is an error page naming the problem (nothing was tagged): the browser's Back returns to the selection."""
    form = TagForm()
    back = safe_next(form.next.data, url_for("moderation.queue"))
    # The worklist's checkboxes send "<comment id>:<assignee>" (for its assignment); the id is what counts here.
    raw_ids = [value.partition(":")[0] for value in request.form.getlist("comment_ids")]
    try:
        if not form.validate_on_submit():
            raise ThemeError(gettext("The form could not be read (it may be too old). Nothing was tagged."))
        if not all(value.isascii() and value.isdigit() and len(value) <= ID_DIGITS for value in raw_ids):
            raise ThemeError(gettext("Some of the selected comments are not valid. Nothing was tagged."))
        theme_id = _form_id(form.theme_id.data, gettext("Choose a theme from the list."))
        if theme_id is None:
            raise ThemeError(gettext("Choose the theme to tag the selected comments with."))
        untagging = request.form.get("theme_action") == "untag"
        change = themes.untag if untagging else themes.tag
        result = change([int(value) for value in raw_ids], [theme_id], current_user)
    except ThemeError as error:
        db.session.rollback()
        abort(error.status, description=str(error))
    theme = db.session.get(themes.Theme, theme_id)
    db.session.commit()
    if untagging:
        message = ngettext(
            "%(num)d comment untagged from “%(name)s”.",
            "%(num)d comments untagged from “%(name)s”.",
            result.comments,
            name=theme.name,
        )
    else:
        message = ngettext(
            "%(num)d comment tagged with “%(name)s”.",
            "%(num)d comments tagged with “%(name)s”.",
            result.comments,
            name=theme.name,
        )
    flash(message, "success")
    return redirect(back, 303)
