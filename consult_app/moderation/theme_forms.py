"""Forms of the theme pages. The service checks names and parents (services/themes.py) and its messages are put on
the fields, so a forged value gets the same sentence as a mistyped one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField

from consult_app.models.theme import THEME_NAME_MAX

NO_PARENT = SelectChoice("", _l("None: a top-level theme"))


class ThemeForm(FlaskForm):
    document = HiddenField()
    name = StringField(
        _l("Theme name"),
        description=_l(
            "Up to %(count)d characters, without “;”. Names are unique within the document, whatever their case.",
            count=THEME_NAME_MAX,
        ),
    )
    description = TextAreaField(
        _l("Description (optional)"),
        description=_l("What the theme covers, so that everyone on the team codes alike."),
        render_kw={"rows": 3},
    )
    parent_id = SelectField(_l("Parent theme"), choices=[NO_PARENT], validate_choice=False)

    def offer_parents(self, themes) -> None:
        """Top-level themes only: a sub-theme cannot have sub-themes of its own."""
        self.parent_id.choices = [NO_PARENT, *(SelectChoice(str(t.id), t.name) for t in themes if t.parent_id is None)]


class TagForm(FlaskForm):
    """Tag or untag the selected comments (`comment_ids`, from the worklist's bulk form) with one theme."""

    theme_id = SelectField(_l("Theme"), choices=[], validate_choice=False)
    next = HiddenField()
