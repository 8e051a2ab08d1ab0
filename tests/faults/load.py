"""Reviewers posting comments from threads while the tests break things, and the record of what they saw.

Every comment carries a token of its own, so the database can be checked against the acknowledgements:
a post is acknowledged when the app answers 302 to the section with the new comment's reference
(`#C-000042`), which is what tells a person "your comment is saved". A post is never retried: a reviewer
whose connection was cut writes a new comment with a new token.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, select

from consult_app.models import Comment
from tests.faults.browser import Browser, ConnectionCutError, Response, path_of

TOKEN = re.compile(r"fault-[0-9a-f]{32}")
ACKNOWLEDGED = re.compile(r"#(C-\d{6,})$")


@dataclass
class Outcome:
    """One request: what was asked, when, and what came back (a status, or None for a cut connection)."""

    method: str
    path: str
    started: float
    seconds: float
    status: int | None
    detail: str = ""  # the page of an error status, or why the connection failed


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: set[str] = field(default_factory=set)
    acknowledged: dict[str, str] = field(default_factory=dict)  # token -> reference
    outcomes: list[Outcome] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # exceptions that ended a reviewer's thread

    def count_acknowledged(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def record(self, outcome: Outcome, token: str | None = None, reference: str | None = None) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if token and reference:
                self.acknowledged[token] = reference

    def cuts(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is None]

    def with_status(self, wanted) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is not None and wanted(outcome.status)]


class Reviewer(threading.Thread):
    """Logs in through the form, then posts comments (and reads the page it is sent back to) until stopped."""

    def __init__(self, port: int, email: str, password: str, section_path: str, tally: Tally, stop: threading.Event):
        super().__init__(name=f"reviewer-{email}", daemon=True)
        self.browser = Browser(port)
        self.email, self.password = email, password
        self.section_path = section_path
        self.tally = tally
        self.stop = stop
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            self.browser.log_in(self.email, self.password)
            self.browser.get(self.section_path)  # the comment form and its CSRF token
            self.ready.set()
            while not self.stop.is_set():
                self.post_one()
        except Exception as error:  # a reviewer that fails is reported, and the test fails
            self.tally.crashes.append(f"{self.name}: {type(error).__name__}: {error}")

    def post_one(self) -> None:
        token = f"fault-{uuid.uuid4().hex}"
        with self.tally.lock:
            self.tally.sent.add(token)
        fields = {"body": f"A comment written under fire, {token}.", "kind": "general", "publication": "public_named"}
        response = self._send("POST", self.section_path, fields)
        if response is None:
            time.sleep(0.02)  # the server is down: try again soon, with a new comment
            return
        match = ACKNOWLEDGED.search(response.location) if response.status == 302 else None
        self.tally.record(_outcome("POST", self.section_path, response), token, match and match.group(1))
        if not match:
            time.sleep(0.02)  # refused (a 503 in an outage): write the next one a moment later
            return
        # As a browser would: follow the redirect (which also shows, and so clears, the flash message).
        followed = self._send("GET", path_of(response.location))
        if followed is not None:
            self.tally.record(_outcome("GET", path_of(response.location), followed))

    def _send(self, method: str, path: str, fields: dict | None = None) -> Response | None:
        started = time.monotonic()
        try:
            return self.browser.post(path, fields) if method == "POST" else self.browser.get(path)
        except ConnectionCutError as error:
            self.tally.record(Outcome(method, path, started, time.monotonic() - started, None, str(error)))
            return None


def _outcome(method: str, path: str, response: Response) -> Outcome:
    detail = "" if response.status < 400 else response.text
    return Outcome(method, path, response.started, response.seconds, response.status, detail)


class Crowd:
    """Several reviewers at once; `with Crowd(...)` stops and joins them however the block ends."""

    def __init__(self, port: int, emails: list[str], password: str, section_path: str) -> None:
        self.tally = Tally()
        self.stop = threading.Event()
        self.reviewers = [Reviewer(port, email, password, section_path, self.tally, self.stop) for email in emails]

    def __enter__(self) -> Crowd:
        """Start the reviewers and wait until all have logged in (before anything is broken)."""
        for reviewer in self.reviewers:
            reviewer.start()
        deadline = time.monotonic() + 30
        for reviewer in self.reviewers:
            while not reviewer.ready.wait(0.05):
                if self.tally.crashes or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise AssertionError(f"reviewers could not log in: {self.tally.crashes or 'timed out after 30 s'}")
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for reviewer in self.reviewers:
            reviewer.join(timeout=15)
        alive = [reviewer.name for reviewer in self.reviewers if reviewer.is_alive()]
        assert not alive, f"reviewers still running 15 s after being stopped: {alive}"


def stored_tokens(database_url: str) -> tuple[Counter, dict[str, str]]:
    """Every token in the comments table: how many rows carry it, and the reference of (one of) them."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Comment.id, Comment.body_md)).all()
    finally:
        engine.dispose()
    counts: Counter = Counter()
    references: dict[str, str] = {}
    for comment_id, body in rows:
        for token in TOKEN.findall(body):
            counts[token] += 1
            references[token] = f"C-{comment_id:06d}"
    return counts, references


def check_acknowledged_comments_kept_once(tally: Tally, database_url: str) -> None:
    counts, references = stored_tokens(database_url)
    duplicated = {token: count for token, count in counts.items() if count > 1}
    assert not duplicated, f"comments stored more than once: {duplicated}"
    unknown = set(counts) - tally.sent
    assert not unknown, f"comments in the database that no reviewer sent: {sorted(unknown)[:5]}"
    lost = {token: reference for token, reference in tally.acknowledged.items() if token not in counts}
    assert not lost, f"{len(lost)} acknowledged comments missing from the database: {list(lost.items())[:5]}"
    moved = {token: (reference, references[token]) for token, reference in tally.acknowledged.items()
             if references[token] != reference}  # fmt: skip
    assert not moved, f"acknowledged references that name another row: {list(moved.items())[:5]}"
