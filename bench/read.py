"""Read benchmark: the section page with 50 approved comments, for visitors and for a signed-in reviewer, under load.

    .venv/bin/python bench/read.py [--database sqlite|postgresql] [--comments 50] [--seconds 12]

Builds its own database (migrations, the project's guidance, accounts and comments in bulk), starts the app
with gunicorn (production configuration, the project's gunicorn.conf.py, 2 workers, rate limits off) and,
beside it, the minimal Flask app of bench/minimal_app.py serving the same page's bytes under the same gunicorn
settings. All servers run at once; each is loaded by wrk with 32 connections, a warm-up run first, then in
rounds (--rounds, each loading every server in turn for --seconds), so that a machine whose load drifts (other
work on it) weighs on every server alike; a server's figure is its mean over the rounds.

Visitors (no cookies) are measured with each way the page cache can learn whether anything changed
(consult_app/page_changes.py): the fingerprint query on every request (no REDIS_URL), Redis's change token
read on every request (PAGE_CACHE_STALE_MS=0), and the production default (the token reused for 500 ms).
A signed-in reviewer (wrk sends their session cookie; pages rendered for them alone) is measured with the
production default. A last run, for information, sends the page's ETag back (If-None-Match), as a browser or
proxy revalidating it would: the app then answers 304 without the body.

Targets (issue 20): visitors at least 0.8 of the minimal app's throughput and p99 under 20 ms; the signed-in
reviewer at least 0.4 (0.3 with --comments 500). Exits non-zero only when something is wrong (an error
response, a page without its comments), not when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import uuid

import common

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# How a visitor's cached page learns whether anything changed: extra server settings for each.
VARIANTS = {
    "fingerprint": ("fingerprint query, no Redis", {}),
    "token": ("Redis token on every request", {"REDIS_URL": REDIS_URL, "CONSULT_PAGE_CACHE_STALE_MS": "0"}),
    "token-500ms": ("Redis token reused 500 ms (default)", {"REDIS_URL": REDIS_URL}),
}
DEFAULT = "token-500ms"
# Response headers copied to the minimal app, so both send the same headers as well as the same body.
COPIED_HEADERS = (
    "content-type",
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "permissions-policy",
    "strict-transport-security",
    "cache-control",
    "etag",
    "last-modified",
    "vary",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--comments", type=int, default=50, help="approved comments on the page (50)")
    parser.add_argument("--background", type=int, default=5_000, help="comments on other sections (5,000)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=6, help="measured run per server and round (6)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each loading every server in turn (3)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up run per server, not counted (3)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="visitor variants to measure (all)")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    args = parser.parse_args()
    common.require_tool("wrk", "wrk")
    print(common.machine_note())
    with common.bench_database(args.database, "read", keep=args.keep) as database:
        return run(args, database)


def run(args, database: common.BenchDatabase) -> int:
    app = common.setup_app(database)
    fixture = common.migrate_and_load(app)
    common.add_accounts(app, fixture, reviewers=40)
    page_key, other_keys = fixture.section_keys[0], fixture.section_keys[1:]
    common.add_comments(
        app, fixture, common.CommentMix([page_key], approved=args.comments, publications=common.PUBLIC_PUBLICATIONS)
    )
    background = args.background
    common.add_comments(
        app,
        fixture,
        common.CommentMix(other_keys, approved=background // 2, pending=background // 4, rejected=background // 4),
    )
    common.dispose(app)
    path = f"/guidance/{fixture.slug}/{page_key}/"
    print(f"data: {args.comments} approved comments on {path}, {background:,} on other sections ({database.kind})")

    log = database.folder / "servers.log"
    # Every server runs at once and each round loads each in turn (--rounds): on a machine shared with other
    # work, the load drifts from one minute to the next, and what each round measures it measures for all.
    with contextlib.ExitStack() as servers:
        targets: dict[str, tuple[str, list[str]]] = {}
        page = None
        for name in [variant.strip() for variant in args.variants.split(",") if variant.strip()]:
            label, extra = VARIANTS[name]
            settings = {
                **extra,
                "RATELIMIT_ENABLED": "false",
                "CONSULT_PAGE_CACHE_KEY": f"consult-bench:{uuid.uuid4().hex}",
            }
            server = servers.enter_context(
                common.Server("wsgi:app", common.server_environment(database, **settings), log)
            )
            page = common.Browser(server.base_url).get(path)
            problems = check_page(page, args.comments)
            if problems:
                print("\n".join(problems))
                return 1
            targets[f"visitor, {label}"] = (server.base_url + path, [])
            if name == DEFAULT:
                targets["visitor, If-None-Match (304)"] = (
                    server.base_url + path,
                    [f"If-None-Match: {page.headers.get('etag')}"],
                )
                targets["signed-in reviewer"] = (server.base_url + path, [signed_in_cookie(server, fixture, path)])
        minimal_url = servers.enter_context(minimal(database, page, log)).base_url + "/page"
        targets["minimal Flask app"] = (minimal_url, [])
        runs = load_in_rounds(targets, args)
    report(args, database.kind, runs)
    failed = [(name, result) for name, result in runs.items() if result.non_2xx]
    for name, result in failed:
        print(f"FAILURE: {result.non_2xx} non-2xx/3xx responses: {name}")
    return 1 if failed else 0


def signed_in_cookie(server, fixture: common.Fixture, path: str) -> str:
    """The Cookie header of a logged-in reviewer: wrk sends it, and every answer is then theirs alone."""
    reviewer = common.Browser(server.base_url)
    reviewer.log_in(fixture.reviewer_emails[0])
    page = reviewer.get(path)
    if page.status != 200 or "Log out" not in page.text:
        raise RuntimeError(f"the signed-in page answered {page.status} without a log-out button")
    return "Cookie: " + "; ".join(f"{name}={value}" for name, value in reviewer.cookies.items())


def minimal(database, page: common.Answer, log):
    """The minimal app serving `page`'s bytes and headers, not yet started (a context manager)."""
    body_file, headers_file = database.folder / "page.html", database.folder / "headers.json"
    body_file.write_bytes(page.body)
    headers = [[name, value] for name, value in page.headers.items() if name in COPIED_HEADERS]
    headers_file.write_text(json.dumps(headers))
    environment = common.server_environment(
        database, BENCH_PAGE_FILE=str(body_file), BENCH_HEADERS_FILE=str(headers_file)
    )
    return common.Server("minimal_app:app", environment, log, chdir=common.BENCH_DIR)


