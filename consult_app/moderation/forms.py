from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from consult_app.labels import DISPOSITION_LABELS, KIND_LABELS, REASON_LABELS
from consult_app.models.comment import NOTE_MAX, RESPONSE_MAX
from consult_app.models.user import RespondentType


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    document = StringField("Document (slug)", validators=[Optional(), Length(max=80)])
    section = StringField("Section key", validators=[Optional(), Length(max=80)])
    kind = SelectField(
        "Kind",
        choices=[SelectChoice("", "Any kind"), *(SelectChoice(k.value, v) for k, v in KIND_LABELS.items())],
        validators=[Optional()],
    )
    respondent_type = SelectField(
        "Respondent type",
        choices=[SelectChoice("", "Any respondent"), *(SelectChoice(t.value, t.label) for t in RespondentType)],
        validators=[Optional()],
    )
    q = StringField("Text in the comment or quote", validators=[Optional(), Length(max=200)])


class DecisionForm(FlaskForm):
    """The decision itself comes from the submit button (`decision` = approve or reject). The service
    checks decision and reason, so a forged value gets the same clear refusal as a missing one."""

    reason = SelectField(
        "Reason for rejecting",
        choices=[
            SelectChoice("", "Choose a reason if rejecting"),
            *(SelectChoice(k.value, v) for k, v in REASON_LABELS.items()),
        ],
        validate_choice=False,
    )
    note = TextAreaField("Note to the author (optional)", validators=[Optional(), Length(max=NOTE_MAX)])
    next = HiddenField()


class DispositionForm(FlaskForm):
    disposition = SelectField(
        "Disposition",
        choices=[
            SelectChoice("", "Choose a disposition"),
            *(SelectChoice(k.value, v) for k, v in DISPOSITION_LABELS.items()),
        ],
        validate_choice=False,
    )
    response = TextAreaField(
        "The drafting team's response",
        validators=[Optional(), Length(max=RESPONSE_MAX, message=f"Use at most {RESPONSE_MAX:,} characters.")],
        description="Shown under the comment on the section page when the comment is published.",
        render_kw={"rows": 5},
    )
