"""Business logic: no request objects here, so the CLI, the views and the tests share it.

Services change the session and `flush()`; the caller (a view, a command, a test) commits once.
"""
