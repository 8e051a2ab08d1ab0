"""Grouping every comment of a document at once: `flask --app wsgi comments similar [--rebuild]`.

The same method and rules as services/similarity.py, computed in memory for a whole document: exact copies
(after normalising) are compared once; each band's hash table is built and linked in turn, so memory holds
one band at a time. Within a band bucket, a comment joins a cluster met there when it is nearly the same as
one of that cluster's first SAMPLE members there; with 16 bands, a near-duplicate has many buckets in which
to meet its group.

A rebuild replaces the document's groups, signatures and bands in the caller's transaction, which the
command commits once per document: interrupted half way (Ctrl-C, a crash, a lost connection), the
transaction rolls back and the document keeps the groups it had; running the command again starts that
document afresh. Nothing is ever half linked.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice

from sqlalchemy import delete, func, insert, select

from consult_app.extensions import db
from consult_app.models import Comment, CommentBand, CommentSignature, CommentStatus, Document, SimilarGroup
from consult_app.models.types import utcnow
from consult_app.services import similarity

SAMPLE = 8
CHUNK = 20_000
# Fewer missing comments than this are compared one by one, as if just written; more, and a rebuild is quicker.
ONE_BY_ONE_LIMIT = 500
# Called after each chunk of rows written during a rebuild. Tests set it to interrupt a rebuild half way.
after_chunk: Callable[[], None] | None = None


@dataclass
class Report:
    document: str
    action: str  # "rebuilt", "compared N new", "up to date"
    comments: int
    groups: int
    campaigns: int
    seconds: float

    def line(self) -> str:
        return (
            f"{self.document}: {self.action}; {self.comments:,} comments in {self.groups:,} groups of near-duplicates "
            f"({self.campaigns:,} campaigns of {similarity.CAMPAIGN_SIZE} or more); {self.seconds:.1f} s"
        )


def run(rebuild: bool) -> Iterator[Report]:
    """Bring each document's groups up to date (or rebuild them all); yields a report per document after
    the caller has had the chance to commit the previous one (call `db.session.commit()` after each)."""
    for document in db.session.scalars(select(Document).order_by(Document.id)).all():
        started = time.perf_counter()
        missing = _missing(document.id)
        if rebuild or missing > ONE_BY_ONE_LIMIT or (missing and not _has_signatures(document.id)):
            rebuild_document(document.id)
            action = "rebuilt"
        elif missing:
            for comment in db.session.scalars(_missing_statement(document.id)):
                similarity.compare(comment)
            action = f"compared {missing:,} new"
        else:
            action = "up to date"
        yield _report(document, action, time.perf_counter() - started)


def _missing_statement(document_id: int):
    return (
        select(Comment)
        .outerjoin(CommentSignature, CommentSignature.comment_id == Comment.id)
        .where(
            Comment.document_id == document_id,
            Comment.status != CommentStatus.WITHDRAWN.value,
            CommentSignature.comment_id.is_(None),
        )
        .order_by(Comment.id)
    )


def _missing(document_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(_missing_statement(document_id).subquery()))


def _has_signatures(document_id: int) -> bool:
    first = select(CommentSignature.comment_id).where(CommentSignature.document_id == document_id).limit(1)
    return db.session.scalar(first) is not None


def _report(document: Document, action: str, seconds: float) -> Report:
    members = similarity._visible_members().where(CommentSignature.document_id == document.id).subquery()
    sizes = [
        size for (size,) in db.session.execute(select(func.count()).select_from(members).group_by(members.c.group_id))
    ]
    grouped = [size for size in sizes if size >= 2]
    campaigns = sum(1 for size in grouped if size >= similarity.CAMPAIGN_SIZE)
    return Report(document.slug, action, sum(grouped), len(grouped), campaigns, seconds)


# --- the rebuild ----------------------------------------------------------------------------------------------


@dataclass
class _Texts:
    """A document's comments, exact copies (after normalising) folded into one item."""

    shingles: list[frozenset[str]]
    comment_ids: list[list[int]]
    too_short: list[tuple[int, int]]  # (comment id, shingle count) of texts too short to compare


def rebuild_document(document_id: int) -> None:
    """Recompute every group of a document, replacing what is stored, in the caller's transaction."""
    texts = _load(document_id)
    hashes = [similarity.band_hashes(found) for found in texts.shingles]
    roots = _link(texts.shingles, hashes)
    _clear(document_id)
    group_of = _write_groups(document_id, texts, roots)
    _write_signatures(document_id, texts, [group_of.get(root) for root in roots])
    _write_bands(document_id, texts, hashes)


