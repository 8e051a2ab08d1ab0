"""Every page type's HTML, exactly as the server sent it, passes the Nu Html Checker (vnu.jar, npm vnu-jar).

The pages are fetched in the browser, as the role that sees them (forms sent where the page type says so),
saved to files and checked in one java call, because starting the JVM is the slow part.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.browser.helpers import NODE_MODULES, PROJECT_ROOT
from tests.browser.pages import PAGE_TYPES, open_page

pytestmark = pytest.mark.browser

VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker() -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: apt-get install -y default-jre-headless", pytrace=False)
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci` in {PROJECT_ROOT}", pytrace=False)
    return [java, "-Xss16m", "-jar", str(VNU_JAR), "--format", "json", "--stdout"]


def test_every_page_type_is_valid_html(new_context, site, tmp_path):
    command = _checker()
    contexts: dict[str, object] = {}
    files = []
    for page_type in PAGE_TYPES:
        if page_type.role not in contexts:
            contexts[page_type.role] = new_context(page_type.role)
        page = contexts[page_type.role].new_page()
        response = open_page(page, site, page_type)
        assert response.headers["content-type"] == "text/html; charset=utf-8", page_type
        path = tmp_path / f"{page_type.name}.html"
        path.write_bytes(response.body())
        files.append(str(path))
        page.close()

    result = subprocess.run([*command, *files], capture_output=True, text=True, timeout=300)
    assert result.stdout, f"vnu.jar printed nothing (exit {result.returncode}): {result.stderr}"
    messages = json.loads(result.stdout)["messages"]
    problems = [m for m in messages if m["type"] in ("error", "non-document-error")]
    warnings = [m for m in messages if m not in problems]
    report = "\n".join(
        f"{m.get('url', '?').rsplit('/', 1)[-1]}:{m.get('lastLine', '?')}: [{m['type']}] {m['message']}"
        f"\n    {m.get('extract', '').strip()!r}"
        for m in problems + warnings
    )
    assert not problems, f"{len(problems)} HTML errors in {len(files)} pages:\n{report}"
    assert not warnings, f"HTML warnings (no errors):\n{report}"
    assert result.returncode == 0, result.stderr
