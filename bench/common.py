"""What the benchmarks share: throw-away databases, bulk test data, gunicorn servers, wrk, a small HTTP client
that logs in through the real forms, memory sampling and the printed tables.

Every benchmark builds its own database (a SQLite file in a temporary folder, or a fresh PostgreSQL database
on 127.0.0.1:5432 that is dropped at the end), starts its own servers on free ports of 127.0.0.1 and stops
them again. Data is written in bulk (SQLAlchemy core inserts of many rows at once): rendering 200,000
comments one by one through the ORM would take longer than the benchmark itself. Comment HTML still comes
from the app's own renderer, once per distinct body.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
# Run as `python bench/<name>.py`: the project root must be importable for consult_app and config.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import insert, select, text, update  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from consult_app import MIGRATIONS_DIR, create_app  # noqa: E402
from consult_app.extensions import db  # noqa: E402
from consult_app.models import Comment, Document, Section, User, Version  # noqa: E402
from consult_app.models.user import PASSWORD_METHOD  # noqa: E402
from consult_app.services.guidance import default_sources, load_guidance  # noqa: E402
from consult_app.text import render_comment  # noqa: E402
from tests.support import client  # noqa: E402 - one home for the test and benchmark helpers
from tests.support.client import Response  # noqa: E402
from tests.support.databases import Throwaway, throwaway_database  # noqa: E402
from tests.support.server import Gunicorn, production_environment  # noqa: E402

VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
BASE_URL = "http://127.0.0.1"
# Production refuses to start without a controller and a privacy contact (services/privacy.py).
CONTROLLER = "Benchmark Institute"
PRIVACY_CONTACT = "privacy@example.org"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-" + secrets.token_hex(16)
PASSWORD = "bench reviewer passphrase 2026"  # noqa: S105 - a throw-away account of a throw-away database
MODERATOR_EMAIL = "moderator@bench.example.org"
INSERT_CHUNK = 5_000
PUBLIC_PUBLICATIONS = ("public_named", "public_anonymous")

# Comment bodies in the shapes people write: a sentence, paragraphs, a list, a link, emphasis, a quote.
BODIES = [
    (
        "suggestion",
        "The section would be easier to apply with a **worked example** from a household survey, "
        "showing which records were used to train the model and which were held back for testing.",
    ),
    (
        "concern",
        "We are worried that the review step described here depends on staff who understand the model. "
        "Small offices often have one data scientist; what happens when that person leaves?\n\n"
        "A proportionate version for small teams would help.",
    ),
    (
        "support",
        "This matches what our ethics committee asked us to do last year. The list of questions is "
        "*particularly* useful and we would like to see it kept in the final text.",
    ),
    (
        "general",
        "Could the text say how this applies to models bought from a supplier?\n\n"
        "- the training data may not be available\n- the code may be closed\n- updates arrive without notice",
    ),
    (
        "suggestion",
        "Please link to the published principles (https://example.org/principles) so that readers "
        "see where the duty to explain comes from.",
    ),
    (
        "concern",
        "> documented and reviewed before use\n\nWho reviews it, and how often? The draft is silent on "
        "the frequency of review once a model is in production, which is where drift shows up.",
    ),
    (
        "general",
        "In our office we keep a one-page record for every model: purpose, data, owner, last review. "
        "It costs little and answers most of the questions in this section.",
    ),
    (
        "support",
        "Strongly agree with keeping a person in the loop for low-confidence cases. We would add that "
        "the threshold itself should be written down and reviewed.",
    ),
]
QUOTE = "Machine learning is now part of the everyday toolkit"
PEOPLE = [
    ("National statistics office", "national_statistics_office", "Senegal"),
    ("University research group", "academia_research", "United Kingdom"),
    ("Ministry of planning", "other_government", "Chile"),
    ("Regional partnership", "international_organisation", "Thailand"),
    ("Open data group", "civil_society", "Nigeria"),
    ("", "individual", "Bulgaria"),
    ("Analytics firm", "private_sector", "Portugal"),
]


# --- databases ----------------------------------------------------------------------------------------------


BenchDatabase = Throwaway  # url, kind ("sqlite" | "postgresql"), folder, path


@contextlib.contextmanager
def bench_database(kind: str, label: str, keep: bool = False) -> Iterator[BenchDatabase]:
    """A fresh, empty database and a scratch folder; both are removed afterwards unless `keep`."""
    if kind not in ("sqlite", "postgresql"):
        raise ValueError(f"unknown database kind {kind!r}")
    with throwaway_database(POSTGRES_ADMIN_URL if kind == "postgresql" else None, f"bench_{label}", keep) as database:
        yield database


def server_environment(database: BenchDatabase, **extra: str) -> dict[str, str]:
    """The environment of a production server (and of the `flask` command) on `database`."""
    settings = {"DATABASE_URL": database.url, "MAIL_URL": "console://", "SECRET_KEY": SECRET_KEY}
    # Production answers only to this host name (any port): the benchmarks speak to 127.0.0.1.
    settings.update(CONSULT_BASE_URL=BASE_URL, CONSULT_CONTROLLER=CONTROLLER, CONSULT_PRIVACY_CONTACT=PRIVACY_CONTACT)
    return production_environment(0, **settings, **extra)


def setup_app(database: BenchDatabase):
    """The production app on `database` in this process, for writing the data (the servers are separate)."""
    with quiet_logs():
        settings = {"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": SECRET_KEY, "CONSULT_BASE_URL": BASE_URL}
        settings.update(CONSULT_CONTROLLER=CONTROLLER, CONSULT_PRIVACY_CONTACT=PRIVACY_CONTACT)
        return create_app("production", settings)


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """No INFO and WARNING lines from the set-up (migrations, the in-process rate limiter) among the figures."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


