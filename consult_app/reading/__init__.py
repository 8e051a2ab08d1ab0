from flask import Blueprint

bp = Blueprint("reading", __name__)

from consult_app.reading import feed_views, views  # noqa: E402, F401 - registers the routes (feed_views: Atom feeds)
