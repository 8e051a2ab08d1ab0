"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Every value can be changed from the environment without editing the file:

    WEB_CONCURRENCY        worker processes (default: 2 x CPU cores + 1)
    GUNICORN_THREADS       threads per worker; above 1, gthread workers (default 1: sync workers)
    GUNICORN_KEEPALIVE     seconds an idle connection is kept open, gthread workers only (default 5)
    GUNICORN_BIND          address to listen on (default 127.0.0.1:8000, or 127.0.0.1:$PORT)
    GUNICORN_TIMEOUT       seconds a worker may stay silent before it is killed and replaced (default 30)
    GUNICORN_GRACEFUL_TIMEOUT  seconds a worker gets to finish its requests on restart or stop (default 30)
    GUNICORN_MAX_REQUESTS  recycle a worker after this many requests, 0 = never (default 0)
    GUNICORN_LOG_LEVEL     debug, info, warning, error (default info)
    GUNICORN_CONTROL_SOCKET  a path for gunicorn's control socket (default: none, see below)

The client address and scheme come from the app (werkzeug's ProxyFix, set by CONSULT_PROXY_COUNT), not from
gunicorn, so that one setting decides how far forwarded headers are believed.
"""

from __future__ import annotations

import os


def _whole_number(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) < minimum:
        raise RuntimeError(f"{name}={value!r} must be a whole number of at least {minimum}")
    return int(value)


def _cpu_count() -> int:
    """CPUs this process may run on: a container limited to 2 cores of a 64-core host counts 2."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Processes do the work, one request at a time each (gunicorn's sync workers), behind a proxy that buffers
# requests and responses (nginx does by default), so a slow client never holds a worker. Measured on the
# section page under wrk (bench/read.py), sync workers served the most requests per second: with gthread and
# keep-alive, one worker can end up holding all of a client's connections while the other waits.
# GUNICORN_THREADS above 1 switches to gthread workers (gunicorn does that by itself), which suit a server
# that clients reach directly, or exports longer than GUNICORN_TIMEOUT: a sync worker busy for longer than that
# is taken for stuck and replaced, a gthread worker reports in from its main loop while a request runs.
workers = _whole_number("WEB_CONCURRENCY", 2 * _cpu_count() + 1, minimum=1)
worker_class = "sync"
threads = _whole_number("GUNICORN_THREADS", 1, minimum=1)

bind = os.environ.get("GUNICORN_BIND", "").strip() or f"127.0.0.1:{_whole_number('PORT', 8000, minimum=1)}"
timeout = _whole_number("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = _whole_number("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = _whole_number("GUNICORN_KEEPALIVE", 5)  # seconds an idle connection stays open (gthread workers only)
max_requests = _whole_number("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10  # so that workers started together are not all recycled together

# Off: each worker imports and builds the app itself, after the fork, so no database connection or pool is
# ever shared between processes, and `kill -HUP` on the master reloads new code in fresh workers. It costs
# a little memory per worker and a second or so at start.
preload_app = False

# Ignore forwarded headers here: ProxyFix in the app handles X-Forwarded-For and -Proto as CONSULT_PROXY_COUNT
# says; gunicorn's own handling would believe X-Forwarded-Proto from 127.0.0.1 whatever that setting is.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# Logs to stdout and stderr, for the service manager (systemd, docker) to collect. The access log line shows
# the client address as the app believes it (after ProxyFix), the X-Forwarded-For that came with the request,
# and the time taken in milliseconds.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s forwarded-for="%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Workers report in through a file; memory-backed when available, so a slow disk cannot make them look stuck.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented advice

# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which two servers on
# one machine (two sites, or a benchmark beside its baseline) would fight over. Signals do the same job: HUP
# reloads, TERM stops gracefully, TTIN/TTOU add or remove a worker.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True
