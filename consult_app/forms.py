"""Form pieces shared by several blueprints."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from consult_app.models.user import COUNTRY_MAX, EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.services import profile_text
from consult_app.services.accounts import Profile
from consult_app.services.passwords import MAX_LENGTH, password_problem


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def normalise_profile_text(value: str | None) -> str | None:
    return profile_text.normalise(value) if isinstance(value, str) else value


class ProfileText:
    """Validator: a name, organisation or country that can be shown as it is (services/profile_text.py)."""

    def __call__(self, form, field) -> None:
        problem = profile_text.problem(field.data or "")
        if problem:
            raise ValidationError(problem)


def email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=EMAIL_MAX, message=f"Use at most {EMAIL_MAX} characters."),
            Email("Enter an email address like name@example.org.", check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class NewPassword:
    """Validator: the password rules, with the person's email and name taken from sibling fields."""

    def __call__(self, form, field) -> None:
        email = getattr(getattr(form, "email", None), "data", None) or getattr(form, "account_email", "")
        name = getattr(getattr(form, "name", None), "data", None) or getattr(form, "account_name", "")
        problem = password_problem(field.data or "", email=email or "", name=name or "")
        if problem:
            raise ValidationError(problem)


def new_password_fields(label: str = "Password") -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label,
        validators=[InputRequired("Choose a password."), Length(max=MAX_LENGTH), NewPassword()],
        description="At least 12 characters. A few unrelated words together make a strong password.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        f"{label} again",
        validators=[InputRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class ProfileFields:
    """Respondent profile fields, mixed into the registration and profile forms."""

    name = StringField(
        "Name",
        filters=[normalise_profile_text],
        validators=[
            DataRequired("Enter your name."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters."),
            ProfileText(),
        ],
        description="Shown with comments you choose to publish under your name.",
        render_kw={"autocomplete": "name"},
    )
    organisation = StringField(
        "Organisation (optional)",
        filters=[normalise_profile_text],
        validators=[
            Length(max=ORGANISATION_MAX, message=f"Use at most {ORGANISATION_MAX} characters."),
            ProfileText(),
        ],
        render_kw={"autocomplete": "organization"},
    )
    respondent_type = SelectField(
        "You are responding as",
        # No default: a pre-selected answer would quietly skew who seems to have responded.
        choices=[
            SelectChoice("", "Choose one"),
            *(SelectChoice(member.value, member.label) for member in RespondentType),
        ],
        validators=[InputRequired("Choose how you are responding.")],
    )
    country = StringField(
        "Country (optional)",
        filters=[normalise_profile_text],
        validators=[Length(max=COUNTRY_MAX, message=f"Use at most {COUNTRY_MAX} characters."), ProfileText()],
        render_kw={"autocomplete": "country-name"},
    )


def profile_from(form) -> Profile:
    """The respondent profile entered in a form with ProfileFields."""
    return Profile(form.name.data, form.organisation.data or "", form.respondent_type.data, form.country.data or "")
