from flask_wtf import FlaskForm
from wtforms import PasswordField
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
