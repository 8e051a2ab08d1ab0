from __future__ import annotations

from flask_babel import format_decimal, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from consult_app.forms import at_most, lazy_message
from consult_app.labels import KIND_LABELS, PUBLICATION_LABELS
from consult_app.models.comment import BODY_MAX, QUOTE_MAX


# Made when shown: the limits in the reader's number format ("10 000" in French), in the right plural form.
def _body_hint() -> str:
    return ngettext(
        "Up to %(limit)s character. You can use *emphasis*, **bold**, lists, > quotes, `code` and links.",
        "Up to %(limit)s characters. You can use *emphasis*, **bold**, lists, > quotes, `code` and links.",
        BODY_MAX,
        limit=format_decimal(BODY_MAX),
    )


def _quote_limit() -> str:
    return ngettext(
        "Quote at most %(limit)s character.",
        "Quote at most %(limit)s characters.",
        QUOTE_MAX,
        limit=format_decimal(QUOTE_MAX),
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            InputRequired(_l("Write your comment.")),
            Length(max=BODY_MAX, message=at_most(BODY_MAX)),
        ],
        description=lazy_message(_body_hint),
        render_kw={"maxlength": BODY_MAX, "rows": 8},
    )
    kind = RadioField(
        _l("What kind of comment is this?"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        # No default, here or for the publication: the reviewer chooses (nothing is checked when the form opens).
        validators=[InputRequired(_l("Choose what kind of comment this is."))],
    )
    quote = TextAreaField(
        _l("The passage you are commenting on (optional)"),
        validators=[Optional(), Length(max=QUOTE_MAX, message=lazy_message(_quote_limit))],
        description=_l("Copy the words exactly from the section's text."),
        render_kw={"rows": 2, "maxlength": QUOTE_MAX},
    )
    publication = RadioField(
        _l("Who may read your comment?"),
        choices=[SelectChoice(p.value, label) for p, label in PUBLICATION_LABELS.items()],
        validators=[InputRequired(_l("Choose who may read your comment."))],
    )
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message=_l("Unknown comment to reply to."))])

    def with_id_prefix(self, prefix: str) -> CommentForm:
        """Start every field's id with `prefix`, so that a reply form can join the section's own form on one page
        (the names, which the server reads, stay as they are)."""
        for field in self:
            field.id = field.label.field_id = prefix + field.name
        return self
