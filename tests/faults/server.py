"""The app under a real gunicorn (a subprocess): started, waited for, killed and restarted by the tests.

The production configuration is used (CONSULT_ENV=production: CSRF on, secure cookies, INFO logging),
with the database, secret key and rate-limit settings of the test given in the environment, as a
deployment would give them. gunicorn.conf.py is used when it exists; the command line then overrides
only the address and the number of workers.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.smtp import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = PROJECT_ROOT / "gunicorn.conf.py"
START_TIMEOUT = 30.0


def wait_until(condition, timeout: float, what, interval: float = 0.02):
    """Poll `condition` until it returns something true; after `timeout` seconds, fail saying what was
    awaited (`what`: text, or a function giving it, so that a log tail is read when the wait fails)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


class Gunicorn:
    def __init__(
        self,
        log_path: Path,
        environment: dict[str, str],
        workers: int = 2,
        port: int | None = None,
        app: str = "wsgi:app",
    ):
        self.log_path = log_path
        self.workers = workers
        self.app = app
        self.port = port or free_port()
        self.environment = {
            **os.environ,
            "CONSULT_ENV": "production",
            "SECRET_KEY": secrets.token_hex(16),
            # Production answers only to this host (TRUSTED_HOSTS): the tests' clients send 127.0.0.1:port.
            "CONSULT_BASE_URL": f"http://127.0.0.1:{self.port}",
            "CONSULT_CONTROLLER": "Fault Test Institute",
            "CONSULT_PRIVACY_CONTACT": "privacy@example.org",
            "PYTHONUNBUFFERED": "1",
            **environment,
        }
        self.environment.pop("TEST_DATABASE_URL", None)
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        config = ["-c", str(CONFIG_FILE)] if CONFIG_FILE.exists() else []
        return [
            sys.executable,
            "-m",
            "gunicorn",
            *config,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            self.app,
        ]

    def start(self) -> Gunicorn:
        """Start and wait until every worker answers /healthz (bounded by START_TIMEOUT)."""
        assert self.process is None or self.process.poll() is not None, "gunicorn is already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=PROJECT_ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(
            self._ready, START_TIMEOUT, lambda: f"gunicorn to serve /healthz with {self.workers} workers{self.tail()}"
        )
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}{self.tail()}")
        return len(self.worker_pids()) == self.workers and healthz(self.port) == 200

    def worker_pids(self) -> list[int]:
        """The master's children: gunicorn's workers."""
        return children_of(self.process.pid)

    def kill_worker(self) -> int:
        """SIGKILL one worker (the master then starts another); returns its pid."""
        victim = self.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def kill_everything(self) -> None:
        """SIGKILL the master and every worker, as a power cut or an OOM kill of the whole service would."""
        pids = [self.process.pid, *self.worker_pids()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # The workers were orphaned by the master's death: not our children, so poll /proc for them.
        wait_until(lambda: not any(is_alive(pid) for pid in pids[1:]), 10, "the killed workers to end")

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL for anything left; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        # The master stops its workers before it exits (SIGKILL after its graceful timeout).
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill_everything()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        text = "\n".join(self.log().splitlines()[-lines:])
        return f"\n--- gunicorn log (last {lines} lines) ---\n{text}" if text else ""


def children_of(parent: int) -> list[int]:
    """Live children of `parent` (zombies, already dead, are left out)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == parent and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return sorted(children)


def is_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie waiting for its new parent to reap it counts as ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def healthz(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
