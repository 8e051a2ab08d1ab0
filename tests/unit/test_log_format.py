"""Log lines written to a file carry no ANSI colour codes (werkzeug colours its request lines)."""

import io
import logging

from werkzeug.serving import _ansi_style

from consult_app.log_format import PlainText, plain_access_log


def test_colour_codes_are_taken_out_of_a_record():
    styled = _ansi_style('"GET / HTTP/1.1" 200 -', "bold")
    assert "\x1b[" in styled
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s - - %s", ("127.0.0.1", styled), None)
    assert PlainText().filter(record) is True
    assert record.getMessage() == '127.0.0.1 - - "GET / HTTP/1.1" 200 -'


def test_werkzeug_log_to_a_file_is_plain(tmp_path):
    logger = logging.getLogger("werkzeug")
    saved = list(logger.filters)
    handler = logging.FileHandler(tmp_path / "consult.log")
    logger.addHandler(handler)
    try:
        plain_access_log(io.StringIO())  # not a terminal
        plain_access_log(io.StringIO())  # a second app in the same process adds no second filter
        assert sum(isinstance(item, PlainText) for item in logger.filters) == 1
        logger.warning("%s", _ansi_style("GET /healthz 200", "green"))
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.filters[:] = saved
    assert (tmp_path / "consult.log").read_text() == "GET /healthz 200\n"
