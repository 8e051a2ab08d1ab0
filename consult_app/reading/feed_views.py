"""The Atom feeds of a document: `versions.atom` and `responses.atom` (services/feeds.py)."""

from flask import Response

from consult_app import http_cache
from consult_app.reading import bp
from consult_app.reading.views import _document_or_404
from consult_app.services import feeds


def _atom(body: bytes) -> Response:
    # The same for every reader of a language: any cache may keep it for a minute (signed-in requests become
    # private), keyed by what chose the language (i18n.select_language), as the HTML pages are.
    response = Response(body, content_type=feeds.CONTENT_TYPE, headers={"Cache-Control": http_cache.PUBLIC})
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.get("/guidance/<slug>/versions.atom")
def versions_feed(slug: str):
    return _atom(feeds.versions_feed(_document_or_404(slug)))


@bp.get("/guidance/<slug>/responses.atom")
def responses_feed(slug: str):
    return _atom(feeds.responses_feed(_document_or_404(slug)))
