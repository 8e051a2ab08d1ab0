"""The API's answers as JSON text: what services/public_api.py returns, through its schema (api/schemas.py).

The views and the snapshot command (`flask --app wsgi export api-snapshot DIR`) both come here, so that a static
mirror holds the API's own answers. Raises public_api.ResourceNotFoundError when a slug or version names nothing.
"""

from __future__ import annotations

import json

from flask import current_app
from marshmallow import Schema

from consult_app.api import schemas, spec
from consult_app.links import external_url
from consult_app.services import public_api
from consult_app.services.public_api import DEFAULT_LIMIT, CommentQuery

JSON_MIMETYPE = "application/json"

_DOCUMENT_LIST = schemas.DocumentListSchema()
_DOCUMENT = schemas.DocumentSchema()
_VERSION = schemas.VersionSchema()
_COMMENT_PAGE = schemas.CommentPageSchema()
_STATISTICS = schemas.StatisticsSchema()


def to_json(schema: Schema, data: dict) -> str:
    """Compact UTF-8 JSON (not ASCII escapes: comments are in every language)."""
    return json.dumps(schema.dump(data), ensure_ascii=False, separators=(",", ":"))


def openapi() -> str:
    return json.dumps(spec.openapi(current_app), ensure_ascii=False)


def documents() -> str:
    return to_json(_DOCUMENT_LIST, {"documents": public_api.list_documents()})


def document(slug: str) -> str:
    return to_json(_DOCUMENT, public_api.document_detail(slug))


def version(slug: str, number: int) -> str:
    return to_json(_VERSION, public_api.version_detail(slug, number))


def comment_page(slug: str, query: CommentQuery) -> str:
    page = public_api.comment_page(slug, query)
    following = page["next_query"]
    return to_json(
        _COMMENT_PAGE,
        {
            "document": page["document"],
            "comments": page["comments"],
            "next_cursor": following.cursor if following else None,
            "links": {
                "self": comments_url(slug, query),
                "next": comments_url(slug, following) if following else None,
            },
        },
    )


def all_comments(slug: str) -> str:
    """Every published comment of the document on one page, as a mirror holds them (it cannot page)."""
    everything = list(public_api.all_comments(slug))
    query = CommentQuery()
    return to_json(
        _COMMENT_PAGE,
        {
            "document": slug,
            "comments": everything,
            "next_cursor": None,
            "links": {"self": comments_url(slug, query), "next": None},
        },
    )


def statistics(slug: str) -> str:
    return to_json(_STATISTICS, public_api.statistics(slug))


def comments_url(slug: str, query: CommentQuery) -> str:
    """The API address of a page of comments, with its filters; the limit only when it is not the default."""
    return external_url(
        "api.comments",
        slug=slug,
        section=query.section,
        kind=query.kind,
        since=query.since.isoformat() if query.since else None,
        cursor=query.cursor,
        limit=query.limit if query.limit != DEFAULT_LIMIT else None,
    )
