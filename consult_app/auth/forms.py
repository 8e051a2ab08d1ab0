from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length

from consult_app.forms import ProfileFields, email_field, new_password_fields
from consult_app.services.passwords import MAX_LENGTH


class RegisterForm(FlaskForm, ProfileFields):
    email = email_field()
    password, password_confirm = new_password_fields()
    accept_terms = BooleanField(
        "I have read the privacy notice and agree to my details being kept as it describes",
        validators=[DataRequired("You need to accept the privacy notice to register.")],
    )


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device for 30 days")


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields("New password")
