from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from consult_app.auth import bp
from consult_app.auth.forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from consult_app.extensions import db, limiter
from consult_app.forms import profile_from
from consult_app.permissions import is_signed_in
from consult_app.safety import safe_next, start_session
from consult_app.services import accounts
from consult_app.services.mail import MailDeliveryError

AUTH_LIMIT = "10 per minute; 50 per hour"
MAIL_LIMIT = "5 per minute; 20 per hour"
MAIL_FAILED = "We could not send email just now, so nothing was saved. Please try again in a few minutes."


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register(form.email.data, form.password.data, profile_from(form))
            db.session.commit()
        except accounts.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        except MailDeliveryError:
            db.session.rollback()
            flash(MAIL_FAILED, "error")
            return render_template("auth/register.html", form=form), 503
        else:
            return render_template("auth/check_email.html", email=form.email.data, purpose="register")
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        user = accounts.confirm_email(token)
    except accounts.AccountError as error:
        return render_template("auth/message.html", title="Link not valid", message=str(error)), 400
    accounts.record_login(user)
    db.session.commit()
    start_session(user)
    flash("Thank you: your email address is confirmed and you are logged in.", "success")
    return redirect(url_for("reading.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("reading.index"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("The email address or password is not right.")
        elif user.email_confirmed_at is None:
            return _unconfirmed(user)
        else:
            accounts.record_login(user)
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return redirect(next_url)
    return render_template("auth/login.html", form=form, next_url=next_url), 400 if form.errors else 200


def _unconfirmed(user):
    # Only someone who knows the password gets here, so saying the account exists reveals nothing new.
    try:
        accounts.resend_confirmation(user)
    except MailDeliveryError:
        flash(MAIL_FAILED, "error")
    return render_template("auth/check_email.html", email=user.email, purpose="unconfirmed"), 403


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("reading.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data)
        except MailDeliveryError:
            flash(MAIL_FAILED, "error")
            return render_template("auth/reset_request.html", form=form), 503
        return render_template("auth/check_email.html", email=form.email.data, purpose="reset")
    return render_template("auth/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset(token)
    except accounts.AccountError as error:
        return render_template("auth/message.html", title="Link not valid", message=str(error)), 400
    form = ResetPasswordForm()
    form.account_email, form.account_name = user.email, user.display_name
    if form.validate_on_submit():
        accounts.reset_password(token, form.password.data)
        accounts.record_login(user)
        db.session.commit()
        start_session(user)
        flash("Your password has been changed and you are logged in.", "success")
        return redirect(url_for("account.index"))
    return render_template("auth/reset_password.html", form=form), 400 if form.errors else 200


@bp.app_context_processor
def signed_in_user():
    return {"signed_in": is_signed_in(current_user)}
