from flask import Blueprint

bp = Blueprint("reading", __name__)

from consult_app.reading import views  # noqa: E402, F401 - registers the routes
