from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

from consult_app.moderation import dashboard_views, export_views, import_views, views  # noqa: E402, F401 - registers the routes
