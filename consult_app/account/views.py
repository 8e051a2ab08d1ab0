import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from consult_app.account import bp
from consult_app.account.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EndOtherSessionsForm,
    LanguageForm,
    MailPreferencesForm,
    ProfileForm,
)
from consult_app.auth.session import current_token, end_session, start_session
from consult_app.extensions import db, limiter
from consult_app.forms import profile_from
from consult_app.i18n import LANGUAGES, current_language, in_language, known, remember
from consult_app.permissions import Role, role_required
from consult_app.services import accounts, email_change, sessions
from consult_app.services.own_comments import own_comment_rows

# Each change of address mails two people: limited like the other actions that send mail (auth/views.py).
EMAIL_CHANGE_LIMIT = "5 per minute; 20 per hour"


def _forms(**bound):
    """The forms of the page; the one that was submitted is passed in bound to the request."""
    forms = {
        "profile_form": ProfileForm(formdata=None, obj=current_user, name=current_user.display_name),
        "email_form": ChangeEmailForm(formdata=None),
        "password_form": ChangePasswordForm(formdata=None),
        "sessions_form": EndOtherSessionsForm(formdata=None),
        "delete_form": DeleteAccountForm(formdata=None),
        "mail_form": MailPreferencesForm(formdata=None, obj=current_user),
        # Not chosen yet: the language the page is in is the one selected.
        "language_form": LanguageForm(formdata=None, language=known(current_user.language) or current_language()),
    }
    forms.update(bound)
    return forms


def _page(status: int = 200, **bound):
    own = own_comment_rows(current_user)
    active = sessions.active_sessions(current_user)
    token = current_token()
    this_session = sessions.session_id(token) if token else None
    limits = sessions.lifetimes().described()
    context = {"own_comments": own, "active_sessions": active, "this_session": this_session, "session_limits": limits}
    return render_template("account/index.html", **context, **_forms(**bound)), status


@bp.get("/")
@role_required(Role.REVIEWER)
def index():
    return _page()


@bp.post("/profile")
@role_required(Role.REVIEWER)
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(400, profile_form=form)
    accounts.update_profile(current_user, profile_from(form))
    db.session.commit()
    flash(gettext("Your profile has been saved."), "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@role_required(Role.REVIEWER)
def change_password():
    form = ChangePasswordForm()
    form.account_email, form.account_name = current_user.email, current_user.display_name
    if form.validate_on_submit():
        remember = sessions.is_remembered(current_token())
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        else:
            # Every session ended, this one too: the person goes on in a new one, so that no cookie issued
            # before the change (a copy of this browser's included) opens anything afterwards.
            start_session(current_user._get_current_object(), remember=remember)
            db.session.commit()
            flash(gettext("Your password has been changed. Any other sessions have been logged out."), "success")
            return redirect(url_for("account.index"))
    return _page(400, password_form=form)


@bp.post("/email")
@limiter.limit(EMAIL_CHANGE_LIMIT)
@role_required(Role.REVIEWER)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            email_change.request_change(current_user, form.new_email.data, form.email_password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.email_password.errors.append(str(error))
        else:
            db.session.commit()
            new_email = accounts.normalise_email(form.new_email.data)
            return render_template("auth/check_email.html", email=new_email, purpose="change")
    return _page(400, email_form=form)


@bp.post("/notifications")
@role_required(Role.REVIEWER)
def notifications():
    form = MailPreferencesForm()
    if not form.validate_on_submit():
        return _page(400, mail_form=form)
    choices = {name: getattr(form, name).data for name in accounts.MAIL_PREFERENCES}
    changed = accounts.set_mail_preferences(current_user, choices)
    db.session.commit()
    if changed:
        flash(gettext("Your mail choices have been saved."), "success")
    else:
        flash(gettext("Your mail choices are as they were."), "success")
    return redirect(url_for("account.index", _anchor="mail-title"))


@bp.post("/language")
@role_required(Role.REVIEWER)
def language():
    """The account's language (pages, and the mail Consult sends it), as the header's switcher also sets it;
    the cookie too, so that the pages stay in it after logging out."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _page(400, language_form=form)
    chosen = form.language.data
    current_user.language = chosen
    db.session.commit()
    with in_language(chosen):  # said in the language just chosen, as the next page will be
        flash(gettext("Language saved: %(language)s.", language=LANGUAGES[chosen]), "success")
    response = redirect(url_for("account.index", _anchor="language-title"))
    remember(response, chosen)
    return response


@bp.post("/sessions/others")
@role_required(Role.REVIEWER)
def end_other_sessions():
    form = EndOtherSessionsForm()
    if not form.validate_on_submit():
        return _page(400, sessions_form=form)
    ended = sessions.end_all(current_user, keep=current_token())
    db.session.commit()
    message = ngettext(
        "Logged out everywhere else (%(num)d other session).",
        "Logged out everywhere else (%(num)d other sessions).",
        ended,
    )
    flash(message, "success")
    return redirect(url_for("account.index"))


@bp.get("/data.json")
@role_required(Role.REVIEWER)
def download_data():
    body = json.dumps(accounts.export_data(current_user), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="consult-my-data.json"', "Cache-Control": "no-store"},
    )


@bp.post("/delete")
@role_required(Role.REVIEWER)
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user._get_current_object(), form.delete_password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.delete_password.errors.append(str(error))
        else:
            end_session()
            db.session.commit()
            flash(gettext("Your account has been deleted."), "success")
            return redirect(url_for("reading.index"))
    return _page(400, delete_form=form)
