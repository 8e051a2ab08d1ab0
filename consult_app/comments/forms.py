from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from consult_app.labels import KIND_LABELS, PUBLICATION_LABELS
from consult_app.models.comment import BODY_MAX, QUOTE_MAX


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[
            InputRequired("Write your comment."),
            Length(max=BODY_MAX, message=f"Use at most {BODY_MAX:,} characters."),
        ],
        description=f"Up to {BODY_MAX:,} characters. "
        "You can use *emphasis*, **bold**, lists, > quotes, `code` and links.",
        render_kw={"maxlength": BODY_MAX, "rows": 8},
    )
    kind = RadioField(
        "What kind of comment is this?",
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        # No default, here or for the publication: the reviewer chooses (nothing is checked when the form opens).
        validators=[InputRequired("Choose what kind of comment this is.")],
    )
    quote = TextAreaField(
        "The passage you are commenting on (optional)",
        validators=[Optional(), Length(max=QUOTE_MAX, message=f"Quote at most {QUOTE_MAX:,} characters.")],
        description="Copy the words exactly from the section's text.",
        render_kw={"rows": 2, "maxlength": QUOTE_MAX},
    )
    publication = RadioField(
        "Who may read your comment?",
        choices=[SelectChoice(p.value, label) for p, label in PUBLICATION_LABELS.items()],
        validators=[InputRequired("Choose who may read your comment.")],
    )
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message="Unknown comment to reply to.")])

    def with_id_prefix(self, prefix: str) -> CommentForm:
        """Start every field's id with `prefix`, so that a reply form can join the section's own form on one page
        (the names, which the server reads, stay as they are)."""
        for field in self:
            field.id = field.label.field_id = prefix + field.name
        return self
