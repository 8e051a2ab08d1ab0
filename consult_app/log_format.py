"""Plain log lines when the log goes to a file or a pipe.

werkzeug's development server colours the request line of its access log with ANSI escapes whenever it runs,
terminal or not, so `make run > consult.log` wrote escape sequences after the logging prefix. The filter takes
them out unless standard error is a terminal that can show them.
"""

from __future__ import annotations

import logging
import re
import sys

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PlainText(logging.Filter):
    """Removes ANSI escape sequences from a record's message (merging its arguments into it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\x1b" in message:
            record.msg, record.args = ANSI_ESCAPE.sub("", message), None
        return True


def plain_access_log(stream=None) -> None:
    """Strip werkzeug's colours unless `stream` (standard error by default) is a terminal."""
    stream = sys.stderr if stream is None else stream
    logger = logging.getLogger("werkzeug")
    if not (hasattr(stream, "isatty") and stream.isatty()) and not any(
        isinstance(existing, PlainText) for existing in logger.filters
    ):
        logger.addFilter(PlainText())
