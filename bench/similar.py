"""Near-duplicate benchmark: grouping 200,000 comments with planted campaigns and exact copies.

    .venv/bin/python bench/similar.py [--database sqlite|postgresql] [--size 200000] [--adds 200]

Builds its own database (the project's guidance, 200 reviewers) and writes, in bulk, SIZE comments on one
document, generated from a fixed seed: unrelated comments (sentences of words drawn from a Zipf-like
vocabulary, so that common words are shared as in real text), campaigns (150 per 200,000, sizes from 5 to
1,000, log-uniform) whose members are the campaign's text as people resend it (sentences reordered, case and
punctuation changed, and in three members of five one to three words replaced), "near misses" (2 %: two
sentences of a campaign followed by text of their own, which must not join it) and 5 % exact copies of other
comments. Then it times:

- the grouping: `comments similar --rebuild` in-process (services/similarity_batch.py), committed;
- precision and recall of the planted groups, B-cubed: for each comment in a found group, the share of its
  group that was planted with it (precision); for each comment planted in a group (a campaign, or an original
  and its copy), the share of its planted group found in its group (recall);
- adding one comment and finding its group: `comments.create_comment` (the write path, the comparison
  included) and its commit, for ADDS new comments, half of them new members of campaigns (which must land in
  their campaign's group), half unrelated (which must land in none).

Targets (issue 17): grouping < 5 minutes, precision and recall >= 0.95, adding one comment < 50 ms.
Exits non-zero only when an added campaign member misses its group or an unrelated one joins a group.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html import escape

import common
from sqlalchemy import insert, select, text

from consult_app.extensions import db
from consult_app.models import Comment, CommentSignature, Section, User
from consult_app.services import comments, similarity_batch

SEED = 17
GROUPING_TARGET_S = 300
QUALITY_TARGET = 0.95
ADD_TARGET_MS = 50


# --- text -----------------------------------------------------------------------------------------------------


class Writer:
    """Deterministic text: words from a vocabulary with Zipf-like frequencies, sentences of 8 to 18 words."""

    def __init__(self, rng: random.Random, vocabulary: int = 6_000) -> None:
        self.rng = rng
        syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        words = set()
        while len(words) < vocabulary:
            words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
        self.words = sorted(words)
        self.weights = list(itertools_accumulate(1 / (rank + 1) ** 1.1 for rank in range(vocabulary)))

    def sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.weights, k=self.rng.randint(8, 18))
        return " ".join(words).capitalize() + "."

    def comment(self, sentences: tuple[int, int] = (3, 6)) -> list[str]:
        return [self.sentence() for _ in range(self.rng.randint(*sentences))]

    def edited(self, body: str) -> str:
        """One word of `body` replaced: one more member of its campaign."""
        words = body.split(" ")
        words[self.rng.randrange(len(words))] = self.rng.choice(self.words)
        return " ".join(words)

    def resent(self, template: list[str]) -> str:
        """The campaign's text as one more person sends it."""
        sentences = list(template)
        if self.rng.random() < 0.6:
            for _ in range(self.rng.randint(1, 3)):
                index = self.rng.randrange(len(sentences))
                words = sentences[index].rstrip(".").split(" ")
                words[self.rng.randrange(len(words))] = self.rng.choice(self.words)
                sentences[index] = " ".join(words) + "."
        if self.rng.random() < 0.5:
            self.rng.shuffle(sentences)
        body = " ".join(sentences)
        style = self.rng.random()
        if style < 0.2:
            body = body.upper()
        elif style < 0.4:
            body = body.lower()
        if self.rng.random() < 0.3:
            body = body.replace(".", "!").replace(" ", "  ", 3)
        if self.rng.random() < 0.3:
            body = body.replace(". ", ".\n\n")
        return body


def itertools_accumulate(values):
    total = 0.0
    for value in values:
        total += value
        yield total


