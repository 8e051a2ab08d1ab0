"""Pathological Markdown: texts built to make a Markdown renderer or an HTML sanitiser slow, for
tests/unit/test_render_bounds.py (which bounds each case) and bench/render.py (which times each case).

`cases(length)` gives (name, text) pairs whose texts are exactly `length` characters long: long runs of one
delimiter, alternations and mixtures of delimiters, nesting on one line and built up over many lines, very
long and very many lines, floods of links, autolinks and reference definitions, and raw HTML (escaped in a
comment, sanitised in guidance). `TOKENS` are the pieces they are made of, for property-based searches.

Every case is either rendered or refused with text.NestingError; nothing here says which, or how fast.
"""

from __future__ import annotations

from consult_app.nesting import MAX_LEFT_OPEN, MAX_NESTING

# The characters and strings Markdown gives a meaning to, and a few that end or separate them.
TOKENS = (
    "[", "]", "(", ")", "](", "![", "<", ">", "*", "_", "`", "~", "&", "#", "!", "|", "\\", ":", '"', "'",
    "\n", "\n\n", " ", "    ", "\t", "a", "a ", "- ", "* ", "1. ", "> ", "[x]: ", "[x]", "http://", "www.",
    "@", "<div>", "</div>", "<!--", "-->", "&#1", "&amp;", "```",
)  # fmt: skip
RUN_UNITS = (
    "[", "]", "](", "![", "(", ")", "*", "_", "`", "<", ">", "&", "\\", "~", "|", "#", "!", "-", "=", " ", "\t",
    "\n", "a", ":", '"',
)  # fmt: skip
ALTERNATING_UNITS = (
    "[a](", "[a]", "[(", "![](", "[![", "](<", "[]", "[a](b", "[a](<", "[a]: ", "*a", "_a", "a_", "**a", "*_",
    "_a_ ", "*a **b ", "***a", "__a", "a*", "`a", "``a`", "<a ", "<http://a", "<a@b", "&#1", "&amp;", "&#x6a;",
    "\\[", "\\*", "*[", "_[", "[*", "`[", "<[", "[<", "!*", "~~a", "|a", "a\\\n", "a  \n",
)  # fmt: skip
# Raw HTML: escaped in comments, parsed by the sanitiser in guidance (unclosed, stray and implied end tags).
HTML_UNITS = (
    "<div>", "<b>", "<em>", "<table><tr><td>", "<ul><li>", "<p>", "</p>", "<div></p>", "<div/>", "<a href=x>",
    "<!--", "<script>", "<?", "<!X", "<![CDATA[", "<div>\n\n", "<img src=x>", "<br>",
)  # fmt: skip


