from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

from consult_app.moderation import (  # noqa: E402, F401 - registers the routes
    comment_views,
    dashboard_views,
    export_views,
    group_views,
    import_views,
    theme_views,
    views,
    worklist_views,
)
