"""Cutting a section into blocks (text.split_blocks) and placing published comments beside the block they quote
(services/annotations.py)."""

from __future__ import annotations

from dataclasses import dataclass

import nh3
import pytest

from consult_app.services.annotations import annotate
from consult_app.services.comments import Thread
from consult_app.text import html_to_text, render_guidance, split_blocks

SOURCE = """Statistics should serve the *public* and be
trusted by it.

- Respect privacy.
- Explain   the model.

| Risk | Answer |
|------|--------|
| Bias | Test it |

### Scope

---

> Quoted guidance
> on two lines.
"""


@dataclass
class FakeComment:
    """What annotate reads of a comment."""

    quote: str
    status: str = "approved"
    is_public: bool = True


def thread(quote: str, **fields) -> Thread:
    return Thread(FakeComment(quote, **fields))  # type: ignore[arg-type]


def test_blocks_are_the_top_level_elements_verbatim():
    html = render_guidance(SOURCE).html
    blocks = split_blocks(html)
    assert [block.split(">", 1)[0] + ">" for block in blocks] == [
        "<p>",
        "<ul>",
        "<table>",
        "<h3>",
        "<hr>",
        "<blockquote>",
    ]
    # Nothing added or lost but the whitespace between blocks.
    assert "".join(html.split()) == "".join("".join(blocks).split())


def test_each_block_is_balanced_and_as_clean_as_the_whole():
    html = render_guidance(SOURCE + '\n<abbr title="a > b">AB</abbr> and <sup>2</sup>\n').html
    for block in split_blocks(html):
        # Sanitising a block again changes nothing: it is a complete piece of the sanitiser's output.
        assert nh3.clean(block, tags={"p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "h3", "hr",
                                      "blockquote", "em", "abbr", "sup"},
                         attributes={"abbr": {"title"}}) == block  # fmt: skip


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("loose <em>text</em> first<p>then</p>tail", ["loose <em>text</em> first", "<p>then</p>", "tail"]),
        ("<p>one</p></div><p>two</p>", ["<p>one</p></div><p>two</p>"]),  # unbalanced: one block, never cut wrongly
        ("<p>open", ["<p>open"]),
        ("", []),
        ("<p>a<br>b</p>\n\n<p>c</p>", ["<p>a<br>b</p>", "<p>c</p>"]),
    ],
)  # fmt: skip
def test_loose_and_unbalanced_html(html, expected):
    assert split_blocks(html) == expected


def test_comments_go_beside_the_block_their_quote_is_in_whitespace_insensitively():
    html = render_guidance(SOURCE).html
    on_list = thread("Explain the   model.")
    on_paragraph = thread("serve the public and be trusted")
    across = thread("trusted by it. Respect privacy.")  # crosses two blocks: placed nowhere
    gone = thread("a sentence of an older version")
    pending = thread("Respect privacy.", status="pending")
    private = thread("Respect privacy.", is_public=False)
    unquoted = thread("")
    threads = [on_list, on_paragraph, across, gone, pending, private, unquoted]

    annotated = annotate(html, threads)

    assert [block.count for block in annotated.blocks] == [1, 1, 0, 0, 0, 0]
    assert annotated.blocks[0].threads == [on_paragraph]
    assert annotated.blocks[1].threads == [on_list]
    assert annotated.unplaced == [across, gone, pending, private, unquoted]
    assert annotated.placed_count == 2


def test_quoted_passages_are_marked_and_the_text_is_unchanged():
    html = render_guidance(SOURCE).html
    annotated = annotate(html, [thread("serve the public and be trusted")])
    first = annotated.blocks[0]
    assert "<mark" in first.html
    assert html_to_text(first.html) == html_to_text(split_blocks(html)[0])
    assert "<mark" not in annotated.blocks[1].html


def test_a_rule_has_no_text_and_takes_no_comment():
    annotated = annotate("<p>Text</p><hr>", [thread("Text")])
    assert [block.text for block in annotated.blocks] == ["Text", ""]
    assert annotated.blocks[0].count == 1
