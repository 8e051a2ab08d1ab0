"""Queue benchmark: the first and the 1,000th page of a moderation queue of 200,000 pending comments.

    .venv/bin/python bench/moderation_queue.py [--database sqlite|postgresql] [--comments 200000] [--page 1000]

Builds its own database (the project's guidance, 500 reviewers, 200,000 pending comments written in bulk),
starts the app under gunicorn (production configuration, the project's gunicorn.conf.py, 2 workers) and
logs a moderator in through the real form. Page 1,000 is reached the way a moderator reaches it: by
following the queue's "Next page" link from the first page 999 times; its address is then requested
again and again. Each page is checked against the database: it must list the right comments, oldest first.
Prints p50 and p99 of the repeated requests of each page (and of the walk).

Target (issue 8): p50 under 50 ms. Exits non-zero only when a page is wrong or answers with an error.
"""

from __future__ import annotations

import argparse
import re
import sys

import common
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment

ITEM = re.compile(r'<li class="queue__item" id="(C-\d{6,})"')
TARGET_MS = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--comments", type=int, default=200_000, help="pending comments (200,000)")
    parser.add_argument("--page", type=int, default=1_000, help="the deep page to reach (1,000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests of each page (30)")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    args = parser.parse_args()
    print(common.machine_note())
    with common.bench_database(args.database, "queue", keep=args.keep) as database:
        return run(args, database)


def run(args, database: common.BenchDatabase) -> int:
    app = common.setup_app(database)
    fixture = common.migrate_and_load(app)
    common.add_accounts(app, fixture, reviewers=500)
    common.add_comments(app, fixture, common.CommentMix(fixture.section_keys, pending=args.comments))
    with app.app_context():
        oldest_first = [
            f"C-{number:06d}"
            for number in db.session.scalars(
                select(Comment.id).where(Comment.status == "pending").order_by(Comment.created_at, Comment.id)
            )
        ]
    common.dispose(app)
    print(f"data: {args.comments:,} pending comments ({database.kind})")

    failures: list[str] = []
    with common.Server("wsgi:app", common.server_environment(database), database.folder / "server.log") as server:
        browser = common.Browser(server.base_url)
        browser.log_in(common.MODERATOR_EMAIL)
        first_url = "/moderation/"
        first = browser.get(first_url)
        size = len(ITEM.findall(first.text))
        check(first, 1, size, oldest_first, failures)
        print(f"walking to page {args.page} by its 'Next page' links ...", flush=True)
        deep_url, walk_ms = walk(browser, first_url, first, args.page, size, oldest_first, failures)
        if deep_url is None:
            failures.append(f"the queue ended before page {args.page}")
            report_failures(failures)
            return 1
        print(f"page {args.page} is {deep_url}")
        timings: dict[str, list[float]] = {first_url: [], deep_url: []}
        for _ in range(3):  # warm-up, not counted
            browser.get(first_url)
            browser.get(deep_url)
        for _ in range(args.repeat):  # interleaved, so both pages see the same conditions
            for url, number in ((first_url, 1), (deep_url, args.page)):
                answer = browser.get(url)
                check(answer, number, size, oldest_first, failures)
                timings[url].append(answer.seconds * 1000)

    report(args, size, timings[first_url], timings[deep_url], walk_ms)
    report_failures(failures)
    return 1 if failures else 0


def walk(browser, url, answer, target, size, oldest_first, failures) -> tuple[str | None, list[float]]:
    """Follow "Next page" from page 1 until page `target`; its URL and the time of each step."""
    times = []
    for number in range(2, target + 1):
        url = common.next_link(answer.text, url)
        if url is None:
            return None, times
        answer = browser.get(url)
        times.append(answer.seconds * 1000)
        if number in (2, target) or number % 100 == 0:
            check(answer, number, size, oldest_first, failures)
    return url, times


def check(answer: common.Answer, number: int, size: int, oldest_first: list[str], failures: list[str]) -> None:
    """The page answers 200 and lists exactly the comments that belong on page `number`, in order."""
    if answer.status != 200:
        failures.append(f"page {number} answered {answer.status}")
        return
    shown = ITEM.findall(answer.text)
    expected = oldest_first[(number - 1) * size : number * size]
    if shown != expected:
        first = shown[0] if shown else "nothing"
        failures.append(
            f"page {number} lists {len(shown)} comments from {first}, not {len(expected)} from {expected[0]}"
        )


def report(args, size: int, first: list[float], deep: list[float], walk_ms: list[float]) -> None:
    rows = [
        [f"page 1 (x{len(first)})", f"{common.median(first):.1f}", f"{common.percentile(first, 0.99):.1f}"],
        [f"page {args.page:,} (x{len(deep)})", f"{common.median(deep):.1f}", f"{common.percentile(deep, 0.99):.1f}"],
        [f"walk: pages 2-{args.page:,}", f"{common.median(walk_ms):.1f}", f"{common.percentile(walk_ms, 0.99):.1f}"],
    ]
    title = f"queue: {args.comments:,} pending comments, {size} per page, one moderator, 2 gunicorn workers"
    common.print_table(title, ["request", "p50 ms", "p99 ms"], rows)
    for label, times in (("page 1", first), (f"page {args.page:,}", deep)):
        p50 = common.median(times)
        met = p50 < TARGET_MS
        print(
            f"  RESULT queue {args.database} {label} of {args.comments:,} pending: p50 {p50:.1f} ms, "
            f"{p50 / TARGET_MS:.2f} of the {TARGET_MS} ms target: {common.verdict(met, f'{p50 / TARGET_MS:.1f}x')}"
        )


def report_failures(failures: list[str]) -> None:
    for failure in failures[:20]:
        print(f"  FAILURE: {failure}")
    if len(failures) > 20:
        print(f"  ... and {len(failures) - 20} more failures")


if __name__ == "__main__":
    sys.exit(main())
