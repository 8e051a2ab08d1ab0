from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from consult_app.admin import views  # noqa: E402, F401 - registers the routes
from consult_app.admin.guidance_views import bp as guidance_bp  # noqa: E402 - /admin/guidance, nested

bp.register_blueprint(guidance_bp, url_prefix="/guidance")
