from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult_app.auth import bp
from consult_app.auth.forms import (
    ConfirmForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from consult_app.auth.session import current_token, end_session, start_session
from consult_app.extensions import db, limiter
from consult_app.forms import profile_from
from consult_app.permissions import is_signed_in
from consult_app.safety import safe_next
from consult_app.services import accounts, email_change

AUTH_LIMIT = "10 per minute; 50 per hour"
MAIL_LIMIT = "5 per minute; 20 per hour"
# One answer for every failed log-in, whatever the reason (wrong password, unknown address, a held-back or
# locked account: services/throttle.py), so that it never tells whether an account exists.
LOGIN_FAILED = _l(
    "The email address or password is not right. After several failed attempts, "
    "log-ins to an account are held back for a while."
)
LOG_IN = ("auth.login", _l("Log in"))
REGISTER = ("auth.register", _l("Register"))
NEW_RESET_LINK = ("auth.request_reset", _l("Ask for a new password reset link"))
ACCOUNT_PAGE = ("account.index", _l("Go to your account page"))


def link_not_valid(message: str, *way_on: tuple[str, str], title: str | None = None):
    """The 400 page for a mailed link that cannot be used, with the ways on that make sense for it."""
    title = title or gettext("Link not valid")
    return render_template("auth/message.html", title=title, message=message, way_on=way_on), 400


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    # The page the reader was on when they chose to register: the confirmation link leads back to it.
    next_url = safe_next(request.values.get("next"), "")
    if form.validate_on_submit():
        try:
            accounts.register(form.email.data, form.password.data, profile_from(form), next_url or None)
            db.session.commit()
        except accounts.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            context = {"email": form.email.data, "purpose": "register", "next_url": next_url}
            return render_template("auth/check_email.html", **context)
    # A password is never sent back into the page: when one was typed, the form asks for it again and says why.
    retype = bool(form.errors and (form.password.data or form.password_confirm.data))
    context = {"form": form, "next_url": next_url, "retype": retype}
    return render_template("auth/register.html", **context), 400 if form.errors else 200


@bp.route("/resend-confirmation", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def resend_confirmation():
    """Resend for "Nothing arrived?": a new confirmation link, one answer whether or not the address has an account."""
    form = ResendConfirmationForm()
    next_url = safe_next(request.values.get("next"), "")
    if form.validate_on_submit():
        accounts.request_confirmation(form.email.data, next_url or None)
        db.session.commit()
        return render_template("auth/check_email.html", email=form.email.data, purpose="resent", next_url=next_url)
    context = {"form": form, "next_url": next_url}
    return render_template("auth/resend_confirmation.html", **context), 400 if form.errors else 200


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def confirm_email(token: str):
    """GET shows a button and changes nothing (mail scanners follow links); the POST confirms, once, and
    logs the person in that one time. Any later use logs nobody in."""
    form = ConfirmForm()
    # Checked here as any `next` is: the link is signed, but what it carries goes through the same gate.
    next_url = safe_next(accounts.confirmation_next(token), url_for("reading.index"))
    try:
        user = accounts.account_for_confirmation(token)
        if not form.validate_on_submit():
            status = 400 if form.errors else 200
            return render_template("auth/confirm.html", form=form, purpose="register", user=user), status
        user = accounts.confirm_email(token)
    except accounts.AlreadyConfirmedError as error:
        db.session.rollback()
        return link_not_valid(str(error), LOG_IN, title=gettext("Already confirmed"))
    except accounts.AccountError as error:
        return link_not_valid(str(error), REGISTER, LOG_IN)
    accounts.record_login(user)
    start_session(user)
    db.session.commit()
    flash(gettext("Thank you: your email address is confirmed and you are logged in."), "success")
    return redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("reading.index"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # a failure may have locked the account and queued the owner's mail
            form.password.errors.append(str(LOGIN_FAILED))
        elif user.email_confirmed_at is None:
            return _unconfirmed(user, next_url)
        else:
            accounts.record_login(user)
            start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect(next_url)
    return render_template("auth/login.html", form=form, next_url=next_url), 400 if form.errors else 200


def _unconfirmed(user, next_url: str):
    # Only someone who knows the password gets here, so saying the account exists reveals nothing new.
    accounts.resend_confirmation(user, next_url)
    db.session.commit()
    context = {"email": user.email, "purpose": "unconfirmed", "next_url": next_url}
    return render_template("auth/check_email.html", **context), 403


@bp.post("/logout")
def logout():
    end_session()
    db.session.commit()
    flash(gettext("You are logged out."), "success")
    return redirect(url_for("reading.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/check_email.html", email=form.email.data, purpose="reset")
    return render_template("auth/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset(token)
    except accounts.AccountError as error:
        return link_not_valid(str(error), NEW_RESET_LINK, LOG_IN)
    form = ResetPasswordForm()
    form.account_email, form.account_name = user.email, user.display_name
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.AccountError as error:  # used a moment ago by another request
            db.session.rollback()
            return link_not_valid(str(error), NEW_RESET_LINK, LOG_IN)
        accounts.record_login(user)
        start_session(user)
        db.session.commit()
        flash(gettext("Your password has been changed and you are logged in."), "success")
        return redirect(url_for("account.index"))
    return render_template("auth/reset_password.html", form=form), 400 if form.errors else 200


@bp.route("/change-email/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def change_email(token: str):
    """The link mailed to a new address: GET shows a button, the POST changes the address (once)."""
    form = ConfirmForm()
    # Asked before the change: loading the session afterwards could have to wait for this request's own writes.
    signed_in = is_signed_in(current_user)
    try:
        user, new_email = email_change.pending_change(token)
        if not form.validate_on_submit():
            context = {"form": form, "purpose": "change", "user": user, "new_email": new_email}
            return render_template("auth/confirm.html", **context), 400 if form.errors else 200
        email_change.change_email(token, keep_session=current_token())
    except email_change.AddressTakenError as error:
        db.session.rollback()
        return link_not_valid(str(error), ACCOUNT_PAGE, title=gettext("Address already in use"))
    except accounts.AccountError as error:
        return link_not_valid(str(error), ACCOUNT_PAGE)
    db.session.commit()
    flash(gettext("Your email address has been changed. Any other sessions have been logged out."), "success")
    return redirect(url_for("account.index" if signed_in else "auth.login"))


@bp.app_context_processor
def signed_in_user():
    return {"signed_in": is_signed_in(current_user)}
