"""Markdown to sanitised HTML: the only module that calls markdown or bleach.

Text is rendered once, when it is written (guidance load, later comment submit), and the sanitised HTML
is stored beside its source. Templates mark as safe only HTML that came out of this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

import bleach
import markdown

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
    """Render guidance Markdown to sanitised HTML and report what the sanitiser removed."""
    raw = markdown.markdown(
        source,
        extensions=["tables", "sane_lists", "fenced_code"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    clean = bleach.clean(
        raw,
        tags=GUIDANCE_TAGS,
        attributes=GUIDANCE_ATTRIBUTES,
        protocols=LINK_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return Rendered(html=clean, removed=_removals(raw, clean))


def render_comment(source: str) -> str:
    """Render comment Markdown to sanitised HTML.

    Raw HTML typed into a comment is shown as text (escaped), never interpreted. Markdown that makes
    anything outside COMMENT_TAGS (headings, images, tables) loses the markup and keeps its text.
    Links keep only http, https and mailto targets and get rel="nofollow noopener".
    """
    converter = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # Without these two, Python-Markdown passes raw HTML through; deregistered, it escapes it as text.
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    raw = converter.convert(source)
    clean = bleach.clean(raw, tags=COMMENT_TAGS, attributes={"a": ["href"]}, protocols=LINK_PROTOCOLS, strip=True)
    # No skip_tags: bleach escapes entities inside skipped tags a second time ("&amp;lt;" in code spans).
    return bleach.linkify(clean, callbacks=[_comment_link], parse_email=False)


def _comment_link(attrs: dict, new: bool = False) -> dict | None:
    """linkify callback: every link in a comment gets rel="nofollow noopener"; links without a target go."""
    href_key = (None, "href")
    if not attrs.get(href_key):
        return attrs  # an <a> whose unsafe target was stripped: keep its text, it links nowhere
    attrs[(None, "rel")] = COMMENT_LINK_REL
    return attrs


def html_to_text(html: str) -> str:
    """The readable text of sanitised HTML, whitespace collapsed (for matching quoted passages)."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


def _removals(raw: str, clean: str) -> list[Removal]:
    """Compare the element and attribute inventories of the HTML before and after cleaning."""
    before, after = _Inventory.of(raw), _Inventory.of(clean)
    lost_tags = set((before.tags - after.tags).elements())
    removed = {Removal(f"<{tag}> element", before.first_value.get(tag) or f"<{tag}") for tag in lost_tags}
    for tag, name, value in set((before.attributes - after.attributes).elements()):
        if tag in lost_tags or (tag, name) in SILENTLY_DROPPED:
            continue  # reported with its element, or dropped on purpose
        shown = value if len(value) <= 60 else value[:57] + "..."
        removed.add(Removal(f'{name}="{shown}" on <{tag}>', value or name))
    return sorted(removed, key=lambda removal: removal.description)


class _Inventory(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: Counter[tuple[str, str, str]] = Counter()
        self.first_value: dict[str, str] = {}  # first src/href per tag: a snippet to search for

    @classmethod
    def of(cls, html: str) -> _Inventory:
        inventory = cls()
        inventory.feed(html)
        inventory.close()
        return inventory

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes[(tag, name, value or "")] += 1
            if value and name in ("src", "href"):
                self.first_value.setdefault(tag, value)


# Elements that separate words; inline ones (em, a, code) do not, so "the <em>public</em>." stays one phrase.
BLOCK_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "pre", "blockquote",
     "table", "thead", "tbody", "tr", "th", "td", "div"}
)  # fmt: skip


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
