"""Write benchmark: 32 logged-in reviewers post 2,000 comments between them, on SQLite and on PostgreSQL.

    .venv/bin/python bench/write.py [--database sqlite|postgresql|both] [--reviewers 32] [--comments 2000]

For each database: a fresh database with the project's guidance and the reviewers' accounts (made in bulk,
one password hash for all), the app under gunicorn (production configuration, the project's
gunicorn.conf.py, 2 workers). Every reviewer logs in through the real log-in form (with its CSRF token),
opens a section page for the comment form's token, then all of them post at once, each taking the next
comment of the 2,000 as soon as its previous post was answered. A post is acknowledged when the app
answers with its redirect naming the new comment's reference (C-000123); the redirected page is not
fetched (that is a read, measured by bench/read.py).

Rate limits are switched off for the run (RATELIMIT_ENABLED=false): the app allows a reviewer 10 comments
a minute, and 32 reviewers posting 2,000 comments in under a minute is exactly what they exist to stop.

Afterwards every acknowledged comment must be in the database, once, with its author and text, and no
request may have failed with a 5xx; otherwise the exit status is 1. Prints comments per second, p50 and p99.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from dataclasses import dataclass, field

import common
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment

KINDS = ("general", "suggestion", "concern", "support")
PUBLICATIONS = ("public_named", "public_anonymous", "private")
REFERENCE = re.compile(r"#(C-\d{6,})$")
TOKEN = re.compile(r"\[bench (\d+)\]")


@dataclass
class Post:
    number: int
    reviewer: int
    status: int
    seconds: float
    reference: str | None


@dataclass
class Outcome:
    database: str
    posts: list[Post]
    wall_seconds: float
    missing: list[str] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    unacknowledged_saved: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[Post]:
        return [post for post in self.posts if post.reference]

    @property
    def server_errors(self) -> int:
        return sum(1 for post in self.posts if post.status >= 500)

    @property
    def other_refusals(self) -> int:
        return sum(1 for post in self.posts if post.status < 500 and not post.reference)

    @property
    def correct(self) -> bool:
        return not (self.missing or self.duplicated or self.wrong or self.server_errors or self.other_refusals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reviewers", type=int, default=32, help="concurrent logged-in reviewers (32)")
    parser.add_argument("--comments", type=int, default=2_000, help="comments posted in all (2,000)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args()
    print(common.machine_note())
    print("rate limits: OFF for this benchmark (RATELIMIT_ENABLED=false in the servers' environment)")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    outcomes = []
    for kind in kinds:
        with common.bench_database(kind, "write", keep=args.keep) as database:
            outcomes.append(run(args, database))
    report(args, outcomes)
    return 0 if all(outcome.correct for outcome in outcomes) else 1


def run(args, database: common.BenchDatabase) -> Outcome:
    app = common.setup_app(database)
    fixture = common.migrate_and_load(app)
    common.add_accounts(app, fixture, reviewers=args.reviewers)
    # Some published comments already there, so each post's page lookup has comments to read past.
    common.add_comments(app, fixture, common.CommentMix(fixture.section_keys, approved=200))
    common.dispose(app)
    environment = common.server_environment(database, RATELIMIT_ENABLED="false")
    print(f"\n{database.kind}: {args.reviewers} reviewers log in and post {args.comments:,} comments ...", flush=True)
    with common.Server("wsgi:app", environment, database.folder / "server.log") as server:
        posts, wall = post_all(args, fixture, server.base_url)
    outcome = Outcome(database.kind, posts, wall)
    verify(app, fixture, outcome)
    common.dispose(app)
    return outcome


def post_all(args, fixture: common.Fixture, base_url: str) -> tuple[list[Post], float]:
    """Log every reviewer in, then post from all of them at once; return the posts and the wall time."""
    counter = iter(range(args.comments))
    lock = threading.Lock()
    posts: list[Post] = []
    failures: list[BaseException] = []
    ready = threading.Barrier(args.reviewers + 1)

    def reviewer(index: int) -> None:
        browser = common.Browser(base_url)
        try:
            browser.log_in(fixture.reviewer_emails[index])
            key = fixture.section_keys[index % len(fixture.section_keys)]
            path = f"/guidance/{fixture.slug}/{key}/"
            token = common.csrf_token(browser.get(path).text)
        except BaseException as error:
            failures.append(error)
            ready.abort()
            raise
        ready.wait()
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            post = post_one(browser, token, path, number, index)
            with lock:
                posts.append(post)
        browser.close()

    threads = [threading.Thread(target=reviewer, args=(index,)) for index in range(args.reviewers)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        raise RuntimeError(f"a reviewer could not log in or open the form: {failures[0]!r}") from None
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return posts, time.perf_counter() - started


def post_one(browser: common.Browser, token: str, path: str, number: int, reviewer: int) -> Post:
    form = {
        "csrf_token": token,
        "body": body_for(number, reviewer),
        "kind": KINDS[number % len(KINDS)],
        "quote": "",
        "publication": PUBLICATIONS[number % len(PUBLICATIONS)],
        "parent_id": "",
    }
    # The answer's cookie carries the "thank you" flash message: keeping it would pile up one message per post
    # in the session (a browser shows and drops it on the redirected page, which we do not fetch).
    try:
        answer = browser.request("POST", path, form, keep_cookies=False)
    except OSError:
        return Post(number, reviewer, 0, float("nan"), None)
    match = REFERENCE.search(answer.headers.get("location", "")) if answer.status in (302, 303) else None
    return Post(number, reviewer, answer.status, answer.seconds, match.group(1) if match else None)


def body_for(number: int, reviewer: int) -> str:
    _kind, text = common.BODIES[number % len(common.BODIES)]
    return f"[bench {number}] Reviewer {reviewer} writes:\n\n{text}"


def verify(app, fixture: common.Fixture, outcome: Outcome) -> None:
    """Every acknowledged comment is stored once, with the right author and text; count any extra ones."""
    with app.app_context():
        rows = db.session.execute(select(Comment.id, Comment.author_id, Comment.body_md, Comment.status)).all()
    stored: dict[int, list] = {}
    for row in rows:
        match = TOKEN.match(row.body_md)
        if match:
            stored.setdefault(int(match.group(1)), []).append(row)
    outcome.duplicated = sorted(number for number, found in stored.items() if len(found) > 1)
    acknowledged = {post.number: post for post in outcome.acknowledged}
    for number, post in acknowledged.items():
        found = stored.get(number, [])
        expected_id = int(post.reference.removeprefix("C-"))
        if not found:
            outcome.missing.append(post.reference)
        elif found[0].id != expected_id or found[0].author_id != fixture.reviewer_ids[post.reviewer]:
            outcome.wrong.append(f"{post.reference}: stored as C-{found[0].id:06d} by user {found[0].author_id}")
        elif found[0].body_md != body_for(number, post.reviewer) or found[0].status != "pending":
            outcome.wrong.append(f"{post.reference}: text or status differs")
    outcome.unacknowledged_saved = sum(1 for number in stored if number not in acknowledged)


def report(args, outcomes: list[Outcome]) -> None:
    rows = []
    for outcome in outcomes:
        times = [post.seconds * 1000 for post in outcome.acknowledged]
        rate = len(outcome.acknowledged) / outcome.wall_seconds if outcome.wall_seconds else 0.0
        rows.append(
            [
                outcome.database,
                f"{len(outcome.acknowledged):,}/{len(outcome.posts):,}",
                f"{outcome.wall_seconds:.1f}",
                f"{rate:.0f}",
                f"{common.median(times):.0f}",
                f"{common.percentile(times, 0.99):.0f}",
                outcome.server_errors,
                "yes" if not (outcome.missing or outcome.wrong or outcome.duplicated) else "NO",
            ]
        )
    title = f"write: {args.reviewers} reviewers, {args.comments:,} comments, 2 gunicorn workers, rate limits off"
    headers = ["database", "acknowledged", "seconds", "comments/s", "p50 ms", "p99 ms", "5xx", "all stored once"]
    common.print_table(title, headers, rows)
    for outcome in outcomes:
        problems = [
            *(f"lost: {reference}" for reference in outcome.missing[:10]),
            *(f"stored wrongly: {text}" for text in outcome.wrong[:10]),
            *(f"stored twice: comment {number}" for number in outcome.duplicated[:10]),
        ]
        if outcome.server_errors:
            problems.append(f"{outcome.server_errors} posts answered with a 5xx")
        if outcome.other_refusals:
            statuses = sorted({post.status for post in outcome.posts if not post.reference and post.status < 500})
            problems.append(f"{outcome.other_refusals} posts not acknowledged (status {statuses})")
        for problem in problems:
            print(f"  FAILURE ({outcome.database}): {problem}")
        if outcome.unacknowledged_saved:
            print(f"  note ({outcome.database}): {outcome.unacknowledged_saved} comments saved without an answer")


if __name__ == "__main__":
    sys.exit(main())