def load_in_rounds(targets: dict[str, tuple[str, list[str]]], args) -> dict[str, common.WrkResult]:
    """A warm-up of each, then --rounds rounds of --seconds each; per target, the rounds' requests per second
    summed over their time, and the worst p50 and p99 of its rounds."""
    for url, headers in targets.values():
        common.run_wrk(url, args.connections, args.warmup, headers=headers)
    rounds: dict[str, list[common.WrkResult]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, (url, headers) in targets.items():
            rounds[name].append(common.run_wrk(url, args.connections, args.seconds, headers=headers))
    return {name: combined(results) for name, results in rounds.items()}


def combined(results: list[common.WrkResult]) -> common.WrkResult:
    rate = sum(r.requests_per_second for r in results) / len(results)
    errors = "; ".join(r.errors for r in results if r.errors)
    return common.WrkResult(
        rate, max(r.p50_ms for r in results), max(r.p99_ms for r in results), sum(r.requests for r in results),
        errors, sum(r.non_2xx for r in results),
    )  # fmt: skip


def check_page(page: common.Answer, expected: int) -> list[str]:
    problems = []
    if page.status != 200:
        problems.append(f"FAILURE: the section page answered {page.status}")
    shown = page.text.count('class="comment comment--approved"')
    if shown != expected:
        problems.append(f"FAILURE: the page shows {shown} approved comments, not {expected}")
    if "set-cookie" in page.headers:
        problems.append("FAILURE: a visitor's page sets a cookie")
    return problems


def report(args, kind: str, runs: dict[str, common.WrkResult]) -> None:
    minimal_rate = runs["minimal Flask app"].requests_per_second
    rows = [
        [
            name,
            f"{r.requests_per_second:,.0f}",
            f"{r.requests_per_second / minimal_rate:.2f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.requests:,}",
            r.errors or "-",
        ]
        for name, r in runs.items()
    ]
    title = (
        f"read ({kind}): wrk, {args.connections} connections, {args.rounds} rounds of {args.seconds} s per server "
        "(every server loaded in turn in each round), 2 gunicorn workers each"
    )
    common.print_table(title, ["server", "req/s", "÷ minimal", "p50 ms", "p99 ms", "requests", "socket errors"], rows)
    visitor_target, reviewer_target = 0.8, (0.3 if args.comments >= 500 else 0.4)
    for name, result in runs.items():
        if name.startswith("minimal") or "304" in name:
            continue
        ratio = result.requests_per_second / minimal_rate
        target = reviewer_target if name == "signed-in reviewer" else visitor_target
        met = ratio >= target and (name == "signed-in reviewer" or result.p99_ms < 20)
        how = f"{ratio:.2f}, p99 {result.p99_ms:.0f} ms"
        print(
            f"  RESULT read {kind} {args.comments} comments, {name}: {ratio:.2f} of the minimal Flask app "
            f"({result.requests_per_second:,.0f} vs {minimal_rate:,.0f} req/s), p99 {result.p99_ms:.1f} ms; "
            f"target >= {target}"
            + ("" if name == "signed-in reviewer" else ", p99 < 20 ms")
            + ": "
            + common.verdict(met, how)
        )


if __name__ == "__main__":
    sys.exit(main())