# --- data ---------------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    """What the data set-up made, for the benchmark to use."""

    slug: str
    document_id: int
    version_id: int
    section_keys: list[str]
    moderator_email: str = MODERATOR_EMAIL
    reviewer_emails: list[str] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    moderator_id: int = 0


def migrate_and_load(app) -> Fixture:
    """Run the migrations, load the project's guidance and open its first document for comments."""
    with app.app_context(), quiet_logs():
        flask_migrate.upgrade(directory=str(MIGRATIONS_DIR))
        load_guidance(default_sources(app.config["GUIDANCE_DIR"]))
        db.session.commit()
        document = db.session.scalars(select(Document).order_by(Document.id)).first()
        now = datetime.now(UTC)
        # The bench must not depend on today's date: the consultation is open for a month around now.
        db.session.execute(
            update(Document)
            .where(Document.id == document.id)
            .values(opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=30))
        )
        version = db.session.scalar(
            select(Version).where(Version.document_id == document.id, Version.number == document.current_version_number)
        )
        keys = list(
            db.session.scalars(select(Section.key).where(Section.version_id == version.id).order_by(Section.number))
        )
        db.session.commit()
        return Fixture(document.slug, document.id, version.id, keys)


def add_accounts(app, fixture: Fixture, reviewers: int) -> None:
    """One moderator and `reviewers` confirmed reviewer accounts, all with PASSWORD (hashed once)."""
    password_hash = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
    now = datetime.now(UTC)
    rows = []
    for number in range(reviewers + 1):
        organisation, respondent_type, country = PEOPLE[number % len(PEOPLE)]
        is_moderator = number == reviewers
        rows.append(
            {
                "email": MODERATOR_EMAIL if is_moderator else f"reviewer{number:05d}@bench.example.org",
                "display_name": "Bench Moderator" if is_moderator else f"Reviewer {number}",
                "organisation": organisation,
                "respondent_type": respondent_type,
                "country": country,
                "role": "moderator" if is_moderator else "reviewer",
                "active": True,
                "password_hash": password_hash,
                "email_confirmed_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
            }
        )
    with app.app_context():
        db.session.execute(insert(User.__table__), rows)
        db.session.commit()
        users = db.session.execute(select(User.id, User.email, User.role).order_by(User.id)).all()
    fixture.reviewer_ids = [user.id for user in users if user.role == "reviewer"]
    fixture.reviewer_emails = [user.email for user in users if user.role == "reviewer"]
    fixture.moderator_id = next(user.id for user in users if user.role == "moderator")


