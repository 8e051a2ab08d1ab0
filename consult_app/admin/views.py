from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from consult_app.admin import bp
from consult_app.admin.forms import ActiveForm, RoleForm, UserSearchForm
from consult_app.extensions import db
from consult_app.labels import label
from consult_app.models import User
from consult_app.permissions import Role, role_required
from consult_app.services import accounts


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    search = UserSearchForm(request.args)
    if not search.validate():
        return render_template("admin/users.html", search=search, page=None), 400
    page = accounts.search_users(search.q.data or "", search.role.data or "", request.args.get("page", 1, type=int))
    return render_template("admin/users.html", search=search, page=page, roles=list(Role))


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description=gettext("There is no such account."))
    return user


def _back():
    return redirect(url_for("admin.users", q=request.args.get("q") or None, page=request.args.get("page") or None))


@bp.post("/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def change_role(user_id: int):
    target, form = _target(user_id), RoleForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("Choose one of the roles reviewer, moderator or admin."))
    try:
        accounts.set_role(current_user, target, Role(form.role.data))
    except accounts.AccountError as error:
        abort(403, description=str(error))
    db.session.commit()
    role = label("role", target.role).lower()
    flash(gettext("%(name)s is now %(role)s.", name=target.display_name, role=role), "success")
    return _back()


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def change_active(user_id: int):
    target, form = _target(user_id), ActiveForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("Unknown choice."))
    try:
        accounts.set_active(current_user, target, form.active.data == "1")
    except accounts.AccountError as error:
        abort(403, description=str(error))
    db.session.commit()
    if target.active:
        message = gettext("%(name)s’s account is active.", name=target.display_name)
    else:
        message = gettext("%(name)s’s account is deactivated.", name=target.display_name)
    flash(message, "success")
    return _back()
