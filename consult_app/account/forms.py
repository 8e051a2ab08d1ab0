from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField
from wtforms.validators import InputRequired, Length

from consult_app.forms import ProfileFields, email_field, new_password_fields
from consult_app.services.passwords import MAX_LENGTH


def current_password_field(label: str = "Current password") -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm, ProfileFields):
    pass


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field()
    password, password_confirm = new_password_fields("New password")


class ChangeEmailForm(FlaskForm):
    new_email = email_field("New email address")
    # Its own name: the page has three password fields, and each needs an id of its own.
    email_password = current_password_field("Your password")


class EndOtherSessionsForm(FlaskForm):
    """The "log out everywhere else" button: nothing but the CSRF token."""


class DeleteAccountForm(FlaskForm):
    delete_password = current_password_field("Your password")


class MailPreferencesForm(FlaskForm):
    """The "Mail from Consult" form: what the person wants to hear about. An unticked box sends nothing, so the form
    also sends `mail_form`: without it a post is not this form (400), not a "no" to everything."""

    mail_form = HiddenField(default="1", validators=[InputRequired("The form was incomplete: try again.")])

    notify_responses = BooleanField(
        "Tell me when the drafting team answers my comments",
        description="One mail with the disposition and the response; several answers at once come as one mail.",
    )
    notify_changes = BooleanField(
        "Tell me when a new version changes a section I commented on",
        description="One mail per new version, listing those sections, with a link to what changed.",
    )
