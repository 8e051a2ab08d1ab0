"""PostgreSQL goes away mid-run and comes back: gunicorn reaches it through a proxy that the test cuts.

During the outage every request must end promptly with the 503 page in the site's layout (never a hang, a
500 or a dropped connection) and the app must log why; once the database is back, requests succeed again
in the same worker processes (the pool's pre-ping replaces the dead connections), and no acknowledged
comment is lost or stored twice.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy.engine import make_url

from tests.faults.proxy import TcpProxy
from tests.support.databases import is_postgres
from tests.support.load import Crowd, check_acknowledged_comments_kept_once
from tests.support.server import healthz, wait_until

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not is_postgres(os.environ.get("TEST_DATABASE_URL") or "sqlite://"),
        reason="needs TEST_DATABASE_URL pointing at PostgreSQL: the outage is a cut TCP connection to the server",
    ),
]

PER_PHASE = 15
PHASE_TIMEOUT = 60.0  # seconds to wait for the next acknowledgements: generous on a loaded CI machine
OUTAGE_REFUSALS = 10  # 503 answers to see before the database comes back
SLOWEST_ANSWER = 5.0  # seconds: a refusal must be prompt (any answer at all within the browser's 10 s timeout)
UNAVAILABLE = "The service is briefly unavailable. Please try again in a moment."


def test_requests_fail_cleanly_while_postgresql_is_cut_off_and_succeed_once_it_is_back(site, gunicorn):
    upstream = make_url(site.database_url)
    with TcpProxy(upstream.port or 5432, upstream.host or "127.0.0.1") as proxy:
        through_proxy = upstream.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = gunicorn({"DATABASE_URL": through_proxy, "RATELIMIT_ENABLED": "false"})
        processes = (server.process.pid, server.worker_pids())

        with Crowd(server.port, site.emails[:4], site.password, site.section_path) as crowd:
            tally = crowd.tally
            wait_for(lambda: tally.count_acknowledged() >= PER_PHASE, "comments saved before the outage", tally, server)

            cut_at = time.monotonic()
            proxy.cut()
            wait_for(lambda: len(tally.with_status(lambda s: s == 503)) >= OUTAGE_REFUSALS, "503s", tally, server)
            assert healthz(server.port) == 503
            acknowledged_before_restore = tally.count_acknowledged()

            restored_at = time.monotonic()
            proxy.restore()
            target = acknowledged_before_restore + PER_PHASE
            wait_for(lambda: tally.count_acknowledged() >= target, "comments saved after the outage", tally, server)
            assert healthz(server.port) == 200

        assert (server.process.pid, server.worker_pids()) == processes, "gunicorn restarted a process"
        server.stop()

    assert not tally.crashes, f"reviewers failed (a hang shows as TimeoutError): {tally.crashes}"
    assert not tally.cuts(), f"connections were cut: {tally.cuts()[:3]}{server.tail()}"
    refused = tally.with_status(lambda status: status == 503)
    slow = [o for o in refused if o.seconds > SLOWEST_ANSWER]
    assert not slow, f"refusals slower than {SLOWEST_ANSWER} s: {[(o.method, o.seconds) for o in slow[:3]]}"
    assert refused and all(UNAVAILABLE in o.detail and 'class="site-header"' in o.detail for o in refused)
    assert all(cut_at <= o.started + o.seconds and o.started < restored_at for o in refused), (
        "a 503 outside the outage: every request sent after the database came back must succeed"
    )
    wrong = tally.with_status(lambda status: status not in (200, 302, 503))
    assert not wrong, f"unexpected answers: {[(o.method, o.status, o.detail[:200]) for o in wrong[:3]]}"
    assert "ERROR:consult.database:database unavailable: " in server.log(), "the outage was not logged"
    check_acknowledged_comments_kept_once(tally, site.database_url)


def wait_for(condition, what: str, tally, server) -> None:
    wait_until(
        lambda: condition() or tally.crashes,
        PHASE_TIMEOUT,
        lambda: f"{what} (saved so far: {tally.count_acknowledged()}){server.tail()}",
    )
    assert not tally.crashes, f"reviewers failed while waiting for {what}: {tally.crashes}"
