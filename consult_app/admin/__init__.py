from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from consult_app.admin import views  # noqa: E402, F401 - registers the routes
