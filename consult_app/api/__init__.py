from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from consult_app.api import views  # noqa: E402, F401 - registers the routes
