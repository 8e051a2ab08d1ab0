"""Many reviewers posting comments at once, and the check that each acknowledged comment is stored once.

Every comment carries a token of its own, so the database can be checked against the acknowledgements: a post
is acknowledged when the app answers 302 to the section with the new comment's reference (`#C-000042`), which
is what tells a person "your comment is saved". A post is never retried: a reviewer whose connection was cut
writes a new comment with a new token.

The fault tests let reviewers post until told to stop (and follow each redirect, as a browser would, which also
clears the flashed message); the write benchmark gives them a number of comments to share out and does not
follow (the redirected page is a read, which bench/read.py measures).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, select

from consult_app.models import Comment, User
from tests.support.client import TIMEOUT, Browser, ConnectionCutError, Response, path_of

TOKEN = re.compile(r"load-[0-9a-f]{32}")
ACKNOWLEDGED = re.compile(r"#(C-\d{6,})$")
KINDS = ("general", "suggestion", "concern", "support")
PUBLICATIONS = ("public_named", "public_anonymous", "private")


@dataclass
class Outcome:
    """One request: what was asked, when, and what came back (a status, or None for a cut connection)."""

    method: str
    path: str
    started: float
    seconds: float
    status: int | None
    detail: str = ""  # the page of an error status, or why the connection failed
    reference: str | None = None  # for an acknowledged post


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, str] = field(default_factory=dict)  # token -> the author's email
    acknowledged: dict[str, str] = field(default_factory=dict)  # token -> reference
    outcomes: list[Outcome] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # exceptions that ended a reviewer's thread

    def count_acknowledged(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def record(self, outcome: Outcome, token: str | None = None) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if token and outcome.reference:
                self.acknowledged[token] = outcome.reference

    def cuts(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is None]

    def with_status(self, wanted) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is not None and wanted(outcome.status)]

    def posts(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.method == "POST"]


class Budget:
    """How many comments the crowd may still post between them (None: until stopped)."""

    def __init__(self, total: int | None) -> None:
        self.left, self._lock = total, threading.Lock()

    def take(self) -> bool:
        if self.left is None:
            return True
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class Reviewer(threading.Thread):
    """Logs in through the form, opens the section (the comment form's token), then posts until stopped or
    until the budget is spent."""

    def __init__(self, crowd: Crowd, email: str, section_path: str) -> None:
        super().__init__(name=f"reviewer-{email}", daemon=True)
        self.crowd, self.email, self.section_path = crowd, email, section_path
        self.browser = Browser(crowd.address, timeout=crowd.timeout, keep_alive=crowd.keep_alive)
        self.ready = threading.Event()

    def run(self) -> None:
        tally = self.crowd.tally
        try:
            self.browser.log_in(self.email, self.crowd.password)
            self.browser.get(self.section_path)
            self.ready.set()
            self.crowd.go.wait()
            while not self.crowd.stop.is_set() and self.crowd.budget.take():
                self.post_one(len(tally.sent))
        except Exception as error:  # a reviewer that fails is reported, and the caller fails
            tally.crashes.append(f"{self.name}: {type(error).__name__}: {error}")
        finally:
            self.browser.close()

    def post_one(self, number: int) -> None:
        token = f"load-{uuid.uuid4().hex}"
        with self.crowd.tally.lock:
            self.crowd.tally.sent[token] = self.email
        fields = {
            "body": f"A comment from {self.email}, {token}.",
            "kind": KINDS[number % len(KINDS)],
            "publication": PUBLICATIONS[number % len(PUBLICATIONS)],
        }
        # Without following, the answer's cookie would pile up one "thank you" message per post in the session
        # (a browser shows and drops it on the redirected page): it is not kept then.
        response = self._send("POST", self.section_path, fields, keep_cookies=self.crowd.follow)
        if response is None:
            time.sleep(0.02)  # the server is down: try again soon, with a new comment
            return
        match = ACKNOWLEDGED.search(response.location) if response.status == 302 else None
        self.crowd.tally.record(_outcome("POST", self.section_path, response, match and match.group(1)), token)
        if not match:
            time.sleep(0.02)  # refused (a 503 in an outage): write the next one a moment later
        elif self.crowd.follow:
            followed = self._send("GET", path_of(response.location))
            if followed is not None:
                self.crowd.tally.record(_outcome("GET", path_of(response.location), followed))

    def _send(self, method: str, path: str, fields: dict | None = None, keep_cookies: bool = True) -> Response | None:
        started = time.monotonic()
        try:
            if method == "POST":
                return self.browser.post(path, fields, keep_cookies=keep_cookies)
            return self.browser.get(path)
        except ConnectionCutError as error:
            self.crowd.tally.record(Outcome(method, path, started, time.monotonic() - started, None, str(error)))
            return None


def _outcome(method: str, path: str, response: Response, reference: str | None = None) -> Outcome:
    detail = "" if response.status < 400 else response.text
    return Outcome(method, path, response.started, response.seconds, response.status, detail, reference)


class Crowd:
    """Several reviewers at once. `with Crowd(...)` logs them all in, lets them post, and stops and joins them
    however the block ends; `wait()` waits until a budget is spent.

    `section_paths`: one path for everyone, or a list dealt out in turn."""

    def __init__(
        self,
        address: str | int,
        emails: list[str],
        password: str,
        section_paths: str | list[str],
        total: int | None = None,
        follow: bool = True,
        keep_alive: bool = False,
        timeout: float = TIMEOUT,
    ) -> None:
        self.address, self.password, self.follow, self.keep_alive, self.timeout = (
            address, password, follow, keep_alive, timeout,
        )  # fmt: skip
        paths = [section_paths] if isinstance(section_paths, str) else section_paths
        self.tally, self.budget = Tally(), Budget(total)
        self.stop, self.go = threading.Event(), threading.Event()
        self.reviewers = [Reviewer(self, email, paths[i % len(paths)]) for i, email in enumerate(emails)]
        self.started = self.ended = 0.0

    def __enter__(self) -> Crowd:
        """Start the reviewers, wait until all have logged in (before anything is broken), then let them post."""
        for reviewer in self.reviewers:
            reviewer.start()
        deadline = time.monotonic() + 60
        for reviewer in self.reviewers:
            while not reviewer.ready.wait(0.05):
                if self.tally.crashes or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise AssertionError(f"reviewers could not log in: {self.tally.crashes or 'timed out after 60 s'}")
        self.started = time.monotonic()
        self.go.set()
        return self

    def wait(self) -> None:
        """Until every reviewer has finished (a budget spent, or a crash)."""
        for reviewer in self.reviewers:
            reviewer.join()
        self.ended = self.ended or time.monotonic()

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.go.set()
        for reviewer in self.reviewers:
            reviewer.join(timeout=self.timeout + 5)  # a request under way may take its whole timeout
        self.ended = self.ended or time.monotonic()
        alive = [reviewer.name for reviewer in self.reviewers if reviewer.is_alive()]
        assert not alive, f"reviewers still running {self.timeout + 5:g} s after being stopped: {alive}"


def stored_tokens(database_url: str) -> tuple[Counter, dict[str, tuple[str, str]]]:
    """Every token in the comments table: how many rows carry it, and the reference and author's email of (one
    of) them."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            statement = select(Comment.id, Comment.body_md, User.email).outerjoin(User, Comment.author_id == User.id)
            rows = connection.execute(statement).all()
    finally:
        engine.dispose()
    counts: Counter = Counter()
    found: dict[str, tuple[str, str]] = {}
    for comment_id, body, email in rows:
        for token in TOKEN.findall(body):
            counts[token] += 1
            found[token] = (f"C-{comment_id:06d}", email or "")
    return counts, found


def storage_problems(tally: Tally, database_url: str) -> list[str]:
    """What is wrong with the stored comments against the acknowledgements: nothing when each acknowledged comment
    is stored exactly once, under its reference, by its author, and nothing else was stored."""
    counts, found = stored_tokens(database_url)
    problems = [f"stored {count} times: {token}" for token, count in counts.items() if count > 1]
    problems += [f"stored, but no reviewer sent it: {token}" for token in sorted(set(counts) - set(tally.sent))]
    for token, reference in tally.acknowledged.items():
        if token not in counts:
            problems.append(f"acknowledged as {reference}, missing from the database")
        elif found[token] != (reference, tally.sent[token]):
            problems.append(f"acknowledged as {reference} for {tally.sent[token]}, stored as {found[token]}")
    return problems


def check_acknowledged_comments_kept_once(tally: Tally, database_url: str) -> None:
    problems = storage_problems(tally, database_url)
    assert not problems, f"{len(problems)} problems, e.g. {problems[:5]}"
