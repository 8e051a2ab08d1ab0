"""A static mirror of the public API: `flask --app wsgi export api-snapshot DIR` writes the API's answers as
files, at the API's paths with `.json` added (DIR/api/v1/documents.json, DIR/api/v1/documents/<slug>.json, ...).

The files are the API's own answers (api/representation.py), except that each document's comments.json holds
every published comment on one page: a mirror cannot page. Each file is written beside its place and renamed
into it, so a reader of the mirror never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from consult_app.api import representation
from consult_app.services import reading

ROOT = Path("api/v1")


def snapshot_files() -> Iterator[tuple[Path, str]]:
    """(path under the mirror's folder, JSON text) for every answer of the API."""
    yield ROOT / "openapi.json", representation.openapi()
    yield ROOT / "documents.json", representation.documents()
    for document in reading.list_documents():
        slug, folder = document.slug, ROOT / "documents" / document.slug
        yield ROOT / "documents" / f"{slug}.json", representation.document(slug)
        for version in document.versions:
            yield folder / "versions" / f"{version.number}.json", representation.version(slug, version.number)
        yield folder / "comments.json", representation.all_comments(slug)
        yield folder / "statistics.json", representation.statistics(slug)


def write_snapshot(folder: Path) -> int:
    """Write every file under `folder` (created if need be); return how many. Raises OSError."""
    written = 0
    for relative, text in snapshot_files():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        written += 1
    return written
