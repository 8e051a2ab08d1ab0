"""Markdown to sanitised HTML: the only module that calls the Markdown renderer (comrak) and the sanitiser (nh3).

Text is rendered once, when it is written (guidance load, comment submit), and the sanitised HTML is stored
beside its source. Templates mark as safe only HTML that came out of this module. Comments and guidance are
CommonMark; comments also link bare web and mail addresses, guidance also has GitHub's tables.

Why comrak and nh3 (both Rust, linear in the length of the text) rather than Python-Markdown and bleach, which
this module used before (figures: CPU time on the 2-core development machine; bench/render.py has the corpus):
a comment of 10,000 `[` took 55 s, because Python-Markdown's link and image patterns search the rest of the
text again from every `[` (quadratic), and `1. ` repeated raised RecursionError (its lists recurse per level).
Bounding those patterns would not have been enough: Python-Markdown takes 95 ms for 3,300 one-word paragraphs,
and bleach parses the HTML twice in pure Python (clean, then linkify), 0.3 s for 10,000 `<`. markdown-it-py
is linear but pure Python too: 10,000 `![` took 0.24 s. comrak, a CommonMark and GFM renderer, renders any
case of the corpus in under 10 ms and nh3 (the ammonia sanitiser) cleans it in under 25 ms; the worst case,
as a comment, takes 35 to 55 ms in all. comrak's `escape` option shows raw HTML typed into a comment as text,
as comments always did, and its autolink extension (GitHub's rules) replaces bleach.linkify.

Both are quadratic in one thing, the depth of nesting (comrak in the containers one line opens, html5ever
inside nh3 in the depth of the tree), and html5ever multiplies formatting elements that raw HTML leaves open.
nesting.py bounds both before they run: text nested more than MAX_NESTING levels deep is refused with a
NestingError, which the comment forms show as a field error and the guidance loader as `file:line`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape as _escape
from html import unescape

import comrak
import nh3

from consult_app.nesting import MAX_NESTING, NestingError, check_line_prefixes, deepest, too_deep_at

# What guidance text may contain. Headings start at h3: the page supplies h1 and each section's h2.
GUIDANCE_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "blockquote",
        "a",
        "abbr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "sup",
        "sub",
    }
)
GUIDANCE_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "ol": ["start"]}
LINK_PROTOCOLS = frozenset({"http", "https", "mailto"})
# What comments may contain: a small subset, so a comment reads as a comment and not as a page.
COMMENT_TAGS = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "code", "a"})
COMMENT_ATTRIBUTES = {"a": ["href", "rel"]}
COMMENT_LINK_REL = "nofollow noopener"
# Column alignment from Markdown tables comes out as an `align` attribute that we drop without a warning:
# the stylesheet aligns tables, and inline styles would break the Content-Security-Policy anyway.
SILENTLY_DROPPED = frozenset({("th", "align"), ("td", "align")})


@dataclass(frozen=True)
class Removal:
    """Something the sanitiser took out: a description for people and a snippet to find it in the source."""

    description: str
    needle: str


@dataclass
class Rendered:
    html: str
    removed: list[Removal] = field(default_factory=list)


def render_guidance(source: str) -> Rendered:
    """Render guidance Markdown (CommonMark with GFM tables) to sanitised HTML and report what the sanitiser
    removed. Raw HTML is let through to the sanitiser, which keeps what GUIDANCE_TAGS allow (abbr, sup, dl ...).

    Raises NestingError for text nested more than MAX_NESTING levels deep.
    """
    raw = _markdown(source, _GUIDANCE_EXTENSIONS, escape_html=False)
    clean = nh3.clean(
        raw,
        tags=GUIDANCE_TAGS,
        attributes={"*": set(), **{tag: set(names) for tag, names in GUIDANCE_ATTRIBUTES.items()}},
        url_schemes=LINK_PROTOCOLS,
        link_rel=None,
        strip_comments=True,
    ).strip("\n")
    return Rendered(html=clean, removed=_removals(raw, clean))


def render_comment(source: str) -> str:
    """Render comment Markdown (CommonMark, bare web addresses linked as on GitHub) to sanitised HTML.

    Raw HTML typed into a comment is shown as text (escaped), never interpreted. Markdown that makes
    anything outside COMMENT_TAGS (headings, images, code blocks' <pre>) loses the markup and keeps its text.
    Links keep only http, https and mailto targets and get rel="nofollow noopener".

    Raises NestingError for text nested more than MAX_NESTING levels deep.
    """
    raw = _markdown(source, _COMMENT_EXTENSIONS, escape_html=True)
    return nh3.clean(
        raw,
        tags=COMMENT_TAGS,
        attributes={"*": set(), "a": {"href"}},
        attribute_filter=_without_empty_target,
        url_schemes=LINK_PROTOCOLS,
        link_rel=COMMENT_LINK_REL,
    ).strip("\n")


def _without_empty_target(tag: str, attribute: str, value: str) -> str | None:
    """comrak writes href="" for a javascript:, vbscript:, file: or data: target: keep the text, link nowhere."""
    return None if attribute == "href" and not value else value


def _extensions(**enabled: bool) -> comrak.ExtensionOptions:
    options = comrak.ExtensionOptions()
    for name, value in enabled.items():
        setattr(options, name, value)
    return options


_GUIDANCE_EXTENSIONS = _extensions(table=True)
_COMMENT_EXTENSIONS = _extensions(autolink=True)


def _render_options(escape_html: bool, sourcepos: bool = False) -> comrak.RenderOptions:
    options = comrak.RenderOptions()
    # escape: raw HTML comes out as text; unsafe_: as HTML, for the sanitiser to judge. Neither: comrak would
    # replace it with a comment and drop javascript: targets silently, which the guidance loader must report.
    options.escape, options.unsafe_, options.sourcepos = escape_html, not escape_html, sourcepos
    return options


def _markdown(source: str, extensions: comrak.ExtensionOptions, escape_html: bool) -> str:
    """comrak's HTML for `source`, after checking that neither comrak nor the sanitiser meets deep nesting."""
    check_line_prefixes(source)
    html = comrak.render_markdown(source, extension_options=extensions, render_options=_render_options(escape_html))
    # Without raw HTML (escaped, or no `<` in the source at all) comrak's HTML is well formed: the cheap count is
    # exact. Raw HTML needs the slower check that follows the HTML parser's rules.
    well_formed = escape_html or "<" not in source
    too_deep = deepest(html) > MAX_NESTING if well_formed else too_deep_at(html) is not None
    if too_deep:
        raise NestingError(_too_deep_line(source, extensions, escape_html))
    return html


_SOURCEPOS = re.compile(r'data-sourcepos="(\d+):')


def _too_deep_line(source: str, extensions: comrak.ExtensionOptions, escape_html: bool) -> int | None:
    """The source line of the element that goes too deep: rendered again with each element's source position."""
    options = _render_options(escape_html, sourcepos=True)
    html = comrak.render_markdown(source, extension_options=extensions, render_options=options)
    offset = too_deep_at(html)
    if offset is None:
        return None
    # Raw HTML has no position of its own: the last element with one before the end of this tag holds it.
    positions = _SOURCEPOS.findall(html, 0, html.find(">", offset) + 1)
    return int(positions[-1]) if positions else None


def html_to_text(html: str) -> str:
    """The readable text of sanitised HTML, whitespace collapsed (for matching quoted passages).

    Regular expressions rather than html.parser, which took 0.13 s for a section of 19,000 tags: sanitised HTML
    has no comments, no `<` outside tags, and quotes around every attribute value."""
    text = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", html))
    return " ".join(unescape(text).split())


def mark_passage(html: str, passage: str) -> str:
    """Sanitised HTML with the first occurrence of `passage` (text, matched as html_to_text reads it: whitespace
    collapsed, block elements separating words) wrapped in <mark class="quoted">; unchanged when it is not found.

    A passage across inline or block elements gets one <mark> per piece of text, so the result stays well
    formed. Only text between tags is touched, and it is escaped again: the result is as safe as `html`."""
    passage = " ".join(passage.split())
    if not passage:
        return html
    parts = _TAG_OR_TEXT.split(html)  # odd indexes are tags
    texts = {index: unescape(part) for index, part in enumerate(parts) if index % 2 == 0 and part}
    letters, places = _readable(parts, texts)
    start = "".join(letters).find(passage)
    if start < 0:
        return html
    marked: dict[int, list[int]] = {}
    for index, offset in places[start : start + len(passage)]:
        if index is not None:
            marked.setdefault(index, []).append(offset)
    for index, offsets in marked.items():
        text, first, last = texts[index], min(offsets), max(offsets) + 1
        before, inside, after = (_escape(piece, quote=False) for piece in (text[:first], text[first:last], text[last:]))
        parts[index] = f'{before}<mark class="quoted">{inside}</mark>{after}'
    return "".join(parts)


def _readable(parts: list[str], texts: dict[int, str]) -> tuple[list[str], list[tuple[int | None, int]]]:
    """The text of `parts` with whitespace collapsed, and for each letter of it (part index, offset in that part's
    unescaped text); a space that a block element makes has part index None."""
    letters: list[str] = []
    places: list[tuple[int | None, int]] = []

    def add(letter: str, index: int | None, offset: int) -> None:
        if letter.isspace():
            if not letters or letters[-1] == " ":
                return
            letter = " "
        letters.append(letter)
        places.append((index, offset))

    for index, part in enumerate(parts):
        if index % 2 == 1:
            if _BLOCK_TAG.fullmatch(part):
                add(" ", None, 0)
            continue
        for offset, letter in enumerate(texts.get(index, "")):
            add(letter, index, offset)
    return letters, places


def _removals(raw: str, clean: str) -> list[Removal]:
    """Compare the element and attribute inventories of the HTML before and after cleaning."""
    before, after = _Inventory(raw, _START_TAGS), _Inventory(clean, _START_TAGS)
    lost_tags = set((before.tags - after.tags).elements())
    removed = {Removal(f"<{tag}> element", before.first_value.get(tag) or f"<{tag}") for tag in lost_tags}
    for tag, name, value in set((before.attributes - after.attributes).elements()):
        if tag in lost_tags or (tag, name) in SILENTLY_DROPPED:
            continue  # reported with its element, or dropped on purpose
        shown = value if len(value) <= 60 else value[:57] + "..."
        removed.add(Removal(f'{name}="{shown}" on <{tag}>', value or name))
    return sorted(removed, key=lambda removal: removal.description)


class _Inventory:
    """The start tags and attributes of some HTML, found with regular expressions that never look past the next
    `<` (html.parser is quadratic on some unterminated constructs, and slow on many tags). Sanitised HTML is well
    formed; raw HTML in guidance need not be, and a tag of it that they cannot read is left out (not reported)."""

    def __init__(self, html: str, patterns: tuple[re.Pattern, re.Pattern]) -> None:
        names, with_attributes = patterns
        self.tags: Counter[str] = Counter(map(str.lower, names.findall(html)))
        self.attributes: Counter[tuple[str, str, str]] = Counter()
        self.first_value: dict[str, str] = {}  # first src/href per tag: a snippet to search for
        for tag, attributes in with_attributes.findall(html):
            for name, quoted in _ATTRIBUTE.findall(attributes):
                self._add(tag.lower(), name.lower(), unescape(quoted[1:-1] if quoted[:1] in "'\"" else quoted))

    def _add(self, tag: str, name: str, value: str) -> None:
        self.attributes[(tag, name, value)] += 1
        if value and name in ("src", "href"):
            self.first_value.setdefault(tag, value)


# A start tag: its name, then attributes whose quoted values stop at `<`, so that a search from each `<` ends by the
# next one (linear). nh3 writes `<` in a value as `&lt;`: a tag it wrote is always read; a raw one may not be.
_TAG_NAME, _ATTRIBUTES = "([a-zA-Z][a-zA-Z0-9]*)", r"""(?:[^<>"']|"[^"<]*"|'[^'<]*')*+"""
_START_TAGS = re.compile(rf"<{_TAG_NAME}{_ATTRIBUTES}>"), re.compile(rf"<{_TAG_NAME}(\s{_ATTRIBUTES})>")
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


# Elements that separate words; inline ones (em, a, code) do not, so "the <em>public</em>." stays one phrase.
BLOCK_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "pre", "blockquote",
     "table", "thead", "tbody", "tr", "th", "td", "div"}
)  # fmt: skip
_TAG_REST = r"""(?:[^<>"']|"[^"]*"|'[^']*')*+>"""
_BLOCK_TAG = re.compile(rf"</?(?:{'|'.join(sorted(BLOCK_TAGS))})\b{_TAG_REST}", re.IGNORECASE)
_ANY_TAG = re.compile(rf"</?[a-zA-Z][a-zA-Z0-9]*{_TAG_REST}")
_TAG_OR_TEXT = re.compile(rf"(</?[a-zA-Z][a-zA-Z0-9]*{_TAG_REST})")


