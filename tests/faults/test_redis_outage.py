"""Redis, where gunicorn's workers keep the rate-limit counts, goes away and comes back.

The project's choice (config.py, RATELIMIT_SWALLOW_ERRORS): without Redis the site keeps serving, rate-limited
actions included, without limits, and logs that it could not count; it never answers 500 for it. Refusing
with 503 would lock every reviewer out of commenting and logging in whenever Redis restarts, to guard against
floods that can wait a few minutes. Once Redis is back the limits apply again, from the counts kept before.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from tests.faults.proxy import TcpProxy
from tests.support.client import Browser
from tests.support.server import PROJECT_ROOT

LOGIN_LIMIT = 10  # per minute and address: AUTH_LIMIT in consult_app/auth/views.py
SLOWEST_ANSWER = 5.0  # seconds

# The app as wsgi.py makes it, with its rate-limit keys under a prefix of this test's own: counts left in Redis
# by another run (or another test running at the same time) cannot reach this one.
PREFIXED_WSGI = """
import os
from consult_app import create_app
app = create_app(overrides={"RATELIMIT_KEY_PREFIX": os.environ["FAULT_TEST_KEY_PREFIX"]})
"""


pytestmark = pytest.mark.faults


def wrong_passwords(browser: Browser, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        response = browser.post("/auth/login", {"email": "nobody@example.org", "password": "not the password"})
        assert response.seconds < SLOWEST_ANSWER, f"a log-in took {response.seconds:.1f} s"
        statuses.append(response.status)
    return statuses


def test_without_redis_the_site_serves_and_logs_it_and_limits_return_with_redis(site, gunicorn, tmp_path, redis_url):
    (tmp_path / "prefixed_wsgi.py").write_text(PREFIXED_WSGI)
    prefix = f"fault-test-{uuid.uuid4().hex}"
    with TcpProxy(urlsplit(redis_url).port) as proxy:
        server = gunicorn(
            {
                "DATABASE_URL": site.database_url,
                "RATELIMIT_ENABLED": "true",
                "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{proxy.port}/0",
                "FAULT_TEST_KEY_PREFIX": prefix,
                "PYTHONPATH": f"{tmp_path}:{PROJECT_ROOT}",
            },
            app="prefixed_wsgi:app",
        )
        reviewer = Browser(server.port)
        reviewer.log_in(site.emails[0], site.password)  # the first log-in counted for 127.0.0.1
        reviewer.get(site.section_path)
        intruder = Browser(server.port)
        intruder.get("/auth/login")
        assert wrong_passwords(intruder, 3) == [400] * 3  # four counted
        assert intruder.post("/auth/login", {}).headers.get("x-ratelimit-remaining") == str(LOGIN_LIMIT - 5)

        proxy.cut()
        # With the five before, 15 in the minute, and none refused: nothing is counted while Redis is away.
        assert wrong_passwords(intruder, LOGIN_LIMIT) == [400] * LOGIN_LIMIT
        comment = reviewer.post(
            site.section_path, {"body": "Sent while Redis was away.", "kind": "general", "publication": "private"}
        )
        assert comment.status == 302 and "#C-" in comment.location, comment.text[:500]
        assert reviewer.get("/").status == 200
        assert proxy.refused > 0, "the app never tried to reach Redis during the outage"

        proxy.restore()
        # The five counted before the outage still count: five more are allowed, then 429.
        after = wrong_passwords(intruder, LOGIN_LIMIT - 5 + 1)
        assert after == [400] * (LOGIN_LIMIT - 5) + [429], after
        refused = intruder.post("/auth/login", {})
        assert refused.status == 429 and 'class="site-header"' in refused.text and "Too many requests" in refused.text

    log = server.log()
    assert "ERROR:flask-limiter:Failed to rate limit. Swallowing error" in log
    assert '" 500 ' not in log, server.tail()
