"""The yardstick of the read benchmark: a minimal Flask app that answers every request with the same bytes.

bench/read.py saves the real section page (body and headers) once and serves it from here under the same
gunicorn settings, so the ratio between the two shows what the real page costs beyond Flask and gunicorn.
BENCH_PAGE_FILE names the saved body; BENCH_HEADERS_FILE a JSON list of [name, value] header pairs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response

PAGE = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
HEADERS = [tuple(pair) for pair in json.loads(Path(os.environ["BENCH_HEADERS_FILE"]).read_text())]

app = Flask(__name__)


@app.get("/page")
def page() -> Response:
    return Response(PAGE, headers=HEADERS)


@app.get("/healthz")
def healthz() -> str:
    return "ok"