@dataclass
class CommentMix:
    """How many comments of each status; `start` is when the oldest was written, the rest follow evenly."""

    section_keys: Sequence[str]
    approved: int = 0
    pending: int = 0
    rejected: int = 0
    withdrawn: int = 0
    publications: Sequence[str] = ("public_named", "public_anonymous", "private")
    start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=30))

    @property
    def total(self) -> int:
        return self.approved + self.pending + self.rejected + self.withdrawn


def add_comments(app, fixture: Fixture, mix: CommentMix, progress: bool = True) -> int:
    """Insert `mix.total` comments in chunks; statuses interleaved so every stretch of time has each."""
    rendered = [(kind, body, render_comment(body)) for kind, body in BODIES]
    statuses = _statuses(mix)
    step = timedelta(days=29) / max(mix.total, 1)
    authors = fixture.reviewer_ids
    written = 0
    with app.app_context():
        while written < mix.total:
            size = min(INSERT_CHUNK, mix.total - written)
            rows = [
                _comment_row(fixture, mix, number, statuses[number], rendered, authors, step)
                for number in range(written, written + size)
            ]
            db.session.execute(insert(Comment.__table__), rows)
            db.session.commit()
            written += size
            if progress and written % 50_000 == 0:
                print(f"  ... {written:,} comments written", flush=True)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would have done by the time a table grew to this size one comment at a time:
            # without statistics, the planner guesses, and the bench would measure its guesses.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return written


def _statuses(mix: CommentMix) -> list[str]:
    """Every comment's status, in the mix's proportions, shuffled the same way every run."""
    statuses = ["approved"] * mix.approved + ["pending"] * mix.pending
    statuses += ["rejected"] * mix.rejected + ["withdrawn"] * mix.withdrawn
    random.Random(2026).shuffle(statuses)  # noqa: S311 - sample data, nothing secret
    return statuses


def _comment_row(fixture, mix, number, status, rendered, authors, step) -> dict:
    kind, body_md, body_html = rendered[number % len(rendered)]
    key = mix.section_keys[number % len(mix.section_keys)]
    created = mix.start + step * number
    decided = status in ("approved", "rejected")
    answered = status == "approved" and number % 3 == 0
    return {
        "document_id": fixture.document_id,
        "version_id": fixture.version_id,
        "section_key": key,
        "author_id": authors[number % len(authors)],
        "parent_id": None,
        "kind": kind,
        "quote": QUOTE if number % 5 == 0 and key == "introduction" else "",
        "body_md": body_md,
        "body_html": body_html,
        "publication": mix.publications[number % len(mix.publications)],
        "status": status,
        "created_at": created,
        "updated_at": created,
        "moderated_by_id": fixture.moderator_id if decided else None,
        "moderated_at": created + timedelta(hours=5) if decided else None,
        "moderation_reason": "off_topic" if status == "rejected" else None,
        "moderation_note": "",
        "disposition": "noted" if answered else None,
        "response": "Thank you; the drafting team will consider this." if answered else "",
        "responded_by_id": fixture.moderator_id if answered else None,
        "responded_at": created + timedelta(days=1) if answered else None,
    }


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- servers ------------------------------------------------------------------------------------------------


def Server(app_spec: str, environment: dict[str, str], log_path: Path, workers: int = 2, chdir: Path = ROOT):  # noqa: N802 - used as a class
    """A gunicorn master with its workers (tests/support/server.py), with the project's gunicorn.conf.py and the
    given number of workers, on a free port of 127.0.0.1: `with Server(...) as server:`."""
    return Gunicorn(log_path, environment, workers=workers, app=app_spec, chdir=chdir)


