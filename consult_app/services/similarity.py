"""Near-duplicate comments and campaigns: comparing a comment with the others of its document as it is written.

Nearly the same. A text is normalised (case folded, punctuation dropped, whitespace collapsed) and cut into
sentences at `.`, `!`, `?` and line breaks; its shingles are the pairs of neighbouring words inside each
sentence (a one-word sentence is a shingle of its own). Reordering sentences therefore changes nothing, and a
changed word changes two shingles. Two comments are nearly the same when the Jaccard similarity of their
shingle sets is at least THRESHOLD. Texts with fewer than MIN_SHINGLES shingles (about five words: "I agree.")
are too short to say so and are never grouped.

Finding candidates. Comparing every pair is quadratic, so MinHash LSH (datasketch) proposes the pairs worth
checking: a comment's MinHash of BANDS * ROWS permutations is cut into BANDS bands, and each band's hash is
stored in `comment_bands` (indexed by document, band and hash). Comments sharing any band hash are candidates;
each candidate is then verified with the exact Jaccard of shingles, so LSH only decides which pairs are looked
at, never which are grouped. With 16 bands of 5 rows a pair at Jaccard 0.8 is a candidate with probability
0.998 (0.40 at 0.5, 0.04 at 0.3). Adding a comment costs one indexed query for its candidates, not an index
rebuilt in memory. PostgreSQL's pg_trgm was measured instead and not chosen: it does not exist on SQLite, and
a trigram `%` lookup of one comment's text took 338 ms (p50) among 20,000 comments, against a few milliseconds
for the band lookup (bench/similar.py).

Groups (single linkage): a comment belongs to the group of any comment it is nearly the same as, so a group
is a chain of near-duplicates. A new comment nearly the same as members of several groups joins them into
one: the oldest group keeps its id and the others are gone. An edited comment leaves its group and is
compared again as if new; a group is only ever split by a rebuild (services/similarity_batch.py), which
recomputes every group of a document at once. Withdrawn comments are not compared, and not counted where
groups are shown. Comments written at the same moment in two transactions do not see each other: the next
`flask comments similar --rebuild` groups them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError

from consult_app.extensions import db
from consult_app.models import Comment, CommentBand, CommentSignature, CommentStatus, SimilarGroup

log = logging.getLogger(__name__)

THRESHOLD = 0.8
CAMPAIGN_SIZE = 5  # a group this large is a campaign (the dashboard counts them)
MIN_SHINGLES = 4
BANDS, ROWS = 16, 5
# Fixed so that band hashes stored yesterday match today's. Changing any of these (or datasketch's hashing
# scheme) needs `flask comments similar --rebuild`.
SEED, SCHEME = 20261202, "affine32"
# Each band contributes at most this many candidates (the oldest comments with that band hash): a band shared by
# a thousand copies of a campaign needs only a few of them to find its group.
CANDIDATES_PER_BAND = 20
MAX_CANDIDATES = 100

_SENTENCE_END = re.compile(r"[.!?\n]+")
_WORD = re.compile(r"[^\W_]+")


def shingles(text: str) -> frozenset[str]:
    """The word pairs of each sentence of the normalised `text` (see the module's docstring)."""
    found: set[str] = set()
    for sentence in _SENTENCE_END.split(text.casefold()):
        words = _WORD.findall(sentence)
        if len(words) == 1:
            found.add(words[0])
        found.update(f"{first} {second}" for first, second in pairwise(words))
    return frozenset(found)


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


def comparable(found: frozenset[str]) -> bool:
    return len(found) >= MIN_SHINGLES


@cache
def _minhash():
    """datasketch's MinHash class and its shingle hash. Imported on first use: datasketch brings numpy and scipy
    (most of a second), which every web worker and CLI command would otherwise pay for at start-up.

    The shingle hash is remembered: word pairs recur across comments, and hashing each one anew is a third of a
    rebuild's time. The values are the same, so stored band hashes do not depend on the cache."""
    from datasketch import MinHash
    from datasketch.hashfunc import sha1_hash32

    return MinHash, lru_cache(maxsize=1 << 20)(sha1_hash32)


@cache
def _permutations():
    minhash_class, _ = _minhash()
    return minhash_class(num_perm=BANDS * ROWS, seed=SEED, scheme=SCHEME).permutations


def band_hashes(found: Iterable[str]) -> list[int]:
    """The BANDS hashes of the MinHash of a shingle set, as signed 64-bit integers (a BIGINT column)."""
    minhash_class, shingle_hash = _minhash()
    minhash = minhash_class(
        num_perm=BANDS * ROWS, seed=SEED, scheme=SCHEME, permutations=_permutations(), hashfunc=shingle_hash
    )
    minhash.update_batch([shingle.encode("utf-8") for shingle in found])
    values = minhash.hashvalues
    return [
        int.from_bytes(
            hashlib.blake2b(values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for band in range(BANDS)
    ]


# --- one comment, as it is written ----------------------------------------------------------------------------


def note_written(comment: Comment) -> None:
    """Compare a comment just written or edited (flushed) with the others of its document.

    Runs in a savepoint of the writer's transaction: should the comparison fail, the comment is still saved,
    without a signature, and `flask comments similar` compares it later. A person's comment is worth more
    than its place in a group."""
    try:
        with db.session.begin_nested():
            compare(comment)
    except (OperationalError, InterfaceError):
        # The connection itself failed: the comment cannot be saved either, and swallowing this would leave the
        # transaction broken for the caller's commit (a 500). Raised, it becomes the usual 503 "try again".
        raise
    except Exception:  # any other failure here must not lose the comment being saved
        log.exception("comparing %s with similar comments failed; `flask comments similar` will retry", comment)


def compare(comment: Comment) -> int | None:
    """(Re)compute the signature and bands of `comment`, join it to the group of the comments it is nearly the
    same as (merging their groups), and return that group's id (None when it is like no other)."""
    _forget(comment.id)
    found = shingles(comment.body_md)
    db.session.execute(
        insert(CommentSignature).values(comment_id=comment.id, document_id=comment.document_id, shingles=len(found))
    )
    if comment.status == CommentStatus.WITHDRAWN.value or not comparable(found):
        return None
    hashes = band_hashes(found)
    db.session.execute(
        insert(CommentBand.__table__),
        [
            {"comment_id": comment.id, "document_id": comment.document_id, "band": b, "hash": h}
            for b, h in enumerate(hashes)
        ],
    )
    groups, singles = _nearly_the_same(comment, found, hashes)
    return join(comment.document_id, [comment.id, *singles], groups)


def _forget(comment_id: int) -> None:
    """An edited comment leaves its group (bands go with the signature, ON DELETE CASCADE and explicitly for
    SQLite connections without foreign keys)."""
    db.session.execute(delete(CommentBand).where(CommentBand.comment_id == comment_id))
    db.session.execute(delete(CommentSignature).where(CommentSignature.comment_id == comment_id))


def _nearly_the_same(comment: Comment, found: frozenset[str], hashes: list[int]) -> tuple[set[int], list[int]]:
    """The groups, and the comments in no group, that `comment` is nearly the same as. Every candidate is
    verified, best-ranked first, until its group is matched: checking only a few members per group missed
    groups whose members nearest to the new text are not the ones sharing the most bands (bench/similar.py)."""
    ranked = [cid for cid, _ in _candidates(comment.document_id, comment.id, hashes).most_common(MAX_CANDIDATES)]
    if not ranked:
        return set(), []
    rows = db.session.execute(
        select(Comment.id, Comment.body_md, CommentSignature.group_id)
        .join(CommentSignature, CommentSignature.comment_id == Comment.id)
        .where(Comment.id.in_(ranked), Comment.status != CommentStatus.WITHDRAWN.value)
    ).all()
    by_id = {row.id: row for row in rows}
    groups: set[int] = set()
    singles: list[int] = []
    for candidate in (by_id[cid] for cid in ranked if cid in by_id):
        if candidate.group_id in groups or jaccard(found, shingles(candidate.body_md)) < THRESHOLD:
            continue  # one verified member is enough for the whole group
        if candidate.group_id is None:
            singles.append(candidate.id)
        else:
            groups.add(candidate.group_id)
    return groups, singles


# One band's candidates: an indexed range scan, CANDIDATES_PER_BAND rows at most; "_N" becomes the band's number.
_BAND_CANDIDATES = (
    "SELECT comment_id FROM (SELECT comment_id FROM comment_bands WHERE document_id = :document AND band = :band_N"
    " AND hash = :hash_N ORDER BY comment_id LIMIT :per_band) AS band_N"
)


@cache
def _candidates_statement():
    """All bands' candidates in one statement, written out once as SQL: built with the expression language on
    each call, this statement's compilation cost more CPU than running it."""
    return text(" UNION ALL ".join(_BAND_CANDIDATES.replace("_N", f"_{band}") for band in range(BANDS)))


def _candidates(document_id: int, comment_id: int, hashes: list[int]) -> Counter[int]:
    """Comments of the document sharing a band hash with `hashes`, with how many bands each shares."""
    values = {"document": document_id, "per_band": CANDIDATES_PER_BAND}
    for band, value in enumerate(hashes):
        values[f"band_{band}"], values[f"hash_{band}"] = band, value
    counts = Counter(db.session.scalars(_candidates_statement(), values))
    counts.pop(comment_id, None)
    return counts


def join(document_id: int, comment_ids: list[int], groups: set[int]) -> int | None:
    """Put `comment_ids` and every member of `groups` into one group: the oldest of `groups`, or a new one.
    Nothing to join (a single comment and no group) is no group."""
    if not groups and len(comment_ids) < 2:
        return None
    if groups:
        survivor = min(groups)
    else:
        survivor = db.session.scalar(insert(SimilarGroup).values(document_id=document_id).returning(SimilarGroup.id))
    absorbed = groups - {survivor}
    moved = CommentSignature.comment_id.in_(comment_ids)
    if absorbed:
        moved = moved | CommentSignature.group_id.in_(absorbed)
    db.session.execute(update(CommentSignature).where(moved).values(group_id=survivor))
    if absorbed:
        db.session.execute(delete(SimilarGroup).where(SimilarGroup.id.in_(absorbed)))
    return survivor


# --- what pages show ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSummary:
    """What a card says about a comment's group: "Similar to C-000123 and 41 others"."""

    group_id: int
    size: int  # members that are not withdrawn, this comment included
    first_other: int  # the id of the oldest other member

    @property
    def others(self) -> int:
        return self.size - 1

    @property
    def first_reference(self) -> str:
        return Comment.reference_of(self.first_other)

    @property
    def is_campaign(self) -> bool:
        return self.size >= CAMPAIGN_SIZE


def _visible_members():
    """Signatures of the comments a group shows: every member but the withdrawn."""
    return (
        select(CommentSignature.group_id, CommentSignature.comment_id)
        .join(Comment, Comment.id == CommentSignature.comment_id)
        .where(Comment.status != CommentStatus.WITHDRAWN.value, CommentSignature.group_id.is_not(None))
    )


def group_summaries(comment_ids: Iterable[int]) -> dict[int, GroupSummary]:
    """For each of `comment_ids` in a group with at least one other (not withdrawn) member: its summary."""
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        return {}
    membership = dict(
        db.session.execute(
            select(CommentSignature.comment_id, CommentSignature.group_id).where(
                CommentSignature.comment_id.in_(ids), CommentSignature.group_id.is_not(None)
            )
        ).all()
    )
    if not membership:
        return {}
    members = _visible_members().where(CommentSignature.group_id.in_(set(membership.values()))).subquery()
    figures = db.session.execute(
        select(members.c.group_id, func.count(), func.min(members.c.comment_id)).group_by(members.c.group_id)
    ).all()
    sizes = {group_id: (size, first) for group_id, size, first in figures}
    seconds = _second_members({group_id: first for group_id, (_, first) in sizes.items()})
    summaries = {}
    for comment_id, group_id in membership.items():
        size, first = sizes.get(group_id, (0, None))
        other = first if first != comment_id else seconds.get(group_id)
        if size >= 2 and other is not None:
            summaries[comment_id] = GroupSummary(group_id, size, other)
    return summaries


def _second_members(firsts: dict[int, int]) -> dict[int, int]:
    """The second-oldest visible member of each group (for the card of a group's oldest member)."""
    if not firsts:
        return {}
    members = (
        _visible_members()
        .where(CommentSignature.group_id.in_(list(firsts)), CommentSignature.comment_id.not_in(list(firsts.values())))
        .subquery()
    )
    statement = select(members.c.group_id, func.min(members.c.comment_id)).group_by(members.c.group_id)
    return dict(db.session.execute(statement).all())


def group_members(group_id: int) -> list[Comment]:
    """The comments of a group, oldest first, the withdrawn left out."""
    member_ids = _visible_members().where(CommentSignature.group_id == group_id).subquery()
    statement = select(Comment).where(Comment.id.in_(select(member_ids.c.comment_id))).order_by(Comment.id)
    return list(db.session.scalars(statement))


def get_group(group_id: int) -> SimilarGroup | None:
    return db.session.get(SimilarGroup, group_id)


@dataclass(frozen=True)
class Campaign:
    group_id: int
    size: int
    first_reference: str


def campaigns(document_id: int) -> list[Campaign]:
    """The document's groups of at least CAMPAIGN_SIZE comments (not withdrawn), largest first."""
    members = _visible_members().where(CommentSignature.document_id == document_id).subquery()
    size = func.count().label("size")
    statement = (
        select(members.c.group_id, size, func.min(members.c.comment_id))
        .group_by(members.c.group_id)
        .having(size >= CAMPAIGN_SIZE)
        .order_by(size.desc(), members.c.group_id)
    )
    return [
        Campaign(group_id, count, Comment.reference_of(first))
        for group_id, count, first in db.session.execute(statement)
    ]
