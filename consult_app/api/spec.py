"""The OpenAPI 3.1 description of the API, generated from the code with apispec.

Each API view carries an `Operation` (the `operation` decorator); `build_spec` walks the app's routes, so a
route cannot be left out of the description, and turns the marshmallow schemas of api/schemas.py into JSON
Schema. The links between operations (a document's slug in the list, its current version, the next page's
cursor) let clients, and schemathesis's stateful tests, go from one answer to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from consult_app.api import schemas
from consult_app.api.problems import PROBLEM_MIMETYPE
from consult_app.models.comment import MAX_ID
from consult_app.services.public_api import MAX_LIMIT

TITLE = "Consult public API"
VERSION = "1.0.0"
EXTENSION_KEY = "consult_openapi"
RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

DESCRIPTION = "\n\n".join(
    [
        "Read, without an account, everything a visitor can read on the site: the guidance documents and their "
        "versions, section by section; the published comments, with the drafting team's dispositions and "
        "responses; and the figures of the consultation. Comments that are private, awaiting moderation, "
        "rejected or withdrawn never appear.",
        "Every answer is JSON (UTF-8). Times are RFC 3339, in UTC. Links are absolute addresses.",
        f"Comments come a page at a time (at most {MAX_LIMIT}), in the order of their references: follow "
        "links.next, or pass next_cursor as cursor, until it is null. Filters (section, kind, since) stay the "
        "same from page to page.",
        "Answers carry a weak ETag and Cache-Control: public, max-age=60: send the tag back in If-None-Match and "
        "an unchanged answer is a 304 without a body. Any web page may read the API (Access-Control-Allow-Origin: "
        "*); it uses no cookies and ignores them.",
        "Each address has a rate limit per client address; the RateLimit-Limit, RateLimit-Remaining and "
        "RateLimit-Reset headers (seconds until the count starts again) say where you stand. Past the limit the "
        "answer is a 429 with Retry-After.",
        "Errors are RFC 9457 problem details (application/problem+json): 400 for a query the API cannot "
        "answer (unknown, repeated or malformed parameters; errors says which), 404 for an address or slug that "
        "names nothing, 429 past the rate limit.",
    ]
)


@dataclass(frozen=True)
class Operation:
    """What the description says about one view: its answer's schema, its query parameters, the links from its
    answer to other operations ({operation id: {parameter: runtime expression}})."""

    operation_id: str
    summary: str
    description: str
    response: type[Schema] | None
    query: type[Schema] = schemas.NoParametersSchema
    links: dict[str, dict[str, str]] = field(default_factory=dict)


def operation(**details):
    def mark(view):
        view.openapi_operation = Operation(**details)
        return view

    return mark


PATH_PARAMETERS = {
    "slug": {
        "description": "The document's slug, as in the list of documents.",
        "schema": schemas.SLUG_PARAMETER,
    },
    "number": {
        "description": "A version number: 1, 2, ...",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
}

HEADERS = {
    "ETag": ("A weak tag of this answer: send it in If-None-Match to get a 304 while it has not changed.", True),
    "Cache-Control": ("public, max-age=60", True),
    "Access-Control-Allow-Origin": ("*: any web page may read the answer.", True),
    "RateLimit-Limit": ("Requests allowed from your address in the current window.", False),
    "RateLimit-Remaining": ("Requests left in the window.", False),
    "RateLimit-Reset": ("Seconds until the window starts again.", False),
}


def openapi(app: Flask) -> dict:
    """The description, built once per app."""
    built = app.extensions.get(EXTENSION_KEY)
    if built is None:
        built = app.extensions[EXTENSION_KEY] = build_spec(app)
    return built


def build_spec(app: Flask) -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        described = getattr(app.view_functions[rule.endpoint], "openapi_operation", None)
        if described is not None:
            path = RULE_ARGUMENT.sub(r"{\1}", rule.rule)
            spec.path(path=path, operations={"get": _operation(described, sorted(rule.arguments))})
    return spec.to_dict()


def _operation(described: Operation, arguments: list[str]) -> dict:
    parameters = [{"in": "path", "name": name, "required": True, **PATH_PARAMETERS[name]} for name in arguments]
    if described.query is not schemas.NoParametersSchema:
        parameters.append({"in": "query", "schema": described.query})
    answer = {"type": "object"} if described.response is None else described.response
    ok = {
        "description": "The answer.",
        "headers": {name: _header(text, required) for name, (text, required) in HEADERS.items()},
        "content": {"application/json": {"schema": answer}},
    }
    if described.links:
        ok["links"] = {name: {"operationId": name, "parameters": values} for name, values in described.links.items()}
    responses = {
        "200": ok,
        "304": {"description": "Not modified: the If-None-Match tag is still the answer's."},
        "400": _problem("Unknown, repeated or malformed query parameters (errors says which)."),
    }
    if arguments:
        responses["404"] = _problem("No such document or version.")
    responses["429"] = _problem("Too many requests from your address; Retry-After says when to try again.")
    responses["default"] = _problem(
        "Any other error: 405 for a method other than GET, 503 when the service is unavailable."
    )
    return {
        "operationId": described.operation_id,
        "summary": described.summary,
        "description": described.description,
        "parameters": parameters,
        "responses": responses,
    }


def _header(description: str, required: bool) -> dict:
    return {"description": description, "required": required, "schema": {"type": "string"}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_MIMETYPE: {"schema": "Problem"}}}
