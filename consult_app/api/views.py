"""The public read API (/api/v1/) and the page that describes it (/api/).

Views are thin: check the query, then answer through http_cache.public_resource with the JSON of
api/representation.py. Every request to /api/v1/ answers everyone alike, so it has no session and nobody signed
in (http_cache.answer_everyone_alike), counts against one rate limit per client address for the whole API, and
carries CORS and RateLimit headers; its errors are problem details (api/problems.py, called from errors.py).
"""

from __future__ import annotations

import logging
import time

from flask import Response, abort, current_app, render_template, request
from marshmallow import ValidationError

from consult_app import http_cache
from consult_app.api import bp, representation, schemas, spec
from consult_app.api.problems import API_PATH, InvalidParameters, is_api_request
from consult_app.api.readable import readable
from consult_app.extensions import limiter
from consult_app.services import reading
from consult_app.services.public_api import CommentQuery, ResourceNotFoundError

JSON = representation.JSON_MIMETYPE
NO_PARAMETERS = schemas.NoParametersSchema()
COMMENT_QUERY = schemas.CommentQuerySchema()
EXPOSED_HEADERS = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
PREFLIGHT_MAX_AGE = "86400"
log = logging.getLogger("consult.api")

# One budget per client address for every address of the API (RATELIMIT_STORAGE_URI: Redis in production).
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(bp)


@bp.record_once
def _answer_everyone_alike(state) -> None:
    http_cache.answer_everyone_alike(state.app, API_PATH + "/")


@bp.after_app_request
def _api_headers(response: Response) -> Response:
    """On every answer under /api/v1/, errors and unknown addresses included (hence an app-wide hook)."""
    if not is_api_request():
        return response
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    elif request.method == "OPTIONS" and response.status_code == 200:
        # A page's fetch() that sends If-None-Match asks first; reading is all it may do.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    _add_rate_limit_headers(response)
    return response


def _add_rate_limit_headers(response: Response) -> None:
    current = limiter.current_limit
    if current is None:  # limits switched off
        return
    try:
        reset_in = max(0, current.reset_at - int(time.time()))
        remaining = current.remaining
    except Exception as error:  # the store (Redis) is down: the limiter logs it and lets requests through
        log.warning("rate limit headers left out: %s", error)
        return
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(remaining)
    response.headers["RateLimit-Reset"] = str(reset_in)


def _query(schema) -> dict:
    try:
        return schemas.load_query(schema, request.args.to_dict(flat=False))
    except ValidationError as error:
        raise InvalidParameters(error.messages) from None


def _found(render, *arguments) -> str:
    try:
        return render(*arguments)
    except ResourceNotFoundError as error:
        abort(404, description=str(error))


def _fingerprint(slug: str, *more: str):
    """The reading pages' fingerprint of the document, and whatever else the answer depends on."""

    def fingerprint() -> str | None:
        found = reading.document_fingerprint(slug)
        if found is None:
            return None
        joined = reading.Fingerprint("|".join([found, *more]))
        joined.changes_at = found.changes_at  # so that http_cache may match it to Redis's change token
        return joined

    return fingerprint


@bp.get("/")
def index():
    description = spec.openapi(current_app)
    return render_template("api/index.html", spec=description, readable=readable(description))


@bp.get("/v1/openapi.json")
@spec.operation(
    operation_id="getOpenAPI",
    summary="This description",
    description="The OpenAPI 3.1 description of the API, which the page /api/ shows to people.",
    response=None,
)
def openapi_document():
    _query(NO_PARAMETERS)
    return http_cache.public_resource(representation.openapi, JSON, lambda: "openapi")


@bp.get("/v1/documents")
@spec.operation(
    operation_id="listDocuments",
    summary="The documents",
    description="Every guidance document, by title, with its consultation window and current version.",
    response=schemas.DocumentListSchema,
    links={
        "getDocument": {"slug": "$response.body#/documents/0/slug"},
        "listComments": {"slug": "$response.body#/documents/0/slug"},
        "getStatistics": {"slug": "$response.body#/documents/0/slug"},
    },
)
def documents():
    _query(NO_PARAMETERS)
    return http_cache.public_resource(representation.documents, JSON)


@bp.get("/v1/documents/<slug>")
@spec.operation(
    operation_id="getDocument",
    summary="A document",
    description="The current version's sections (HTML and plain text, with their published comments) and the "
    "list of versions.",
    response=schemas.DocumentSchema,
    links={
        "getVersion": {"slug": "$request.path.slug", "number": "$response.body#/current_version"},
        "listComments": {"slug": "$request.path.slug", "section": "$response.body#/sections/0/key"},
    },
)
def document(slug: str):
    _query(NO_PARAMETERS)
    return http_cache.public_resource(lambda: _found(representation.document, slug), JSON, _fingerprint(slug))


@bp.get("/v1/documents/<slug>/versions/<int:number>")
@spec.operation(
    operation_id="getVersion",
    summary="A version of a document",
    description="A version's sections and, per section, what changed from it to the current version.",
    response=schemas.VersionSchema,
)
def version(slug: str, number: int):
    _query(NO_PARAMETERS)
    return http_cache.public_resource(
        lambda: _found(representation.version, slug, number), JSON, lambda: reading.version_fingerprint(slug, number)
    )


@bp.get("/v1/documents/<slug>/comments")
@spec.operation(
    operation_id="listComments",
    summary="The published comments of a document",
    description="Approved public comments and replies, in the order of their references, a page at a time: "
    "named ones with their author's name and organisation, anonymous ones with the author's respondent type "
    "only. Private comments and comments not (or not yet) approved never appear.",
    response=schemas.CommentPageSchema,
    query=schemas.CommentQuerySchema,
    links={"listComments": {"slug": "$request.path.slug", "cursor": "$response.body#/next_cursor"}},
)
def comments(slug: str):
    query = CommentQuery(**_query(COMMENT_QUERY))
    return http_cache.public_resource(
        lambda: _found(representation.comment_page, slug, query),
        JSON,
        _fingerprint(slug, representation.comments_url(slug, query)),
    )


@bp.get("/v1/documents/<slug>/statistics")
@spec.operation(
    operation_id="getStatistics",
    summary="The figures of a document's consultation",
    description="Published comments per section, kind, respondent type and disposition: the numbers the pages show.",
    response=schemas.StatisticsSchema,
)
def statistics(slug: str):
    _query(NO_PARAMETERS)
    return http_cache.public_resource(lambda: _found(representation.statistics, slug), JSON, _fingerprint(slug))
