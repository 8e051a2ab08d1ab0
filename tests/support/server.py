"""A WSGI app under a real gunicorn (a subprocess): started, waited for, killed and restarted.

The production configuration is used (CONSULT_ENV=production: CSRF on, secure cookies, INFO logging), with the
database, secret key and other settings of the caller given in the environment, as a deployment would give
them. gunicorn.conf.py is used when it exists; the command line then overrides only the address and the number
of workers. Each server runs in a session of its own, so a Ctrl-C meant for the caller never reaches it.
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

import psutil

from tests.smtp import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = PROJECT_ROOT / "gunicorn.conf.py"
START_TIMEOUT = 60.0


def wait_until(condition, timeout: float, what, interval: float = 0.02):
    """Poll `condition` until it returns something true; after `timeout` seconds, fail saying what was
    awaited (`what`: text, or a function giving it, so that a log tail is read only when the wait fails)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def production_environment(port: int, **settings: str) -> dict[str, str]:
    """This process's environment with what a production server on 127.0.0.1:`port` needs, then `settings`."""
    environment = {
        **os.environ,
        "CONSULT_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        # Production answers only to this host (TRUSTED_HOSTS): the clients send 127.0.0.1:port.
        "CONSULT_BASE_URL": f"http://127.0.0.1:{port}",
        "CONSULT_CONTROLLER": "Test Institute",
        "CONSULT_PRIVACY_CONTACT": "privacy@example.org",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    environment.pop("TEST_DATABASE_URL", None)
    return environment


class Gunicorn:
    """`Gunicorn(log, {"DATABASE_URL": ...}).start()`, or `with Gunicorn(...) as server:`; stopped however it ends."""

    def __init__(
        self,
        log_path: Path,
        environment: dict[str, str],
        workers: int = 2,
        port: int | None = None,
        app: str = "wsgi:app",
        chdir: Path = PROJECT_ROOT,
    ) -> None:
        self.log_path, self.workers, self.app, self.chdir = log_path, workers, app, chdir
        self.port = port or free_port()
        self.environment = production_environment(self.port, **environment)
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        config = ["-c", str(CONFIG_FILE)] if CONFIG_FILE.exists() else []
        address = ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--chdir", str(self.chdir)]
        return [sys.executable, "-m", "gunicorn", *config, *address, self.app]

    def start(self) -> Gunicorn:
        """Start and wait until every worker runs and /healthz answers 200 (bounded by START_TIMEOUT)."""
        assert self.process is None or self.process.poll() is not None, "gunicorn is already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=self.chdir, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(
            self._ready, START_TIMEOUT, lambda: f"gunicorn to serve /healthz with {self.workers} workers{self.tail()}"
        )
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}{self.tail()}")
        return len(self.worker_pids()) == self.workers and healthz(self.port) == 200

    def worker_pids(self) -> list[int]:
        """The master's live children: gunicorn's workers."""
        return children_of(self.process.pid) if self.process else []

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
        # The workers were orphaned by the master's death: not our children, so ask the system about them.
        wait_until(lambda: not any(is_alive(pid) for pid in pids[1:]), 10, "the killed workers to end")

    def stop(self) -> None:
        """Graceful stop (SIGTERM: the master stops its workers first), then SIGKILL; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill_everything()

    def __enter__(self) -> Gunicorn:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        text = "\n".join(self.log().splitlines()[-lines:])
        return f"\n--- gunicorn log (last {lines} lines) ---\n{text}" if text else ""


def children_of(parent: int) -> list[int]:
    """Live children of `parent` (zombies, already dead, are left out)."""
    try:
        children = psutil.Process(parent).children()
    except psutil.NoSuchProcess:
        return []
    return sorted(child.pid for child in children if _running(child))


def is_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie waiting for its new parent to reap it counts as ended."""
    try:
        return _running(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return False


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def healthz(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
