from flask import Blueprint

bp = Blueprint("comments", __name__)

from consult_app.comments import views  # noqa: E402, F401 - registers the routes
