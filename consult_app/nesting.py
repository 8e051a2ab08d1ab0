"""How deeply Markdown and HTML nest: the bounds that text.py checks before comrak and nh3 run.

Both are quadratic in the depth of nesting and in nothing else (see text.py), so text.py refuses text nested
more than MAX_NESTING levels deep: first on the Markdown source, line by line, so that comrak never opens many
containers on one line, then on comrak's HTML, so that the sanitiser never builds a deep tree.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

# Elements inside one another (a list level is two: <ul><li>). Real text stays under 15; the hostile-input cases
# have fifty levels of quotes, which must still be shown. The sanitiser's cost grows with this number.
MAX_NESTING = 64


class NestingError(ValueError):
    """Text nested more than MAX_NESTING levels deep. `line` is the line of the source (from 1) where it goes too
    deep, when known. The message is a phrase to build a sentence around: "Your comment has ..."."""

    def __init__(self, line: int | None) -> None:
        super().__init__(f"quotes, lists or emphasis nested more than {MAX_NESTING} levels deep")
        self.line = line


# A container opened at the start of a line: a quote, or a list item (a bullet or number, then a space, a tab
# or the end of the line). Every level of nesting that one line opens is one of these in its prefix.
_CONTAINER = r"(?:>|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))"
_CONTAINERS_PREFIX = re.compile(rf"^(?:[ \t]*{_CONTAINER})+", re.MULTILINE)
_CONTAINER_MARK = re.compile(_CONTAINER, re.MULTILINE)
_VOID = frozenset(
    {"br", "hr", "img", "wbr", "input", "col", "area", "base", "embed", "link", "meta", "source", "track", "param"}
)
# Raw HTML may leave these open: the next one closes the one before, as in a browser ("<li>a<li>b" are siblings).
_CLOSED_BY = {
    "p": {"p"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "tr": {"tr", "td", "th"},
    "td": {"td", "th"}, "th": {"td", "th"}, "option": {"option"}, "a": {"a"},
}  # fmt: skip
# Elements whose content an HTML parser reads as text, not tags.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"})
# Formatting elements, which an HTML parser opens again after a block end tag closed them (see too_deep_at).
_FORMATTING = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
)
MAX_LEFT_OPEN = 4  # an HTML parser keeps at most three identical ones anyway
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_SLASH_OF_NON_VOID_TAG = re.compile(rf"<(/?)(?!(?i:{'|'.join(sorted(_VOID))})\b)[a-zA-Z]")


def check_line_prefixes(source: str) -> None:
    """Refuse a line whose prefix opens more than MAX_NESTING containers, before comrak spends time on it.

    Deeper nesting built up over many lines (indentation) costs comrak no more than the text's length, and the
    check of its HTML finds it."""
    for match in _CONTAINERS_PREFIX.finditer(source):
        prefix = match.group()
        if len(prefix) > MAX_NESTING and len(_CONTAINER_MARK.findall(prefix)) > MAX_NESTING:
            raise NestingError(source.count("\n", 0, match.start()) + 1)


def deepest(html: str) -> int:
    """How deep elements nest in `html`, counting start and end tags: exact for well-formed HTML (comrak's when
    raw HTML is escaped or absent) and about three times as fast as too_deep_at, which raw HTML needs: there, a
    stray end tag would hide a level from this count, and a sibling left open would add one."""
    steps = [1 - 2 * len(slash) for slash in _SLASH_OF_NON_VOID_TAG.findall(html)]
    return max(accumulate(steps), default=0)


def too_deep_at(html: str) -> int | None:
    """Where in `html` the element that is one level too deep starts, or None.

    comrak's own HTML is well formed. Raw HTML in guidance need not be, so this follows the HTML parser's rules
    far enough to bound what it builds: an end tag closes the element it names and those inside it, or nothing
    when none is open; some elements close their open sibling; and a formatting element closed by another's end
    tag stays open in the parser's eyes, which opens it again in every block that follows (8 KB of such HTML made
    4.7 MB in html5ever), so it counts as a level until its own end tag, and more than a few of them are refused.
    """
    elements, position = _OpenElements(), 0
    while match := _TAG.search(html, position):
        name, position = match.group(2).lower(), match.end()
        if name in _VOID:
            continue
        if match.group(1):
            elements.close(name)
        elif not elements.open(name):
            return match.start()
        elif name in _RAW_TEXT:  # its content is text up to its end tag, whatever `<` it holds
            end = re.compile(rf"</{name}\b", re.IGNORECASE).search(html, position)
            position = end.start() if end else len(html)
    return None


class _OpenElements:
    def __init__(self) -> None:
        self.stack: list[str] = []
        self.left_open: Counter[str] = Counter()  # formatting elements closed by another element's end tag
        self.left_open_count = 0

    def open(self, name: str) -> bool:
        """Open `name`; False when that makes it too deep."""
        if self.stack and self.stack[-1] in _CLOSED_BY.get(name, ()):
            self.stack.pop()
        self.stack.append(name)
        return len(self.stack) + self.left_open_count <= MAX_NESTING and self.left_open_count <= MAX_LEFT_OPEN

    def close(self, name: str) -> None:
        if name not in self.stack:
            if self.left_open[name]:
                self.left_open[name] -= 1
                self.left_open_count -= 1
            return
        while (inner := self.stack.pop()) != name:
            if inner in _FORMATTING:
                self.left_open[inner] += 1
                self.left_open_count += 1
