"""Form pieces shared by several blueprints.

Labels, hints and messages are lazy (`_l`, or `lazy_message` for one with a number in it): a form class is built
once, at import, and each request shows it in that request's language.
"""

from __future__ import annotations

from flask_babel import format_decimal, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from consult_app.models.user import COUNTRY_MAX, EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.services import profile_text
from consult_app.services.accounts import Profile
from consult_app.services.passwords import MAX_LENGTH, password_problem


def lazy_message(make, *args, **kwargs) -> LazyString:
    """A message made by `make(*args, **kwargs)` each time it is shown, in the reader's language and number format:
    for a message with a number, which `_l` would format once, at import, without the locale's separators."""
    return LazyString(make, *args, **kwargs)


def at_most(limit: int) -> LazyString:
    """A Length validator's message: "Use at most 4,000 characters." ("4 000" in French)."""
    return lazy_message(_at_most, limit)


def _at_most(limit: int) -> str:
    # `num` would be the bare number ("4000"): the message shows it formatted, as `limit`.
    return ngettext(
        "Use at most %(limit)s character.", "Use at most %(limit)s characters.", limit, limit=format_decimal(limit)
    )


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


def email_field(label: str = _l("Email address")) -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=at_most(EMAIL_MAX)),
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
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


# The labels of the two password fields, by the first one's English name (each pair is one phrase to translate).
PASSWORD_LABELS = {
    "Password": (_l("Password"), _l("Password again")),
    "New password": (_l("New password"), _l("New password again")),
}


def new_password_fields(label: str = "Password") -> tuple[PasswordField, PasswordField]:
    """The new password and its confirmation; `label` is "Password" (registration) or "New password"."""
    first, again = PASSWORD_LABELS[label]
    password = PasswordField(
        first,
        validators=[InputRequired(_l("Choose a password.")), Length(max=MAX_LENGTH), NewPassword()],
        description=_l("At least 12 characters. A few unrelated words together make a strong password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        again,
        validators=[
            InputRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class ProfileFields:
    """Respondent profile fields, mixed into the registration and profile forms."""

    name = StringField(
        _l("Name"),
        filters=[normalise_profile_text],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=NAME_MAX, message=at_most(NAME_MAX)),
            ProfileText(),
        ],
        description=_l("Shown with comments you choose to publish under your name."),
        render_kw={"autocomplete": "name"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        filters=[normalise_profile_text],
        validators=[
            Length(max=ORGANISATION_MAX, message=at_most(ORGANISATION_MAX)),
            ProfileText(),
        ],
        render_kw={"autocomplete": "organization"},
    )
    respondent_type = SelectField(
        _l("You are responding as"),
        # No default: a pre-selected answer would quietly skew who seems to have responded.
        choices=[
            SelectChoice("", _l("Choose one")),
            *(SelectChoice(member.value, member.label) for member in RespondentType),
        ],
        validators=[InputRequired(_l("Choose how you are responding."))],
    )
    country = StringField(
        _l("Country (optional)"),
        filters=[normalise_profile_text],
        validators=[Length(max=COUNTRY_MAX, message=at_most(COUNTRY_MAX)), ProfileText()],
        render_kw={"autocomplete": "country-name"},
    )


def profile_from(form) -> Profile:
    """The respondent profile entered in a form with ProfileFields."""
    return Profile(form.name.data, form.organisation.data or "", form.respondent_type.data, form.country.data or "")
