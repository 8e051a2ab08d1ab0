from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from consult_app.labels import DISPOSITION_LABELS, KIND_LABELS, REASON_LABELS
from consult_app.models.comment import NOTE_MAX, RESPONSE_MAX
from consult_app.models.user import RespondentType


def _at_most(limit: int) -> str:
    """A length limit's message, with the number written the reader's way ("10,000", "10 000")."""
    return gettext("Use at most %(max)s characters.", max=format_decimal(limit))


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # Documents by title and sections by number and title (choices from set_places); a value not offered finds
    # nothing rather than failing, as a shared link to a section since renamed should.
    document = SelectField(_l("Document"), choices=[], validate_choice=False, validators=[Optional(), Length(max=80)])
    section = SelectField(_l("Section"), choices=[], validate_choice=False, validators=[Optional(), Length(max=80)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("", _l("Any kind")), *(SelectChoice(k.value, v) for k, v in KIND_LABELS.items())],
        validators=[Optional()],
    )
    respondent_type = SelectField(
        _l("Respondent type"),
        choices=[SelectChoice("", _l("Any respondent")), *(SelectChoice(t.value, t.label) for t in RespondentType)],
        validators=[Optional()],
    )
    q = StringField(_l("Text in the comment or quote"), validators=[Optional(), Length(max=200)])

    def set_places(self, documents: list[tuple[str, str]], sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        """Offer the documents and their current sections (services/triage.places)."""
        self.document.choices = [
            SelectChoice("", gettext("Any document")),
            *(SelectChoice(*pair) for pair in documents),
        ]
        several = len(sections) > 1
        self.section.choices = [
            SelectChoice("", gettext("Any section")),
            *(
                SelectChoice(key, f"{title}: {name}" if several else name)
                for title, named in sections
                for key, name in named
            ),
        ]


class DecisionForm(FlaskForm):
    """The decision itself comes from the submit button (`decision` = approve or reject). The service
    checks decision and reason, so a forged value gets the same clear refusal as a missing one."""

    reason = SelectField(
        _l("Reason for rejecting"),
        choices=[
            SelectChoice("", _l("Choose a reason if rejecting")),
            *(SelectChoice(k.value, v) for k, v in REASON_LABELS.items()),
        ],
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Note to the author (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX)],  # WTForms' own message, translated by Flask-WTF
    )
    next = HiddenField()


class DispositionForm(FlaskForm):
    disposition = SelectField(
        _l("Disposition"),
        choices=[
            SelectChoice("", _l("Choose a disposition")),
            *(SelectChoice(k.value, v) for k, v in DISPOSITION_LABELS.items()),
        ],
        validate_choice=False,
    )
    response = TextAreaField(
        _l("The drafting team's response"),
        validators=[Optional(), Length(max=RESPONSE_MAX, message=LazyString(lambda: _at_most(RESPONSE_MAX)))],
        description=_l("Shown under the comment on the section page when the comment is published."),
        render_kw={"rows": 5},
    )


class ReviewForm(DispositionForm):
    """The decision screen's one form: the decision (when the comment is pending), the reason and note that go
    with a rejection, and the drafting team's disposition and response, saved together with one button."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("", _l("Not now: leave it awaiting moderation")),
            SelectChoice("approve", _l("Approve")),
            SelectChoice("reject", _l("Reject")),
        ],
        default="",
        validate_choice=False,  # the service refuses anything else with a sentence
    )
    reason = DecisionForm.reason
    note = DecisionForm.note
