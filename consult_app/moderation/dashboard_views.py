"""The moderators' dashboard: figures per document, drawn as charts with the same figures in tables."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext

from consult_app.charts import bar_chart
from consult_app.moderation import bp
from consult_app.permissions import Role, role_required
from consult_app.services import assignment, reading, theme_counts
from consult_app.services.dashboard import UnknownDocumentError, build_dashboard, describe_duration

bp.add_app_template_global(bar_chart, "bar_chart")
bp.add_app_template_filter(describe_duration, "duration")


@bp.get("/dashboard")
@role_required(Role.MODERATOR)
def dashboard():
    """Every document, or only `?document=<slug>` (404 when no document has that slug)."""
    slug = request.args.get("document") or None
    try:
        figures = build_dashboard(slug)
    except UnknownDocumentError:
        abort(
            404,
            description=gettext(
                "There is no guidance document “%(slug)s”, so there is no dashboard for it.", slug=slug
            ),
        )
    return render_template(
        "moderation/dashboard.html",
        dashboard=figures,
        selected=slug,
        documents=reading.list_documents(),
        people=assignment.assignable_users(),
        open_counts=assignment.open_counts(),
        theme_figures=theme_counts.theme_figures([each.document for each in figures.documents]),
    )
