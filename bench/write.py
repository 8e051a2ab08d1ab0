"""Write benchmark: 32 logged-in reviewers post 2,000 comments between them, on SQLite and on PostgreSQL.

    .venv/bin/python bench/write.py [--database sqlite|postgresql|both] [--reviewers 32] [--comments 2000]

For each database: a fresh database with the project's guidance and the reviewers' accounts (made in bulk,
one password hash for all), the app under gunicorn (production configuration, the project's
gunicorn.conf.py, 2 workers). Every reviewer logs in through the real log-in form (with its CSRF token),
opens a section page for the comment form's token, then all of them post at once, each taking the next
comment of the 2,000 as soon as its previous post was answered (tests/support/load.py, which the fault tests
use too). A post is acknowledged when the app answers with its redirect naming the new comment's reference
(C-000123); the redirected page is not fetched (that is a read, measured by bench/read.py).

Rate limits are switched off for the run (RATELIMIT_ENABLED=false): the app allows a reviewer 10 comments
a minute, and 32 reviewers posting 2,000 comments in under a minute is exactly what they exist to stop.

Afterwards every acknowledged comment must be in the database, once, under its reference and by its author,
and no request may have failed with a 5xx; otherwise the exit status is 1. Prints comments per second, p50 and
p99, and one line per database with the ratio to the target (150 comments/s on PostgreSQL, issue 20).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import common

from tests.support.load import Crowd, Tally, storage_problems

TARGET_PER_SECOND = 150  # on PostgreSQL (issue 20)


@dataclass
class Outcome:
    database: str
    tally: Tally
    wall_seconds: float
    problems: list[str]

    @property
    def acknowledged(self) -> int:
        return len(self.tally.acknowledged)

    @property
    def server_errors(self) -> int:
        return len(self.tally.with_status(lambda status: status >= 500))

    @property
    def refusals(self) -> list[int]:
        return [post.status or 0 for post in self.tally.posts() if post.reference is None]

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def correct(self) -> bool:
        return not (self.problems or self.refusals)


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
    environment = common.server_environment(database, RATELIMIT_ENABLED="false", LOGIN_LOCK_ENABLED="false")
    print(f"\n{database.kind}: {args.reviewers} reviewers log in and post {args.comments:,} comments ...", flush=True)
    paths = [f"/guidance/{fixture.slug}/{key}/" for key in fixture.section_keys]
    emails = fixture.reviewer_emails[: args.reviewers]
    with common.Server("wsgi:app", environment, database.folder / "server.log") as server:
        crowd = Crowd(server.base_url, emails, common.PASSWORD, paths, total=args.comments, follow=False,
                      keep_alive=True, timeout=120)  # fmt: skip
        with crowd:
            crowd.wait()
    if crowd.tally.crashes:
        raise RuntimeError(f"reviewers failed: {crowd.tally.crashes[:3]}")
    return Outcome(database.kind, crowd.tally, crowd.ended - crowd.started, storage_problems(crowd.tally, database.url))


def report(args, outcomes: list[Outcome]) -> None:
    rows = []
    for outcome in outcomes:
        times = [post.seconds * 1000 for post in outcome.tally.posts() if post.reference]
        rows.append(
            [
                outcome.database,
                f"{outcome.acknowledged:,}/{len(outcome.tally.posts()):,}",
                f"{outcome.wall_seconds:.1f}",
                f"{outcome.per_second:.0f}",
                f"{common.median(times):.0f}",
                f"{common.percentile(times, 0.99):.0f}",
                outcome.server_errors,
                "yes" if not outcome.problems else "NO",
            ]
        )
    title = f"write: {args.reviewers} reviewers, {args.comments:,} comments, 2 gunicorn workers, rate limits off"
    headers = ["database", "acknowledged", "seconds", "comments/s", "p50 ms", "p99 ms", "5xx", "all stored once"]
    common.print_table(title, headers, rows)
    for outcome in outcomes:
        rate = outcome.per_second
        met = common.verdict(rate >= TARGET_PER_SECOND, f"{TARGET_PER_SECOND / rate:.1f}x short" if rate else "none")
        print(
            f"  RESULT write {outcome.database}: {rate:.0f} comments/s acknowledged, "
            f"{rate / TARGET_PER_SECOND:.2f} of the target {TARGET_PER_SECOND}/s: {met}"
        )
        for problem in outcome.problems[:10]:
            print(f"  FAILURE ({outcome.database}): {problem}")
        if outcome.refusals:
            print(f"  FAILURE ({outcome.database}): {len(outcome.refusals)} posts not acknowledged "
                  f"(status {sorted(set(outcome.refusals))})")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
