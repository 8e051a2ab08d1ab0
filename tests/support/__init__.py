"""The one home of what the tests and the benchmarks share to drive the app from outside.

- `server.py`: the app (or any WSGI app) under a real gunicorn, started, waited for, killed and stopped;
  process trees through psutil.
- `client.py`: a small HTTP client that keeps cookies, scrapes CSRF tokens and logs in through the real form;
  keep-alive for the benchmarks, or a new connection per request for the fault tests.
- `databases.py`: throw-away databases (a SQLite file, or a fresh PostgreSQL database).
- `load.py`: many reviewers posting comments at once, and the check that each acknowledged one is stored once.

Free ports come from `tests/smtp.py` (`free_port`), which the SMTP fixture needed first.
"""
