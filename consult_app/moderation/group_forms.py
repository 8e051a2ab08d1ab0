"""Forms of the page of a group of near-duplicate comments (moderation/group_views.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class GroupTagForm(FlaskForm):
    """Tag every member with the chosen themes of the group's document (checked by services/themes.py)."""

    theme_ids = SelectMultipleField(
        _l("Themes"),
        choices=[],
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def offer(self, themes) -> None:
        self.theme_ids.choices = [SelectChoice(theme.id, theme.name) for theme in themes]
