"""Visitors' cached pages across processes: two gunicorn workers with Redis's change token, a change made by a
worker (a reviewer renames themselves) and by the CLI (a new version of the guidance), then the same with Redis
cut off and brought back (consult_app/page_changes.py).

What must hold: once the staleness bound (PAGE_CACHE_STALE_MS) has passed after a change was committed, every
answer from every worker shows it; with Redis away the pages come from the fingerprint query and are fresh;
when Redis is back no worker falls back to a page matched before the outage.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import pytest

from consult_app.extensions import db
from consult_app.models import Document, User
from tests.conftest import make_app
from tests.factories import make_comment, write_guidance
from tests.faults.proxy import TcpProxy
from tests.support.client import Browser
from tests.support.server import PROJECT_ROOT

pytestmark = pytest.mark.faults

STALE_MS = 500
BOUND = STALE_MS / 1000
AFTER_THE_BOUND = 20  # requests that must all be fresh: with new connections, both workers answer some


def approved_comment_by(site, email: str) -> None:
    app = make_app(site.database_url)
    with app.app_context():
        author = db.session.query(User).filter_by(email=email).one()
        author.display_name = "Name Before"
        db.session.commit()
        document = db.session.query(Document).one()
        make_comment(author, document, "introduction", status="approved", body="A published comment.")


def shown_after_the_bound(visitor: Browser, path: str, text: str, changed_at: float) -> list[bool]:
    """Read `path` until the bound has passed since `changed_at`, then AFTER_THE_BOUND times more: whether each
    of those last answers shows `text` (the ones inside the bound may or may not)."""
    while time.monotonic() < changed_at + BOUND:
        assert visitor.get(path).status == 200
    answers = [visitor.get(path) for _ in range(AFTER_THE_BOUND)]
    assert all(answer.status == 200 and answer.headers.get("etag") for answer in answers)
    return [text in answer.text for answer in answers]


def load_guidance_by_cli(server, folder, text: str) -> None:
    sections = [("Introduction {#introduction}", text), ("Public good {#public-good}", "Statistics serve.")]
    path = write_guidance(folder, f"v-{uuid.uuid4().hex[:6]}.md", sections=sections)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "guidance", "load", str(path)]
    done = subprocess.run(command, env=server.environment, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_changes_from_a_worker_and_the_cli_reach_every_worker_within_the_bound(site, gunicorn, tmp_path, redis_url):
    approved_comment_by(site, site.emails[0])
    with TcpProxy(urlsplit(redis_url).port) as proxy:
        server = gunicorn(
            {
                "DATABASE_URL": site.database_url,
                "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0",
                "RATELIMIT_ENABLED": "false",
                "CONSULT_PAGE_CACHE_KEY": f"consult-test:visible-change:{uuid.uuid4().hex}",
                "CONSULT_PAGE_CACHE_STALE_MS": str(STALE_MS),
                # Longer than the test: the token alone must keep the pages fresh, not the periodic check.
                "CONSULT_PAGE_CACHE_RECHECK_SECONDS": "3600",
            }
        )
        visitor, path = Browser(server.port), site.section_path
        assert all(shown_after_the_bound(visitor, path, "Name Before", time.monotonic()))

        # A worker: the author renames themselves; whichever worker took the post, both must show the new name.
        author = Browser(server.port)
        author.log_in(site.emails[0], site.password)
        author.get("/account/")
        profile = {"name": "Name After", "organisation": "Lab", "respondent_type": "individual", "country": "Chile"}
        assert author.post("/account/profile", profile).status == 302
        assert all(shown_after_the_bound(visitor, path, "Name After", time.monotonic()))

        # The CLI, another process: a new version of the guidance.
        load_guidance_by_cli(server, tmp_path, "Version two, loaded from the command line.")
        assert all(shown_after_the_bound(visitor, path, "Version two", time.monotonic()))

        # Redis cut off: the change is counted nowhere, and the pages are checked in the database instead.
        proxy.cut()
        load_guidance_by_cli(server, tmp_path, "Version three, loaded while Redis was away.")
        assert all(shown_after_the_bound(visitor, path, "Version three", time.monotonic()))
        assert proxy.refused > 0, "the app never tried to reach Redis during the outage"

        # Redis back: the token is the one from before the outage, and the pages matched to it are old.
        proxy.restore()
        assert all(shown_after_the_bound(visitor, path, "Version three", time.monotonic() + 1.0))
        load_guidance_by_cli(server, tmp_path, "Version four, after Redis came back.")
        assert all(shown_after_the_bound(visitor, path, "Version four", time.monotonic()))

    log = server.log()
    assert "page cache: Redis unavailable" in log and '" 500 ' not in log, server.tail()
