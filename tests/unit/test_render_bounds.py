"""Rendering takes time linear in the text, whatever the text: every case of tests/pathological.py at the longest
comment renders (or is refused as nested too deeply) within a generous CPU-time bound, as a comment and as
guidance, and what comes out is still right. bench/render.py measures the same cases against the real bound
(100 ms); the bound here is ten times that, in CPU time, so that a loaded machine does not make it flaky.

The hypothesis search at the end (marker `fuzz`) looks for slow texts among long runs of the dangerous tokens.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from consult_app.models.comment import BODY_MAX
from consult_app.nesting import MAX_LEFT_OPEN, MAX_NESTING
from consult_app.services.guidance_source import GuidanceError, parse_text
from consult_app.text import NestingError, html_to_text, render_comment, render_guidance
from tests.functional.test_fuzz import problems_in
from tests.pathological import TOKENS, cases, fill

BOUND_SECONDS = 1.0
CORPUS = cases(BODY_MAX)
FRONT = "---\ntitle: T\n---\n\n"


def cpu_seconds(function, text: str) -> tuple[float, object]:
    """CPU time of function(text), and its result (or the refusal it raised: too deeply nested)."""
    started = time.process_time()
    try:
        result = function(text)
    except (NestingError, GuidanceError) as error:
        result = error
    return time.process_time() - started, result


def test_every_case_has_the_length_asked_for_and_a_name_of_its_own():
    assert len(CORPUS) > 100
    assert {len(text) for _, text in CORPUS} == {BODY_MAX}
    assert len({name for name, _ in CORPUS}) == len(CORPUS)
    assert {len(text) for _, text in cases(777)} == {777}


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _ in CORPUS])
def test_a_pathological_comment_renders_quickly_within_the_allow_lists(name, text):
    seconds, html = cpu_seconds(render_comment, text)
    assert seconds < BOUND_SECONDS, f"{name}: {seconds:.2f} s"
    if not isinstance(html, NestingError):
        assert problems_in(html) == []


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _ in CORPUS])
def test_a_pathological_guidance_section_loads_quickly(name, text):
    seconds, parsed = cpu_seconds(lambda source: parse_text(FRONT + "## S {#s}\n\n" + source, "g.md"), text)
    assert seconds < BOUND_SECONDS, f"{name}: {seconds:.2f} s"
    if isinstance(parsed, GuidanceError):
        assert parsed.line == 5 and "nested too deeply" in parsed.message


# The cases that were quadratic or worse before, or could be: bench/render.py times every case at this length.
LONG_GUIDANCE = {
    "run of '['",
    "run of '>'",
    "'[' * N then '](' * M",
    "alternation '[!['",
    "indented list staircase",
    f"{(MAX_NESTING - 2) // 2} lists deep, repeated",
    "raw HTML '<div></p>'",
    f"raw HTML: {MAX_LEFT_OPEN} bold elements reopened in every paragraph",
    "one label defined again and again",
    "a long target used again and again",
}


@pytest.mark.parametrize(("name", "text"), [case for case in cases(BODY_MAX * 10) if case[0] in LONG_GUIDANCE])
def test_guidance_ten_times_longer_takes_at_most_ten_times_the_bound(name, text):
    """Guidance has no length limit: linear means 100,000 characters stay within ten times the bound."""
    seconds, _ = cpu_seconds(render_guidance, text)
    assert seconds < BOUND_SECONDS * 10, f"{name}: {seconds:.2f} s"


def test_the_long_guidance_cases_exist():
    assert {name for name, _ in CORPUS} >= LONG_GUIDANCE


def test_the_pen_test_inputs_come_out_as_text():
    assert render_comment("[" * BODY_MAX) == "<p>" + "[" * BODY_MAX + "</p>"
    mixed = "[" * 5000 + "](" * 2500
    html = render_comment(mixed)
    assert "<a" not in html and html_to_text(html) == mixed


@pytest.mark.parametrize("unit", ["<", "&", "_a", "<a ", "]("])
def test_runs_of_special_characters_are_shown_as_typed(unit):
    text = fill(unit, BODY_MAX)
    assert render_comment(text) == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</p>"


def test_a_reference_definition_flood_shows_nothing_and_expands_to_no_more_than_the_text():
    assert render_comment(fill("[x]: https://example.org/\n", BODY_MAX)) == ""
    long_target = "[x]: https://example.org/" + "a" * 2000 + "\n\n"
    html = render_comment(long_target + fill("[x]", BODY_MAX - len(long_target)))
    assert len(html) < 4 * BODY_MAX  # each use would be a 2 KB link if every one were expanded


def test_nesting_up_to_the_limit_is_shown_and_beyond_it_refused_with_the_line():
    assert render_comment("> " * 50 + "deep").count("<blockquote>") == 50  # the hostile-input case must still show
    with pytest.raises(NestingError) as one_line:
        render_comment("Fine.\n\n" + "> " * MAX_NESTING + "deep")
    assert one_line.value.line == 3 and f"more than {MAX_NESTING} levels" in str(one_line.value)
    staircase = "".join("  " * depth + "- x\n" for depth in range(MAX_NESTING))  # one level per line
    with pytest.raises(NestingError) as many_lines:
        render_comment("Fine.\n\n" + staircase)
    assert many_lines.value.line == 2 + MAX_NESTING // 2 + 1  # a list level is two elements: <ul><li>


def test_the_guidance_loader_names_the_section_and_the_line_where_it_goes_too_deep():
    text = FRONT + "## One {#one}\n\nFine.\n\n" + "> " * (MAX_NESTING + 1) + "deep\n"
    with pytest.raises(GuidanceError) as raised:
        parse_text(text, "g.md")
    assert raised.value.line == 5 and raised.value.message.endswith(f"more than {MAX_NESTING} levels deep from line 9")


def test_raw_html_in_guidance_cannot_hide_its_nesting():
    for deep in ["<div></span>" * 500, "<div><b>" * 500, "<div>" + "".join(f"<b title={n}>" for n in range(20))]:
        with pytest.raises(NestingError):
            render_guidance(deep + "</div>" + "<p>x" * 500)


def test_raw_html_that_leaves_siblings_open_is_not_nesting():
    rendered = render_guidance("<ul>" + "<li>item" * 200 + "</ul>\n\n<dl>" + "<dt>a<dd>b" * 100 + "</dl>")
    assert rendered.html.count("<li>") == 200 and rendered.removed == []
    assert render_guidance('<a href="/x">link ' * 200).html.count("link") == 200  # a link closes the one before


def test_tags_inside_a_script_are_text_to_the_parser_and_to_the_check():
    rendered = render_guidance("<script>" + "if (a <b && c <em) d();" * 200 + "</script>\n\nAfter.")
    assert rendered.html == "<p>After.</p>" and [r.description for r in rendered.removed] == ["<script> element"]


def test_an_attribute_value_with_angle_brackets_is_not_reported_as_removed():
    rendered = render_guidance('<abbr title="a > b, c < d">ABC</abbr> and [x](https://example.org/ "1 > 0")')
    assert rendered.removed == [] and '<abbr title="a &gt; b, c &lt; d">ABC</abbr>' in rendered.html


def test_unsafe_link_targets_leave_text_that_links_nowhere():
    html = render_comment("[a](javascript:alert(1)) [b](livescript:x) [c](https://example.org/)")
    assert re.findall(r"<a[^>]*>", html) == [
        '<a rel="nofollow noopener">',
        '<a rel="nofollow noopener">',
        '<a href="https://example.org/" rel="nofollow noopener">',
    ]


# --- searching for slow texts -------------------------------------------------------------------------------

SEARCH = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Long runs of the tokens Markdown gives a meaning to, one after another, cut to the longest comment.
LONG_TEXTS = st.lists(st.tuples(st.sampled_from(TOKENS), st.integers(1, 3000)), min_size=1, max_size=6).map(
    lambda runs: "".join(token * count for token, count in runs)[:BODY_MAX]
)


@pytest.mark.fuzz
@SEARCH
@given(LONG_TEXTS)
def test_no_long_run_of_dangerous_tokens_is_slow(text):
    comment_seconds, html = cpu_seconds(render_comment, text)
    guidance_seconds, _ = cpu_seconds(render_guidance, text)
    target(comment_seconds + guidance_seconds, label="CPU seconds")  # steers the search towards slower texts
    assert comment_seconds < BOUND_SECONDS and guidance_seconds < BOUND_SECONDS
    if not isinstance(html, NestingError):
        assert problems_in(html) == []
