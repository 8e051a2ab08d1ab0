"""The OpenAPI description as the page /api/ shows it: operations and schemas in plain words, ready for the
template (which only lays them out), without any script."""

from __future__ import annotations

from dataclasses import dataclass

REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class TypeLabel:
    """`before`, then a link to the schema `ref` (if any), then `after`: "list of " + Comment."""

    before: str
    ref: str | None = None
    after: str = ""


@dataclass(frozen=True)
class Row:
    name: str
    type: TypeLabel
    description: str
    required: bool = True
    where: str = ""


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str | None
    type: TypeLabel | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Row]
    answers: list[Answer]
    example: str | None  # an address to try, for operations without path parameters


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str
    properties: list[Row]


@dataclass(frozen=True)
class Readable:
    title: str
    version: str
    paragraphs: list[str]
    operations: list[Operation]
    schemas: list[SchemaDoc]


def readable(spec: dict) -> Readable:
    info = spec["info"]
    operations = [
        _operation(path, method, details)
        for path, methods in spec["paths"].items()
        for method, details in methods.items()
    ]
    schemas = [_schema(name, schema) for name, schema in spec["components"]["schemas"].items()]
    return Readable(info["title"], info["version"], info["description"].split("\n\n"), operations, schemas)


def _operation(path: str, method: str, details: dict) -> Operation:
    parameters = [
        Row(p["name"], type_label(p["schema"]), p.get("description", ""), p.get("required", False), p["in"])
        for p in details.get("parameters", [])
    ]
    answers = []
    for status, answer in details["responses"].items():
        media_type, schema = next(iter(answer.get("content", {}).items()), (None, None))
        label = type_label(schema["schema"]) if schema else None
        answers.append(Answer(status, answer["description"], media_type, label))
    example = None if "{" in path else path
    return Operation(
        method.upper(),
        path,
        details["operationId"],
        details["summary"],
        details["description"],
        parameters,
        answers,
        example,
    )


def _schema(name: str, schema: dict) -> SchemaDoc:
    required = set(schema.get("required", []))
    properties = [
        Row(key, type_label(value), value.get("description", ""), key in required)
        for key, value in schema.get("properties", {}).items()
    ]
    return SchemaDoc(name, schema.get("description", ""), properties)


def type_label(schema: dict) -> TypeLabel:
    """A JSON Schema in a few words: "string (date-time) or null", "list of " Comment, "one of: a, b"."""
    if "$ref" in schema:
        return TypeLabel("", schema["$ref"].removeprefix(REF_PREFIX))
    if "anyOf" in schema:
        labels = [type_label(option) for option in schema["anyOf"]]
        linked = next((label for label in labels if label.ref), None)
        others = " or ".join(label.before for label in labels if not label.ref)
        if linked is not None:
            return TypeLabel(linked.before, linked.ref, f" or {others}" if others else "")
        return TypeLabel(others)
    types = schema.get("type", "any value")
    types = [types] if isinstance(types, str) else list(types)
    if "array" in types:
        items = type_label(schema.get("items", {}))
        return TypeLabel("list of " + items.before, items.ref, items.after)
    return TypeLabel(_scalar(schema, types))


def _scalar(schema: dict, types: list[str]) -> str:
    nullable = "null" in types
    words = " or ".join(kind for kind in types if kind != "null") or "null"
    if "format" in schema:
        words += f" ({schema['format']})"
    if "enum" in schema:
        words += ", one of: " + ", ".join(str(value) for value in schema["enum"] if value is not None)
    if "pattern" in schema:
        words += f" matching {schema['pattern']}"
    if "minimum" in schema and "maximum" in schema:
        words += f" from {schema['minimum']} to {schema['maximum']}"
    if "default" in schema:
        words += f" (default {schema['default']})"
    return words + (" or null" if nullable else "")
