"""Fault tests: a real gunicorn killed mid-write, PostgreSQL and Redis cut off and restored (`pytest -m faults`)."""