def proc_status_kb(pid: int, key: str) -> int:
    """A `VmRSS`/`VmHWM` figure of /proc/<pid>/status in kB (0 when the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class MemorySampler:
    """Samples the resident memory of some processes every `interval` seconds on a thread."""

    def __init__(self, pids: Sequence[int], interval: float = 0.01) -> None:
        self.pids, self.interval = list(pids), interval
        self.baseline = {pid: proc_status_kb(pid, "VmRSS") for pid in self.pids}
        self.baseline_hwm = {pid: proc_status_kb(pid, "VmHWM") for pid in self.pids}
        self.peak = dict(self.baseline)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], proc_status_kb(pid, "VmRSS"))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        # The kernel's high-water mark also catches a peak between two samples; it is a peak since the process
        # started, so it only tells us something when it rose during the measurement.
        for pid in self.pids:
            high_water = proc_status_kb(pid, "VmHWM")
            if high_water > self.baseline_hwm[pid]:
                self.peak[pid] = max(self.peak[pid], high_water)

    def growth_kb(self) -> tuple[int, int, int]:
        """(pid, baseline kB, growth kB) of the process that grew most."""
        pid = max(self.pids, key=lambda p: self.peak[p] - self.baseline[p])
        return pid, self.baseline[pid], self.peak[pid] - self.baseline[pid]


# --- HTTP ---------------------------------------------------------------------------------------------------


Answer = Response


class Browser(client.Browser):
    """The shared client (tests/support/client.py) on one kept-alive connection, with a benchmark's patience and
    the password of the benchmark's accounts."""

    def __init__(self, base_url: str, timeout: float = 300.0) -> None:
        super().__init__(base_url, timeout=timeout, keep_alive=True)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        super().log_in(email, password)


csrf_token = client.csrf_token


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append((self._open, " ".join("".join(self._text).split())))
            self._open = None


def next_link(html: str, current: str) -> str | None:
    """The URL of the "next page" link of a page (rel="next", or a link whose text starts with "Next")."""
    parser = _Links()
    parser.feed(html)
    for attrs, label in parser.links:
        rel = (attrs.get("rel") or "").split()
        if attrs.get("href") and ("next" in rel or label.lower().startswith("next")):
            return urljoin(current, attrs["href"].replace("&amp;", "&"))
    return None


# --- wrk ----------------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def run_wrk(url: str, connections: int, seconds: int, threads: int = 2, headers: Sequence[str] = ()) -> WrkResult:
    """Load `url` with wrk (each of `headers`, "Name: value", sent with every request); parse its --latency report."""
    extra = [argument for header in headers for argument in ("-H", header)]
    # A 10 s timeout rather than wrk's 2 s: on a busy machine a slow page is a figure, not a socket error.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", *extra, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkResult:
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no {label}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS[match.group(2)]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    errors = re.search(r"^\s*Socket errors: (.*)$", output, re.MULTILINE)
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses: (\d+)", output, re.MULTILINE)
    if rate is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return WrkResult(
        float(rate.group(1)),
        latency("50"),
        latency("99"),
        int(total.group(1)),
        errors.group(1).strip() if errors else "",
        int(non_2xx.group(1)) if non_2xx else 0,
    )


# --- figures ------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5 - 1e-9)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(header)), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    print(f"\n{title}")
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def verdict(met: bool, how_much: str) -> str:
    """'met', or 'MISSED (...)' saying by how much: a missed target is reported, never a failure."""
    return "met" if met else f"MISSED ({how_much})"


def machine_note() -> str:
    load1, load5, _ = os.getloadavg()
    return f"machine: {os.cpu_count()} CPUs, load average {load1:.2f} (1 min) {load5:.2f} (5 min) at start"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is not installed: apt-get install -y {package}")
    return path
