"""The `redis_url` fixture: the Redis on 127.0.0.1:6379 when one answers, otherwise one of the tests' own.

Registered for the whole suite through `pytest_plugins` in tests/conftest.py. When nothing answers on the usual
port, the fixture starts the machine's `redis-server` on a free loopback port, without persistence, for the
rest of the run; `make test` installs that binary (the `system-deps` target), so no test is skipped for want of
Redis. Each test that uses it keeps its keys under a prefix of its own.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.smtp import HOST, free_port

USUAL_URL = f"redis://{HOST}:6379"
START_TIMEOUT = 10.0  # seconds


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if answers(USUAL_URL):
        yield USUAL_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no Redis answers on 127.0.0.1:6379 and redis-server is missing: apt-get install -y redis-server")
    port = free_port()
    command = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://{HOST}:{port}"
    try:
        _wait_until_it_answers(server, url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_it_answers(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(url):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"redis-server did not start on {url} (exit {server.poll()})")
        time.sleep(0.05)
