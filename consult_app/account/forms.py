from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectChoice, SelectField
from wtforms.validators import AnyOf, InputRequired, Length

from consult_app.forms import ProfileFields, email_field, new_password_fields
from consult_app.i18n import LANGUAGES
from consult_app.services.passwords import MAX_LENGTH


def current_password_field(label: str = _l("Current password")) -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm, ProfileFields):
    pass


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field()
    password, password_confirm = new_password_fields("New password")


class ChangeEmailForm(FlaskForm):
    new_email = email_field(_l("New email address"))
    # Its own name: the page has three password fields, and each needs an id of its own.
    email_password = current_password_field(_l("Your password"))


class EndOtherSessionsForm(FlaskForm):
    """The "log out everywhere else" button: nothing but the CSRF token."""


class DeleteAccountForm(FlaskForm):
    delete_password = current_password_field(_l("Your password"))


class MailPreferencesForm(FlaskForm):
    """The "Mail from Consult" form: what the person wants to hear about. An unticked box sends nothing, so the form
    also sends `mail_form`: without it a post is not this form (400), not a "no" to everything."""

    mail_form = HiddenField(default="1", validators=[InputRequired(_l("The form was incomplete: try again."))])

    notify_responses = BooleanField(
        _l("Tell me when the drafting team answers my comments"),
        description=_l("One mail with the disposition and the response; several answers at once come as one mail."),
    )
    notify_changes = BooleanField(
        _l("Tell me when a new version changes a section I commented on"),
        description=_l("One mail per new version, listing those sections, with a link to what changed."),
    )


class LanguageForm(FlaskForm):
    """The language of the pages and of the mail Consult sends this account (User.language; the header's
    switcher saves it too). Each language is named in itself, as in the switcher."""

    language = SelectField(
        _l("Language of pages and mail"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
        # A value not offered is the validator's to refuse, with its own words, not WTForms' "Not a valid choice".
        validate_choice=False,
        # No `required` attribute: the list has no empty first choice, so one is always chosen, and HTML forbids
        # `required` on such a select (the Nu checker says so). The validators still refuse an empty value.
        render_kw={"required": False},
        validators=[
            InputRequired(_l("Choose English, Français or Русский.")),
            AnyOf(list(LANGUAGES), message=_l("Choose English, Français or Русский.")),
        ],
    )
