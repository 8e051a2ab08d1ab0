"""Export benchmark: the response log of 200,000 comments, over HTTP and from the command line.

    .venv/bin/python bench/export.py [--database sqlite|postgresql] [--comments 200000]

Builds its own database (the project's guidance, 500 reviewers, comments in every status, written in bulk)
and measures three ways of writing the same rows as CSV:

- HTTP: a moderator, logged in through the real form, downloads /moderation/export.csv from the app under
  gunicorn (production configuration, the project's gunicorn.conf.py, 2 workers). Time to the first byte of
  the body, total time, and how much the serving worker's resident memory (VmRSS, sampled every 10 ms, and
  its VmHWM) grew over what it used before the request.
- CLI: `flask --app wsgi export comments --out FILE`; total time and peak memory (the process's maximum
  resident set) over the same command's on an export that matches no rows.
- The yardstick: the database's own CSV writer running the export's query: `sqlite3 -csv` (SQLite) or
  `psql -c "COPY (...) TO STDOUT CSV"` (PostgreSQL). Needs `apt-get install -y sqlite3` (or the PostgreSQL
  client).

Targets (issue 20): each export at most 4 times the yardstick's time; the worker's memory growth under 64 MB.
The HTTP and CLI files must be identical and hold every comment; otherwise the exit status is 1.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

import common

from consult_app.extensions import db
from consult_app.services import export

MB = 1024 * 1024
TARGET_RATIO = 4.0  # issue 20: within 4x of the database's own CSV writer
TARGET_GROWTH_MB = 64


@dataclass
class Run:
    method: str
    seconds: float
    first_byte: float | None
    size: int
    memory_mb: float | None
    memory_note: str
    digest: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--comments", type=int, default=200_000, help="comments in the log (200,000)")
    parser.add_argument("--keep", action="store_true", help="keep the database, files and logs")
    args = parser.parse_args()
    if args.database == "sqlite":
        common.require_tool("sqlite3", "sqlite3")
    else:
        common.require_tool("psql", "postgresql-client")
    print(common.machine_note())
    with common.bench_database(args.database, "export", keep=args.keep) as database:
        return run(args, database)


def run(args, database: common.BenchDatabase) -> int:
    started = time.perf_counter()
    app = common.setup_app(database)
    fixture = common.migrate_and_load(app)
    common.add_accounts(app, fixture, reviewers=500)
    total = args.comments
    approved, pending, rejected = total * 60 // 100, total * 25 // 100, total * 10 // 100
    mix = common.CommentMix(
        fixture.section_keys, approved=approved, pending=pending, rejected=rejected,
        withdrawn=total - approved - pending - rejected,
    )  # fmt: skip
    common.add_comments(app, fixture, mix)
    with app.app_context():
        query = str(
            export._row_query().compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        )  # the very query the export runs, for the database's own CSV writer
    common.dispose(app)
    print(f"data: {total:,} comments ({database.kind}), set up in {time.perf_counter() - started:.0f} s")

    folder = database.folder
    runs = [yardstick(database, query, folder / "yardstick.csv")]
    with common.Server("wsgi:app", common.server_environment(database), folder / "server.log") as server:
        runs.append(over_http(server, folder))
    runs.append(by_cli(database, folder))

    rows_in_file = count_rows(folder / "cli.csv")
    report(args, runs)
    failures = []
    if rows_in_file != total:
        failures.append(f"the CLI file has {rows_in_file:,} rows, not {total:,}")
    if runs[1].digest != runs[2].digest:
        failures.append("the HTTP download and the CLI file differ")
    for failure in failures:
        print(f"  FAILURE: {failure}")
    return 1 if failures else 0


def yardstick(database: common.BenchDatabase, query: str, out: Path) -> Run:
    if database.kind == "sqlite":
        command = ["sqlite3", "-csv", "-header", str(database.path), query]
        method = "sqlite3 -csv"
    else:
        command = [
            "psql",
            "-X",
            "-q",
            libpq_url(database.url),
            "-c",
            f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)",
        ]
        method = "psql COPY csv"
    started = time.perf_counter()
    with out.open("wb") as handle:
        subprocess.run(command, stdout=handle, check=True)  # noqa: S603 - the database's own client
    return Run(method, time.perf_counter() - started, None, out.stat().st_size, None, "", "")


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def over_http(server: common.Server, folder: Path) -> Run:
    browser = common.Browser(server.base_url)
    browser.log_in(common.MODERATOR_EMAIL)
    cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    # Warm-up: each worker imports the export code and opens its connections before the baseline is taken.
    for _ in range(6):
        download(server.port, "/moderation/export.csv?section=no-such-section", cookie, None)
    with common.MemorySampler(server.worker_pids()) as sampler:
        seconds, first_byte, size, digest = download(server.port, "/moderation/export.csv", cookie, folder / "http.csv")
    pid, baseline, growth = sampler.growth_kb()
    note = f"worker {pid}: {baseline / 1024:.0f} MB before, peak {(baseline + growth) / 1024:.0f} MB"
    return Run("HTTP /moderation/export.csv", seconds, first_byte, size, growth / 1024, note, digest)


def download(port: int, path: str, cookie: str, out: Path | None) -> tuple[float, float, int, str]:
    """GET `path` and read the body as it streams: (seconds, seconds to the first body byte, bytes, sha256)."""
    digest, size = hashlib.sha256(), 0
    connection = HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    first_byte = None
    with open(out or os.devnull, "wb") as handle:
        while chunk := response.read1(256 * 1024):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            digest.update(chunk)
            handle.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, first_byte or seconds, size, digest.hexdigest()


def by_cli(database: common.BenchDatabase, folder: Path) -> Run:
    environment = common.server_environment(database)
    baseline_kb, _ = flask_export(environment, folder / "empty.csv", "--section", "no-such-section")
    peak_kb, seconds = flask_export(environment, folder / "cli.csv")
    digest = hashlib.sha256((folder / "cli.csv").read_bytes()).hexdigest()
    note = f"process peak {peak_kb / 1024:.0f} MB; {baseline_kb / 1024:.0f} MB for an export of no rows"
    size = (folder / "cli.csv").stat().st_size
    return Run("CLI flask export comments", seconds, None, size, (peak_kb - baseline_kb) / 1024, note, digest)


def flask_export(environment: dict[str, str], out: Path, *extra: str) -> tuple[int, float]:
    """Run the export command; (its peak resident memory in kB, seconds)."""
    command = [str(common.VENV_BIN / "flask"), "--app", "wsgi", "export", "comments", "--out", str(out), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=common.ROOT, env=environment, stderr=subprocess.PIPE)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"flask export failed ({process.returncode}):\n{errors}")
    return usage.ru_maxrss, seconds  # ru_maxrss is in kB on Linux


def count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1  # less the header


def report(args, runs: list[Run]) -> None:
    reference = runs[0].seconds
    rows = []
    for run in runs:
        ratio = run.seconds / reference
        rows.append(
            [
                run.method,
                f"{run.seconds:.2f}",
                "-" if run.first_byte is None else f"{run.first_byte * 1000:.0f}",
                f"{run.size / MB:.1f}",
                "-" if run.memory_mb is None else f"{run.memory_mb:+.1f}",
                f"{ratio:.1f}x",
            ]
        )
    title = f"export: {args.comments:,} comments as CSV (HTTP: 2 gunicorn workers)"
    common.print_table(title, ["method", "seconds", "first byte ms", "MB", "memory growth MB", "vs yardstick"], rows)
    for run in runs[1:]:
        ratio = run.seconds / reference
        print(f"  {run.method}: {run.memory_note}")
        met = ratio <= TARGET_RATIO and run.memory_mb < TARGET_GROWTH_MB
        print(
            f"  RESULT export {args.database} {run.method}: {ratio:.1f}x {runs[0].method} ({run.seconds:.1f} vs "
            f"{reference:.1f} s, {args.comments:,} comments), memory {run.memory_mb:+.0f} MB; target <= "
            f"{TARGET_RATIO:.0f}x, < {TARGET_GROWTH_MB} MB: "
            + common.verdict(met, f"{ratio:.1f}x, {run.memory_mb:.0f} MB")
        )


if __name__ == "__main__":
    sys.exit(main())
