from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length

from consult_app.forms import ProfileFields, at_most, email_field, new_password_fields
from consult_app.services.passwords import MAX_LENGTH


class RegisterForm(FlaskForm, ProfileFields):
    email = email_field()
    password, password_confirm = new_password_fields()
    accept_terms = BooleanField(
        _l("I have read the privacy notice and agree to my details being kept as it describes"),
        validators=[DataRequired(_l("You need to accept the privacy notice to register."))],
    )


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_LENGTH, message=at_most(MAX_LENGTH))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The label says how long "keep me logged in" lasts, which is a setting (services/sessions.py).
        days = current_app.config["SESSION_ABSOLUTE_DAYS"]
        self.remember.label.text = ngettext(
            "Keep me logged in on this device for %(num)d day",
            "Keep me logged in on this device for %(num)d days",
            days,
        )


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResendConfirmationForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields("New password")


class ConfirmForm(FlaskForm):
    """The one button of a mailed link's page: only its POST (with the CSRF token) changes anything."""
