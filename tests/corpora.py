"""Hostile-input corpora for the tests: third-party lists nobody on the team wrote, and our own cases.

The third-party lists are copied into the repository, in `tests/data/corpora/` (its README names each
source, commit and licence), and read only from there:

- `xss_vectors()`: every line of every `xss/*.txt` file, blank lines skipped, duplicates dropped, in file
  name and line order;
- `naughty_strings()`: the Big List of Naughty Strings (`naughty/blns.json`), duplicates dropped;
- `formula_payloads()`: spreadsheet formula and DDE payloads (`csv/formula-payloads.txt`), one a line.

`own_cases()` adds the tricks the corpora miss, from `tests/data/own-cases.txt` (format described there):
Markdown link and image syntax, entity-encoded and invisible-character URL schemes, autolinks, reference
links, nested quotes, HTML comments.

The data is part of the repository, so nothing is ever skipped for want of it: a file that is missing or far
shorter than expected fails the test that reads it, naming the file.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPORA_DIR = Path(__file__).resolve().parent / "data" / "corpora"
OWN_CASES = Path(__file__).resolve().parent / "data" / "own-cases.txt"
# Far below what the corpora hold (about 530 XSS lines, 515 naughty strings, 12 formulas): only a folder that
# lost most of a file trips these.
MINIMUM = {"xss": 300, "naughty": 400, "formula": 10}
CASE_START = re.compile(r"^%% ?(.*)$")
CODE_POINT = re.compile(r"\{U\+([0-9A-Fa-f]{4,6})\}")


def xss_vectors() -> list[str]:
    return list(_xss_vectors())


def naughty_strings() -> list[str]:
    return list(_naughty_strings())


def formula_payloads() -> list[str]:
    return list(_formula_payloads())


def own_cases() -> list[str]:
    return [text for _, text in own_named_cases()]


def own_named_cases() -> list[tuple[str, str]]:
    """Our own cases as (description, text) pairs, in file order."""
    return list(_own_cases(OWN_CASES))


def folder() -> Path:
    """The corpora folder inside the repository; fails the calling test when it is not there."""
    if not CORPORA_DIR.is_dir():
        pytest.fail(f"the hostile-input corpora are missing: no folder {CORPORA_DIR}", pytrace=False)
    return CORPORA_DIR


@functools.cache
def _xss_vectors() -> tuple[str, ...]:
    files = sorted((folder() / "xss").glob("*.txt"))
    lines = (line for path in files for line in _lines(path))
    return _checked("xss", tuple(dict.fromkeys(lines)))


@functools.cache
def _naughty_strings() -> tuple[str, ...]:
    path = folder() / "naughty" / "blns.json"
    entries = json.loads(_read(path))
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        pytest.fail(f"{path} is not a JSON array of strings", pytrace=False)
    return _checked("naughty", tuple(dict.fromkeys(entries)))


@functools.cache
def _formula_payloads() -> tuple[str, ...]:
    return _checked("formula", tuple(dict.fromkeys(_lines(folder() / "csv" / "formula-payloads.txt"))))


@functools.cache
def _own_cases(path: Path) -> tuple[tuple[str, str], ...]:
    """Cases start with a line `%% description`; the case is every line up to the next one, without the
    final line break. `{U+200B}` stands for that code point (so editors cannot drop invisible characters)."""
    cases: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        start = CASE_START.match(line)
        if start:
            cases.append((start.group(1).strip(), []))
        elif cases:
            cases[-1][1].append(line)
    decoded = [
        (name, CODE_POINT.sub(lambda m: chr(int(m.group(1), 16)), "\n".join(body).strip("\n"))) for name, body in cases
    ]
    empty = [name for name, text in decoded if not text.strip()]
    assert not empty, f"{path}: empty cases {empty}"
    return tuple(decoded)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        pytest.fail(f"the hostile-input corpora are incomplete: cannot read {path} ({error.strerror})", pytrace=False)


def _lines(path: Path) -> list[str]:
    return [line for line in _read(path).split("\n") if line.strip()]


def _checked(name: str, entries: tuple[str, ...]) -> tuple[str, ...]:
    if len(entries) < MINIMUM[name]:
        pytest.fail(
            f"the hostile-input corpora are incomplete: {len(entries)} {name} entries in {CORPORA_DIR}, "
            f"expected at least {MINIMUM[name]}",
            pytrace=False,
        )
    return entries
