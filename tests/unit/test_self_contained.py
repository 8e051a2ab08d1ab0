"""A fresh clone runs its tests and scripts with nothing beside it: no test, benchmark, Makefile recipe or CI
step reads a path outside the repository.

Python files are read as syntax trees, so that URL paths such as "/auth/login" are not mistaken for files:
a string is a filesystem path when its first component is one of the machine's top-level folders. Only the
system's own tools and process information may be named that way. Climbing out of the repository with
`..` or with more `.parent` steps from `__file__` than the file is deep is refused too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SCANNED_FOLDERS = ("tests", "bench")
SCANNED_FILES = ("Makefile", ".ci/run")
TOP_LEVEL_FOLDERS = "bin|boot|dev|etc|home|lib|lib64|media|mnt|opt|proc|root|run|sbin|srv|sys|tmp|usr|var|work"
FILESYSTEM_PATH = re.compile(rf"^/({TOP_LEVEL_FOLDERS})(/|$)")
# The system's tools and the kernel's view of processes: things a machine has, not files of ours.
SYSTEM_PATHS = re.compile(r"^/(usr/(local/)?(s?bin)/[\w.+-]+|s?bin/[\w.+-]+|dev/null|proc(/.*)?)$")
SHELL_PATH = re.compile(rf"(?<![\w.$}})/])/(?:{TOP_LEVEL_FOLDERS})(?:/[\w.+-]*)*")
# Hostile input that only looks like a path: the naughty-strings test turns it into a file name inside its
# tmp_path; the upload test sends it as the name of an uploaded file, which the app must cut to its last part.
NOT_PATHS = {
    ("tests/functional/test_naughty_strings.py", ".."),
    ("tests/functional/test_admin_guidance.py", "../../secret/<draft> & notes.md"),
}


def python_files() -> list[Path]:
    """Every Python file of tests/ and bench/ but this one, which names `..` in order to look for it."""
    paths = (path for folder in SCANNED_FOLDERS for path in (PROJECT_ROOT / folder).rglob("*.py"))
    return sorted(path for path in paths if path != Path(__file__).resolve())


def outside_paths_in_python(path: Path, root: Path = PROJECT_ROOT) -> list[str]:
    relative = path.relative_to(root).as_posix()
    depth = len(path.relative_to(root).parts) - 1  # .parent steps from the file's folder to the root
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            problems += [f"{relative}:{node.lineno}: {text!r}" for text in _suspicious(node.value, relative)]
        elif isinstance(node, ast.Attribute) and node.attr == "parent" and _climbs_from_file(node) > depth + 1:
            problems.append(f"{relative}:{node.lineno}: {ast.unparse(node)} climbs out of the repository")
    return problems


def _suspicious(text: str, relative: str) -> list[str]:
    if "\n" in text or (relative, text) in NOT_PATHS:
        return []  # docstrings and prose, or hostile data
    if text == ".." or text.startswith("../") or "/../" in text:
        return [text]
    if FILESYSTEM_PATH.match(text) and not SYSTEM_PATHS.match(text):
        return [text]
    return []


def _climbs_from_file(node: ast.Attribute) -> int:
    """How many `.parent` steps this chain takes from `Path(__file__)` (0 when it does not start there)."""
    steps, current = 0, node
    while isinstance(current, ast.Attribute) and current.attr == "parent":
        steps, current = steps + 1, current.value
    source = ast.unparse(current)
    return steps if "__file__" in source else 0


def outside_paths_in_shell(path: Path, root: Path = PROJECT_ROOT) -> list[str]:
    relative = path.relative_to(root).as_posix()
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
        if "../" in code:
            problems.append(f"{relative}:{number}: ../ in {line.strip()!r}")
        for match in SHELL_PATH.finditer(code):
            if not SYSTEM_PATHS.match(match.group(0)):
                problems.append(f"{relative}:{number}: {match.group(0)}")
    return problems


@pytest.mark.parametrize("path", python_files(), ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix())
def test_python_in_tests_and_bench_names_no_path_outside_the_repository(path):
    assert outside_paths_in_python(path) == []


@pytest.mark.parametrize("name", SCANNED_FILES)
def test_makefile_and_ci_name_no_path_outside_the_repository(name):
    assert outside_paths_in_shell(PROJECT_ROOT / name) == []


@pytest.mark.parametrize(
    "source",
    [
        'CORPORA = Path(__file__).resolve().parent.parent.parent / "shared"',
        'open("../shared/corpora/xss/a.txt")',
        'Path("/work/shared/corpora")',
        'DATA = "/home/someone/blns.json"',
    ],
)
def test_the_scan_finds_paths_that_leave_the_repository(tmp_path, source):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(source + "\n")
    assert outside_paths_in_python(tmp_path / "tests" / "test_x.py", tmp_path)


def test_the_scan_lets_system_tools_and_url_paths_pass(tmp_path):
    (tmp_path / "tests").mkdir()
    source = (
        'CHROMIUM = "/usr/bin/chromium"\nROOT = Path(__file__).resolve().parent.parent\nclient.get("/auth/login")\n'
    )
    (tmp_path / "tests" / "test_x.py").write_text(source)
    assert outside_paths_in_python(tmp_path / "tests" / "test_x.py", tmp_path) == []
    (tmp_path / "Makefile").write_text("x:\n\tcat ../shared/a\n\t/usr/bin/java -jar x.jar >/dev/null\n\tls /work/y\n")
    assert len(outside_paths_in_shell(tmp_path / "Makefile", tmp_path)) == 2