def planted_texts(size: int, rng: random.Random, writer: Writer) -> tuple[list[str], list[int | None]]:
    """SIZE texts and, for each, its planted group (None: a comment of its own)."""
    campaigns = max(1, round(150 * size / 200_000))
    texts: list[str] = []
    labels: list[int | None] = []
    templates = [writer.comment((4, 6)) for _ in range(campaigns)]
    for number, template in enumerate(templates):
        members = int(math.exp(rng.uniform(math.log(5), math.log(1_000))))
        members = min(members, max(5, size // (4 * campaigns)))
        texts += [writer.resent(template) for _ in range(members)]
        labels += [number] * members
    near_misses = size * 2 // 100
    for _ in range(near_misses):
        template = rng.choice(templates)
        texts.append(" ".join(template[:2] + writer.comment((3, 4))))
        labels.append(None)
    copies = size * 5 // 100
    while len(texts) < size - copies:
        texts.append(" ".join(writer.comment()))
        labels.append(None)
    # Exact copies of earlier comments: a copy of a campaign member is in that campaign; of any other comment, it
    # makes a pair with its original.
    pair = campaigns
    for _ in range(copies):
        original = rng.randrange(len(texts))
        if labels[original] is None:
            labels[original] = pair
            pair += 1
        texts.append(texts[original])
        labels.append(labels[original])
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


# --- data -----------------------------------------------------------------------------------------------------


def write_comments(app, fixture: common.Fixture, texts: list[str]) -> list[int]:
    """Insert the comments in bulk (pending, oldest first); returns their ids in the order of `texts`."""
    start = datetime.now(UTC) - timedelta(days=20)
    step = timedelta(days=19) / max(len(texts), 1)
    with app.app_context():
        for first in range(0, len(texts), common.INSERT_CHUNK):
            rows = [
                {
                    "document_id": fixture.document_id,
                    "version_id": fixture.version_id,
                    "section_key": fixture.section_keys[number % len(fixture.section_keys)],
                    "author_id": fixture.reviewer_ids[number % len(fixture.reviewer_ids)],
                    "kind": "general",
                    "quote": "",
                    "body_md": body,
                    "body_html": f"<p>{escape(body)}</p>",
                    "publication": "public_named",
                    "status": "pending",
                    "created_at": start + step * number,
                    "updated_at": start + step * number,
                    "moderation_note": "",
                    "response": "",
                }
                for number, body in enumerate(texts[first : first + common.INSERT_CHUNK], start=first)
            ]
            db.session.execute(insert(Comment.__table__), rows)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        return list(db.session.scalars(select(Comment.id).order_by(Comment.id)))


def group_all(app) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of a rebuild. On a shared machine the CPU time is the steadier
    figure (on SQLite it includes the database's work, which runs in this process; on PostgreSQL it does not)."""
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        for report in similarity_batch.run(rebuild=True):
            db.session.commit()
            print(f"  {report.line()}")
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        return time.perf_counter() - started, time.process_time() - cpu


def found_groups(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(CommentSignature.comment_id, CommentSignature.group_id).where(CommentSignature.group_id.is_not(None))
        )
        return dict(rows.all())


def b_cubed(ids: list[int], labels: list[int | None], found: dict[int, int]) -> tuple[float, float]:
    planted: dict[int, set[int]] = defaultdict(set)
    for comment_id, label in zip(ids, labels, strict=True):
        if label is not None:
            planted[label].add(comment_id)
    label_of = dict(zip(ids, labels, strict=True))
    groups: dict[int, set[int]] = defaultdict(set)
    for comment_id, group_id in found.items():
        groups[group_id].add(comment_id)

    def together(comment_id: int) -> tuple[set[int], set[int]]:
        label = label_of[comment_id]
        truth = planted[label] if label is not None else {comment_id}
        group = groups[found[comment_id]] if comment_id in found else {comment_id}
        return truth, group

    precisions = [len(t & g) / len(g) for t, g in map(together, found)]
    recalls = [len(t & g) / len(t) for t, g in map(together, (c for members in planted.values() for c in members))]
    return sum(precisions) / max(len(precisions), 1), sum(recalls) / max(len(recalls), 1)


# --- adding one comment ---------------------------------------------------------------------------------------


def add_one_by_one(app, fixture, adds, writer, texts, ids, labels) -> tuple[list[float], list[float], int]:
    """Time create_comment + commit for ADDS new comments; returns the wall and CPU times (ms) and how many landed
    in the wrong group."""
    members_of: dict[int, list[int]] = defaultdict(list)
    for comment_id, label in zip(ids, labels, strict=True):
        if label is not None:
            members_of[label].append(comment_id)
    rng = random.Random(SEED + 1)  # noqa: S311 - sample data, nothing secret
    campaigns = sorted(label for label, members in members_of.items() if len(members) >= 5)
    by_id = dict(zip(ids, texts, strict=True))
    times, cpu_times, wrong = [], [], 0
    with app.app_context():
        author = db.session.get(User, fixture.reviewer_ids[0])
        section = db.session.scalar(
            select(Section).where(Section.version_id == fixture.version_id, Section.key == fixture.section_keys[0])
        )
        document = section.version.document
        for number in range(adds):
            source = rng.choice(members_of[rng.choice(campaigns)]) if number % 2 == 0 else None
            body = writer.edited(by_id[source]) if source is not None else " ".join(writer.comment())
            started, cpu = time.perf_counter(), time.process_time()
            comment = comments.create_comment(author, document, section, comments.Draft(body=body))
            db.session.commit()
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            wrong += not _landed_right(comment.id, source)
    return times, cpu_times, wrong


def _landed_right(comment_id: int, source: int | None) -> bool:
    """An unrelated comment joins no group; a campaign member edited by one word joins the group of the member it
    was made from (which, if that member had been alone, is a new group of the two)."""
    group_id = db.session.scalar(select(CommentSignature.group_id).where(CommentSignature.comment_id == comment_id))
    if source is None:
        return group_id is None
    expected = db.session.scalar(select(CommentSignature.group_id).where(CommentSignature.comment_id == source))
    return group_id is not None and group_id == expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", type=int, default=200_000, help="comments (200,000)")
    parser.add_argument("--adds", type=int, default=200, help="comments added one by one afterwards (200)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    print(common.machine_note())
    with common.bench_database(args.database, "similar", keep=args.keep) as database:
        return run(args, database)


def run(args, database) -> int:
    rng = random.Random(SEED)  # noqa: S311 - sample data, nothing secret
    writer = Writer(rng)
    started = time.perf_counter()
    texts, labels = planted_texts(args.size, rng, writer)
    app = common.setup_app(database)
    fixture = common.migrate_and_load(app)
    common.add_accounts(app, fixture, reviewers=200)
    ids = write_comments(app, fixture, texts)
    print(f"  {len(ids):,} comments written in {time.perf_counter() - started:.0f} s")
    seconds, cpu_seconds = group_all(app)
    precision, recall = b_cubed(ids, labels, found_groups(app))
    times, cpu_times, wrong = add_one_by_one(app, fixture, args.adds, writer, texts, ids, labels)
    common.dispose(app)
    p50, p95 = common.median(times), common.percentile(times, 0.95)
    grouping = _verdict(seconds < GROUPING_TARGET_S, seconds / GROUPING_TARGET_S)
    adding = _verdict(p50 < ADD_TARGET_MS, p50 / ADD_TARGET_MS)
    common.print_table(
        f"Near-duplicates: {args.size:,} comments on {args.database}",
        ["measure", "figure", "target", "verdict"],
        [
            ["grouping (rebuild)", f"{seconds:.1f} s", f"< {GROUPING_TARGET_S} s", grouping],
            ["grouping, CPU time of this process", f"{cpu_seconds:.1f} s", "", ""],
            ["precision (B-cubed)", f"{precision:.4f}", f">= {QUALITY_TARGET}", _verdict(precision >= QUALITY_TARGET)],
            ["recall (B-cubed)", f"{recall:.4f}", f">= {QUALITY_TARGET}", _verdict(recall >= QUALITY_TARGET)],
            ["add one comment, p50", f"{p50:.1f} ms", f"< {ADD_TARGET_MS} ms", adding],
            ["add one comment, p95", f"{p95:.1f} ms", "", ""],
            ["add one comment, CPU time p50", f"{common.median(cpu_times):.1f} ms", "", ""],
            ["added comments in the wrong group", f"{wrong} of {len(times)}", "0", _verdict(wrong == 0)],
        ],
    )  # fmt: skip
    return 1 if wrong else 0


def _verdict(met: bool, ratio: float | None = None) -> str:
    return common.verdict(met, f"{ratio:.2f} x the target" if ratio is not None else "")


if __name__ == "__main__":
    sys.exit(main())
