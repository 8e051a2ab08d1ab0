from flask import Response, abort, request, stream_with_context

from consult_app.moderation import bp
from consult_app.permissions import Role, role_required
from consult_app.services import export


def _filters() -> export.ExportFilters:
    filters = export.ExportFilters(*(request.args.get(name, "").strip() for name in ("document", "status", "section")))
    try:
        export.check_filters(filters)
    except export.ExportError as error:
        abort(400, description=str(error))
    return filters


def _download(chunks, content_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    # stream_with_context keeps the database session open while the rows stream out. `content_type`, not
    # `mimetype`: werkzeug adds "; charset=utf-8" to a text/* mimetype, which would name the charset twice.
    return Response(stream_with_context(chunks), content_type=content_type, headers=headers)


@bp.get("/export.csv")
@role_required(Role.MODERATOR)
def export_csv():
    filters = _filters()
    bom = request.args.get("bom") in ("1", "true", "yes")
    chunks = export.csv_text(filters, bom=bom)
    return _download(chunks, "text/csv; charset=utf-8", "consult-response-log.csv")


@bp.get("/export.json")
@role_required(Role.MODERATOR)
def export_json():
    chunks = export.json_chunks(export.rows(_filters()))
    return _download(chunks, "application/json", "consult-response-log.json")
