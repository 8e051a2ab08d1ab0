"""Reviewers post comments to gunicorn while a worker, then the whole server, is killed with SIGKILL.

What must hold afterwards: every comment whose post was acknowledged is in the database, exactly once, under
the reference it was acknowledged with; nothing is stored twice; and apart from connections cut by the
kills, every answer was the expected one (no 5xx, no other error).
"""

from __future__ import annotations

import pytest

from tests.support.load import Crowd, check_acknowledged_comments_kept_once
from tests.support.server import wait_until

pytestmark = pytest.mark.faults

# Acknowledged comments to see between the faults: enough that every phase is exercised under load.
PER_PHASE = 15
PHASE_TIMEOUT = 60.0  # seconds to wait for the next acknowledgements: generous on a loaded CI machine


def test_killing_workers_and_the_server_loses_no_acknowledged_comment(site, gunicorn):
    # Rate limits off: 6 reviewers posting flat out would meet the 10-a-minute comment limit at once, and
    # the limiter is the subject of test_redis_outage.py, not of this test.
    server = gunicorn({"DATABASE_URL": site.database_url, "RATELIMIT_ENABLED": "false"})

    with Crowd(server.port, site.emails, site.password, site.section_path) as crowd:
        tally = crowd.tally
        expect_more_acknowledgements(tally, server, "before any fault")

        victim = server.kill_worker()
        wait_until(
            lambda: victim not in server.worker_pids() and len(server.worker_pids()) == 2,
            PHASE_TIMEOUT,
            lambda: f"gunicorn to replace the killed worker {victim}{server.tail()}",
        )
        expect_more_acknowledgements(tally, server, "after a worker was killed")

        server.kill_everything()
        server.start()  # the same port and secret key: reviewers carry on with their sessions
        expect_more_acknowledgements(tally, server, "after the whole server was killed and restarted")

    server.stop()
    assert not tally.crashes, f"reviewers failed: {tally.crashes}"
    wrong = [o for o in tally.outcomes if o.status is not None and o.status != (302 if o.method == "POST" else 200)]
    assert not wrong, f"{len(wrong)} unexpected answers, e.g. {wrong[:3]}{server.tail()}"
    # While the whole server was down, reviewers' connections were refused: the faults really happened.
    assert tally.cuts(), "no connection was ever cut: the kills did not happen while reviewers were posting"
    check_acknowledged_comments_kept_once(tally, site.database_url)


def expect_more_acknowledgements(tally, server, when: str) -> None:
    target = tally.count_acknowledged() + PER_PHASE
    wait_until(
        lambda: tally.count_acknowledged() >= target or tally.crashes,
        PHASE_TIMEOUT,
        lambda: f"{PER_PHASE} more acknowledged comments {when} (now {tally.count_acknowledged()}){server.tail()}",
    )
    assert not tally.crashes, f"reviewers failed {when}: {tally.crashes}"