def fill(unit: str, length: int) -> str:
    """`unit` repeated and cut to exactly `length` characters."""
    return (unit * (length // len(unit) + 1))[:length]


def joined(length: int, *parts: tuple[str, float]) -> str:
    """Runs of each (unit, share of the length) in turn, the last run filling what is left; a share of 0 is the
    unit once."""
    text = ""
    for unit, share in parts[:-1]:
        text += fill(unit, int(length * share)) if share else unit
    return text + fill(parts[-1][0], length - len(text))


def cases(length: int) -> list[tuple[str, str]]:
    """(name, text) pairs, each text exactly `length` characters long."""
    built = _runs(length) + _alternations(length) + _nesting(length) + _lines(length)
    built += _definitions(length) + _html(length) + _mixtures(length)
    return built


def _lines_until(length: int, line) -> str:
    """line(0) + line(1) + ... cut to exactly `length` characters."""
    parts, size, number = [], 0, 0
    while size < length:
        parts.append(line(number))
        size, number = size + len(parts[-1]), number + 1
    return "".join(parts)[:length]


def _runs(length: int) -> list[tuple[str, str]]:
    return [(f"run of {unit!r}", fill(unit, length)) for unit in RUN_UNITS]


def _alternations(length: int) -> list[tuple[str, str]]:
    return [
        ("'[' * N then '](' * M", joined(length, ("[", 0.5), ("](", 0.5))),
        ("'[' * N then ']' * N", joined(length, ("[", 0.5), ("]", 0.5))),
        ("'![' * N then '](u)' * M", joined(length, ("![", 0.4), ("](u)", 0.6))),
        ("'[' * N, 'a', '](u)' * N", joined(length, ("[", 0.2), ("a", 0.0), ("](u)", 0.8))),
        ("'(' * N then ')' * N", joined(length, ("(", 0.5), (")", 0.5))),
        *[(f"alternation {unit!r}", fill(unit, length)) for unit in ALTERNATING_UNITS],
        ("emphasis opened N times, closed N times", joined(length, ("*", 0.5), ("a", 0.0), ("*", 0.5))),
        ("underscores opened N times, closed N times", joined(length, ("_", 0.5), ("a", 0.0), ("_", 0.5))),
        ("strong nested N deep", joined(length, ("**a ", 0.5), ("b**", 0.5))),
        ("links in emphasis", fill("*[a](u) ", length)),
        ("link flood", fill("[a](http://example.org/) ", length)),
        ("image flood", fill("![a](http://example.org/i.png) ", length)),
        ("autolink flood", fill("<http://example.org/> ", length)),
        ("bare address flood", fill("http://example.org/a ", length)),
        ("www flood", fill("www.example.org ", length)),
        ("email flood", fill("a@example.org ", length)),
        ("bare address with brackets", joined(length, ("http://example.org/", 0.1), ("(", 0.9))),
        ("bare address with underscores", joined(length, ("http://example.org/", 0.1), ("_a", 0.9))),
    ]


def _nesting(length: int) -> list[tuple[str, str]]:
    # Just inside the limit (MAX_NESTING elements: a quote is one, a list level two), repeated to the length.
    quotes, lists = MAX_NESTING - 2, (MAX_NESTING - 2) // 2
    return [
        ("'> ' on one line", fill("> ", length)),
        ("'- ' on one line", fill("- ", length)),
        ("'- a ' on one line", joined(length, ("- ", 0.5), ("x", 0.5))),
        ("'* ' then text", joined(length, ("* ", 0.5), ("x", 0.5))),
        ("'1. ' on one line", fill("1. ", length)),
        ("'> - ' on one line", fill("> - ", length)),
        ("'> 1. ' on one line", fill("> 1. ", length)),
        ("'- > ' on one line", fill("- > ", length)),
        ("indented list staircase", _lines_until(length, lambda depth: "  " * depth + "- x\n")),
        ("quote staircase", _lines_until(length, lambda depth: "> " * depth + "x\n")),
        (f"{quotes} quotes deep, repeated", fill("> " * quotes + "x\n", length)),
        (f"{lists} lists deep, repeated", fill("- " * lists + "x\n", length)),
        (f"{quotes} quotes deep, then lazy lines", joined(length, ("> " * quotes + "x\n", 0.0), ("x\n", 1.0))),
        (f"{quotes} stars on each side, repeated", fill("*" * quotes + "a" + "*" * quotes + " ", length)),
        (f"{quotes} raw <div> deep, repeated", fill("<div>" * quotes + "x" + "</div>" * quotes + "\n", length)),
        ("quotes and lists alternating per line", fill("> - x\n>   > 1. y\n", length)),
    ]


def _lines(length: int) -> list[tuple[str, str]]:
    return [
        ("one long line of words", fill("word ", length)),
        ("many short lines", fill("a\n", length)),
        ("many paragraphs", fill("a\n\n", length)),
        ("many list items", fill("- a\n", length)),
        ("many quoted lines", fill("> a\n", length)),
        ("many headings", fill("# a\n", length)),
        ("many setext headings", fill("a\n=\n", length)),
        ("many code lines", fill("    code\n", length)),
        ("many fences", fill("```\n", length)),
        ("many tilde fences", fill("~~~\n", length)),
        ("fence opened, never closed", joined(length, ("```\n", 0.0), ("a <b> [c](d)\n", 1.0))),
        ("many table rows", joined(length, ("| a | b |\n|---|---|\n", 0.0), ("| 1 | 2 |\n", 1.0))),
        ("many table columns", joined(length, ("|", 0.0), ("a|", 0.5), ("\n", 0.0), ("-|", 0.5))),
        ("many thematic breaks", fill("---\n", length)),
        ("many hard breaks", fill("a  \n", length)),
    ]


def _definitions(length: int) -> list[tuple[str, str]]:
    half = length // 2
    numbered, uses = _lines_until(half, lambda n: f"[r{n}]: /u{n}\n"), _lines_until(length - half, lambda n: f"[r{n}] ")
    long_target = "[x]: http://example.org/" + "a" * (length // 4) + "\n\n"
    return [
        ("one label defined again and again", fill("[x]: http://example.org/\n", length)),
        ("definitions with titles", fill("[x]: /u 'title'\n", length)),
        ("definition and use alternating", fill("[a]: b\n[a]\n", length)),
        ("many labels, then their uses", numbered + uses),
        ("a long target used again and again", joined(length, (long_target, 0.0), ("[x]", 1.0))),
        ("unclosed definitions", fill("[x]: <", length)),
    ]


def _html(length: int) -> list[tuple[str, str]]:
    return [(f"raw HTML {unit!r}", fill(unit, length)) for unit in HTML_UNITS] + [
        (f"raw HTML: {count} bold elements reopened in every paragraph", _reopened_formatting(length, count))
        for count in (MAX_LEFT_OPEN, 60)
    ]


def _reopened_formatting(length: int, count: int) -> str:
    """Distinct bold elements left open in a closed block: an HTML parser opens them all again in each paragraph."""
    head = "<div>" + "".join(f"<b title={number}>" for number in range(count)) + "</div>"
    return joined(length, (head, 0.0), ("<p>x", 1.0))


def _mixtures(length: int) -> list[tuple[str, str]]:
    return [
        ("every token in turn", fill("".join(TOKENS), length)),
        ("brackets, emphasis, code and HTML in turn", fill("[*_`<&", length)),
        ("links, emphasis and quotes in turn", fill("> *[a](b) _c_ `d` <e>\n", length)),
        ("delimiters without spaces", fill("*_`[](<>)!&#", length)),
    ]
