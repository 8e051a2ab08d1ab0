"""Finding markup that could run script or leave the page, in HTML as a browser would parse it."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_TAGS = frozenset(
    {
        "script",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "img",
        "style",
        "base",
        "form",
        "meta",
        "link",
        "frame",
        "frameset",
        "applet",
        "video",
        "audio",
        "source",
    }
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcset", "poster"})
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Finder(HTMLParser):
    def __init__(self, allowed_tags: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_tags = allowed_tags
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS and tag not in self.allowed_tags:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name} on <{tag}>")
            if name == "style":
                self.found.append(f"style on <{tag}>")
            compact = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and compact.startswith(BAD_SCHEMES):
                self.found.append(f"{name}={value!r} on <{tag}>")


def dangerous_markup(
    html: str, allowed_tags: frozenset[str] = frozenset({"script", "link", "meta", "form"})
) -> list[str]:
    """Every element or attribute in `html` that could run script; our own page furniture (our script
    tag, stylesheet link, meta tags, forms) is allowed by default and checked elsewhere."""
    finder = _Finder(allowed_tags)
    finder.feed(html)
    finder.close()
    return finder.found