# Elements that never have content or an end tag in sanitised HTML.
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
_TAG_TOKEN = re.compile(rf"<(/?)([a-zA-Z][a-zA-Z0-9]*){_TAG_REST}")


def split_blocks(html: str) -> list[str]:
    """The top-level blocks (paragraphs, lists, tables, headings ...) of sanitised HTML, each a verbatim slice.

    Each slice is a balanced run of elements cut at depth zero, so a template may mark it safe on its own and it
    parses exactly as it did inside the whole: nothing is added to or taken from the sanitiser's output, only the
    whitespace between blocks. Inline content and text at the top level stay together as one block. HTML that is
    not balanced (which the sanitiser never writes) comes back whole, as one block, rather than cut wrongly."""
    blocks: list[str] = []
    depth, start, position = 0, None, 0
    for match in _TAG_TOKEN.finditer(html):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if depth == 0:
            if match.start() > position and html[position : match.start()].strip() and start is None:
                start = position  # loose top-level text opens an inline run
            if name in BLOCK_TAGS and not closing:
                if start is not None:
                    blocks.append(html[start : match.start()])
                start = match.start()
        if name in _VOID_TAGS:
            pass
        elif closing:
            depth -= 1
            if depth < 0:
                return [html.strip()] if html.strip() else []
        else:
            depth += 1
        position = match.end()
        if depth == 0 and start is not None and name in BLOCK_TAGS:
            blocks.append(html[start:position])
            start = None
    if depth != 0:
        return [html.strip()] if html.strip() else []
    rest = html[position:]
    if start is not None or rest.strip():
        blocks.append(html[start if start is not None else position :])
    return [block.strip() for block in blocks if block.strip()]
