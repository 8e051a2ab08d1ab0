from consult_app.text import html_to_text, render_guidance


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
