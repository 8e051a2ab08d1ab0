from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from consult_app.permissions import Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Search by email, name or organisation", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"], message="Unknown choice.")])
