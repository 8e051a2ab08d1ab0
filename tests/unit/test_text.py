import pytest

from consult_app.text import html_to_text, mark_passage, render_guidance


def test_markdown_structure_is_kept():
    rendered = render_guidance(
        "Some **bold** and *em*.\n\n### Sub\n\n- one\n- two\n\n> quoted\n\n[link](https://example.org)"
    )
    assert "<strong>bold</strong>" in rendered.html
    assert "<h3>Sub</h3>" in rendered.html
    assert "<li>one</li>" in rendered.html
    assert "<blockquote>" in rendered.html
    assert '<a href="https://example.org">link</a>' in rendered.html
    assert rendered.removed == []


def test_script_and_event_handlers_are_removed_and_reported():
    rendered = render_guidance('Text <script>alert(1)</script> and <b onclick="steal()">bold</b>')
    assert "<script" not in rendered.html
    assert "onclick" not in rendered.html
    descriptions = [removal.description for removal in rendered.removed]
    assert "<script> element" in descriptions
    assert 'onclick="steal()" on <b>' in descriptions


def test_javascript_and_data_links_lose_their_target():
    rendered = render_guidance("[a](javascript:alert(1)) [b](data:text/html;base64,PHNjcmlwdD4=) [c](mailto:x@y.org)")
    assert "javascript:" not in rendered.html
    assert "data:" not in rendered.html
    assert 'href="mailto:x@y.org"' in rendered.html
    assert {removal.needle for removal in rendered.removed} == {
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    }


def test_entity_encoded_scheme_is_removed():
    rendered = render_guidance('<a href="&#106;avascript:alert(1)">x</a>')
    assert "avascript" not in rendered.html
    assert rendered.removed


def test_level_one_and_two_headings_and_images_are_not_allowed_in_sections():
    rendered = render_guidance("# Big\n\n## Medium\n\n![alt](http://example.org/i.png)")
    assert "<h1>" not in rendered.html and "<h2>" not in rendered.html and "<img" not in rendered.html
    assert {"<h1> element", "<h2> element", "<img> element"} <= {r.description for r in rendered.removed}


def test_table_alignment_is_dropped_without_a_warning():
    rendered = render_guidance("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in rendered.html and "align" not in rendered.html
    assert rendered.removed == []


def test_html_to_text_collapses_whitespace_and_unescapes():
    assert html_to_text("<p>Fish &amp; <em>chips</em></p>\n<p>two</p>") == "Fish & chips two"


# --- mark_passage: the quoted passage highlighted in a section's HTML (the decision screen) --------------------


@pytest.mark.parametrize(
    ("html", "passage", "expected"),
    [
        ("<p>Serve the public.</p>", "the public", '<p>Serve <mark class="quoted">the public</mark>.</p>'),
        # Across inline markup: one mark per piece of text, so the HTML stays well formed.
        (
            "<p>the <em>public</em> good</p>",
            "public good",
            '<p>the <em><mark class="quoted">public</mark></em><mark class="quoted"> good</mark></p>',
        ),
        # Across paragraphs, as html_to_text reads them (a block boundary is a space); entities stay escaped.
        (
            "<p>A &amp; B</p>\n<p>C</p>",
            "A & B C",
            '<p><mark class="quoted">A &amp; B</mark></p>\n<p><mark class="quoted">C</mark></p>',
        ),
        ("<p>Not here</p>", "absent", "<p>Not here</p>"),
        ("<p>x</p>", "   ", "<p>x</p>"),
        # Attributes are not text: nothing in them is marked.
        ('<p><a href="https://e.org/?a=1">link</a></p>', "a=1", '<p><a href="https://e.org/?a=1">link</a></p>'),
    ],
)
def test_mark_passage(html, passage, expected):
    assert mark_passage(html, passage) == expected


def test_mark_passage_never_lets_markup_in():
    marked = mark_passage("<p>1 &lt; 2 &lt;script&gt;</p>", "< 2 <script>")
    assert marked == '<p>1 <mark class="quoted">&lt; 2 &lt;script&gt;</mark></p>'
