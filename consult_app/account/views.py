import json

from flask import Response, flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user

from consult_app.account import bp
from consult_app.account.forms import ChangePasswordForm, DeleteAccountForm, ProfileForm
from consult_app.extensions import db
from consult_app.forms import profile_from
from consult_app.permissions import Role, role_required
from consult_app.safety import start_session
from consult_app.services import accounts, comments


def _forms(**bound):
    """The three forms of the page; the one that was submitted is passed in bound to the request."""
    forms = {
        "profile_form": ProfileForm(formdata=None, obj=current_user, name=current_user.display_name),
        "password_form": ChangePasswordForm(formdata=None),
        "delete_form": DeleteAccountForm(formdata=None),
    }
    forms.update(bound)
    return forms


def _page(status: int = 200, **bound):
    own = comments.own_comments(current_user)
    return render_template("account/index.html", own_comments=own, **_forms(**bound)), status


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
    flash("Your profile has been saved.", "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@role_required(Role.REVIEWER)
def change_password():
    form = ChangePasswordForm()
    form.account_email, form.account_name = current_user.email, current_user.display_name
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            start_session(current_user._get_current_object())  # keep this session; the others have ended
            flash("Your password has been changed. Any other sessions have been logged out.", "success")
            return redirect(url_for("account.index"))
    return _page(400, password_form=form)


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
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your account has been deleted.", "success")
            return redirect(url_for("reading.index"))
    return _page(400, delete_form=form)