def _load(document_id: int) -> _Texts:
    statement = (
        select(Comment.id, Comment.body_md)
        .where(Comment.document_id == document_id, Comment.status != CommentStatus.WITHDRAWN.value)
        .order_by(Comment.id)
        .execution_options(yield_per=CHUNK)
    )
    items: dict[frozenset[str], list[int]] = {}
    too_short = []
    for comment_id, body in db.session.execute(statement):
        found = similarity.shingles(body)
        if similarity.comparable(found):
            items.setdefault(found, []).append(comment_id)
        else:
            too_short.append((comment_id, len(found)))
    return _Texts(list(items), list(items.values()), too_short)


def _link(shingles: list[frozenset[str]], hashes: list[list[int]]) -> list[int]:
    """Union-find over the items: the root of each item's cluster."""
    parent = list(range(len(shingles)))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for band in range(similarity.BANDS):
        buckets: dict[int, list[int]] = defaultdict(list)
        for item, item_hashes in enumerate(hashes):
            buckets[item_hashes[band]].append(item)
        for members in buckets.values():
            if len(members) > 1:
                _link_bucket(members, shingles, find, parent)
    return [find(item) for item in range(len(shingles))]


def _link_bucket(members: list[int], shingles, find, parent) -> None:
    samples: list[list[int]] = []  # per cluster met in this bucket, its first SAMPLE members here
    for item in members:
        home = None
        for sample in samples:
            if find(sample[0]) == find(item):
                home = home or sample
            elif any(similarity.jaccard(shingles[item], shingles[other]) >= similarity.THRESHOLD for other in sample):
                parent[find(item)] = find(sample[0])
                home = home or sample
        if home is None:
            samples.append([item])
        elif len(home) < SAMPLE:
            home.append(item)


def _clear(document_id: int) -> None:
    db.session.execute(delete(CommentBand).where(CommentBand.document_id == document_id))
    db.session.execute(delete(CommentSignature).where(CommentSignature.document_id == document_id))
    db.session.execute(delete(SimilarGroup).where(SimilarGroup.document_id == document_id))


def _write_groups(document_id: int, texts: _Texts, roots: list[int]) -> dict[int, int]:
    """Insert a group for every cluster of two or more comments; returns cluster root -> group id."""
    sizes: dict[int, int] = defaultdict(int)
    for item, root in enumerate(roots):
        sizes[root] += len(texts.comment_ids[item])
    clusters = sorted(root for root, size in sizes.items() if size >= 2)
    if not clusters:
        return {}
    statement = insert(SimilarGroup).returning(SimilarGroup.id, sort_by_parameter_order=True)
    ids = db.session.scalars(statement, [{"document_id": document_id} for _ in clusters]).all()
    return {root: group_id for root, group_id in zip(clusters, ids, strict=True)}


def _write_signatures(document_id: int, texts: _Texts, groups: list[int | None]) -> None:
    """`groups`: each item's group id (None for an item alone)."""
    now = utcnow()
    rows = (
        (cid, document_id, groups[item], len(found), now)
        for item, found in enumerate(texts.shingles)
        for cid in texts.comment_ids[item]
    )
    short = ((cid, document_id, None, count, now) for cid, count in texts.too_short)
    _insert_in_chunks(
        CommentSignature.__table__,
        ("comment_id", "document_id", "group_id", "shingles", "compared_at"),
        chain(rows, short),
    )


def _write_bands(document_id: int, texts: _Texts, hashes: list[list[int]]) -> None:
    rows = (
        (cid, document_id, band, value)
        for item, item_hashes in enumerate(hashes)
        for cid in texts.comment_ids[item]
        for band, value in enumerate(item_hashes)
    )
    _insert_in_chunks(CommentBand.__table__, ("comment_id", "document_id", "band", "hash"), rows)


def _insert_in_chunks(table, columns: tuple[str, ...], rows) -> None:
    """Insert tuples of `columns` values, CHUNK at a time: PostgreSQL's COPY (three million band rows take a
    minute as INSERTs, seconds as COPY), elsewhere one executemany per chunk."""
    connection = db.session.connection()
    for chunk in batched(rows, CHUNK):
        if connection.dialect.name == "postgresql":
            driver = connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
        else:
            connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in chunk])
        if after_chunk is not None:
            after_chunk()


def batched(rows, size: int):
    """Lists of `size` rows (the last one shorter); itertools.batched from Python 3.12 on."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
