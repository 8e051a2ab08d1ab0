"""Read benchmark: an anonymous reader's section page with 50 approved comments, under load.

    .venv/bin/python bench/read.py [--database sqlite|postgresql] [--comments 50] [--seconds 12]

Builds its own database (migrations, the project's guidance, accounts and comments in bulk), starts the app
with gunicorn (production configuration, the project's gunicorn.conf.py, 2 workers) and, beside it, the
minimal Flask app of bench/minimal_app.py serving the same page's bytes under the same gunicorn settings.
Each is loaded by wrk with 32 connections (a warm-up run first, then the measured run) as an anonymous
reader: no cookies. Prints requests per second, p50 and p99 of both, and the ratio. A third run, for
information, sends the page's ETag back (If-None-Match), as a browser or proxy revalidating it would: the
app then answers 304 without the body.

Targets (issue 8): the section page at least 0.5 of the minimal app's throughput; its p99 under 50 ms.
Exits non-zero only when something is wrong (an error response, a page without its comments), not when a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys

import common

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
    parser.add_argument("--seconds", type=int, default=12, help="measured run per server (12)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up run per server, not counted (3)")
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
    with common.Server("wsgi:app", common.server_environment(database), log) as server:
        page = common.Browser(server.base_url).get(path)
        problems = check_page(page, args.comments)
        if problems:
            print("\n".join(problems))
            return 1
        body_file, headers_file = database.folder / "page.html", database.folder / "headers.json"
        body_file.write_bytes(page.body)
        headers = [[name, value] for name, value in page.headers.items() if name in COPIED_HEADERS]
        headers_file.write_text(json.dumps(headers))
        cookie = page.headers.get("set-cookie", "").split("=", 1)[0]
        print(f"page: {len(page.body):,} bytes, " + (f"sets a '{cookie}' cookie" if cookie else "sets no cookie"))
        real = load(server.base_url + path, args)
        etag = page.headers.get("etag")
        revalidated = load(server.base_url + path, args, [f"If-None-Match: {etag}"]) if etag else None

    minimal_environment = common.server_environment(
        database, BENCH_PAGE_FILE=str(body_file), BENCH_HEADERS_FILE=str(headers_file)
    )
    with common.Server("minimal_app:app", minimal_environment, log, chdir=common.BENCH_DIR) as server:
        copy = common.Browser(server.base_url).get("/page")
        if copy.body != page.body:
            print("the minimal app does not serve the same bytes")
            return 1
        minimal = load(server.base_url + "/page", args)

    report(args, real, minimal, revalidated)
    failed = [(name, result) for name, result in (("section", real), ("minimal", minimal)) if result.non_2xx]
    for name, result in failed:
        print(f"FAILURE: {result.non_2xx} non-2xx/3xx responses from the {name} app")
    return 1 if failed else 0


def check_page(page: common.Answer, expected: int) -> list[str]:
    problems = []
    if page.status != 200:
        problems.append(f"FAILURE: the section page answered {page.status}")
    shown = page.text.count('class="comment comment--approved"')
    if shown != expected:
        problems.append(f"FAILURE: the page shows {shown} approved comments, not {expected}")
    return problems


def load(url: str, args, headers: list[str] | None = None) -> common.WrkResult:
    common.run_wrk(url, args.connections, args.warmup, headers=headers or ())
    return common.run_wrk(url, args.connections, args.seconds, headers=headers or ())


def report(args, real: common.WrkResult, minimal: common.WrkResult, revalidated: common.WrkResult | None) -> None:
    ratio = real.requests_per_second / minimal.requests_per_second
    runs = [("section page", real), ("minimal app", minimal)]
    if revalidated is not None:
        runs.append(("section page, If-None-Match (304)", revalidated))
    rows = [
        [
            name,
            f"{r.requests_per_second:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.requests:,}",
            r.errors or "-",
        ]
        for name, r in runs
    ]
    title = f"read: wrk, {args.connections} connections, {args.seconds} s each, 2 gunicorn workers"
    common.print_table(title, ["server", "req/s", "p50 ms", "p99 ms", "requests", "socket errors"], rows)
    print(f"\n  throughput ratio section/minimal: {ratio:.2f}")
    print(f"  target ratio >= 0.5: {common.verdict(ratio >= 0.5, f'{ratio:.2f}, {0.5 / ratio:.1f}x short')}")
    p99 = real.p99_ms
    print(f"  target p99 < 50 ms: {common.verdict(p99 < 50, f'{p99:.0f} ms, {p99 / 50:.1f}x the target')}")


if __name__ == "__main__":
    sys.exit(main())
