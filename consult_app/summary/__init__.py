from flask import Blueprint

bp = Blueprint("summary", __name__)

from consult_app.summary import views  # noqa: E402, F401 - registers the routes
