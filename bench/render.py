"""Rendering benchmark: the worst CPU time to render and sanitise pathological Markdown, against the 100 ms bound.

    .venv/bin/python bench/render.py [--length 10000] [--repeat 5] [--scale 10] [--top 8]

Every case of tests/pathological.py (runs of `[`, `](`, `*`, `_`, backticks, `<`, `>`, `![`, `&`; nesting on one
line and over many lines; very long and very many lines; alternations and mixtures; link, autolink and
reference-definition floods; raw HTML), each exactly --length characters (the longest comment, BODY_MAX), is
timed as:

- a comment: text.render_comment, the only rendering a comment, a reply, an edit or a preview runs;
- a quote: the check a quoted passage of QUOTE_MAX characters goes through (found in the text of a section
  rendered from the same case). Quotes and moderation responses are stored as plain text and escaped by the
  templates: neither is ever rendered as Markdown, so there is nothing else of theirs to time;
- guidance: a one-section guidance file parsed by the loader (guidance_source.parse_text: render_guidance, the
  sanitiser, the warnings about what it removed), at --length and, as guidance has no length limit, at --scale
  times --length, where the bound is --scale times as long (the work is linear in the length).

Each case runs --repeat times; its figure is its slowest run, in CPU time (time.process_time), so that other
processes on the machine count as little as they can. Prints the slowest cases of each kind and the worst with
the start of its text, and its ratio to the bound. A missed bound is printed, not a failure: the exit status is
non-zero only when rendering raised anything but the refusal of text nested too deeply.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import common

from consult_app.models.comment import BODY_MAX, QUOTE_MAX
from consult_app.nesting import NestingError
from consult_app.services.comments import normalise_space
from consult_app.services.guidance_source import GuidanceError, parse_text
from consult_app.text import html_to_text, render_comment, render_guidance
from tests.pathological import cases

BOUND_MS = 100
GUIDANCE_FILE = "---\ntitle: Pathological guidance\n---\n\n## The section {#section}\n\n"


@dataclass
class Timing:
    case: str
    text: str
    slowest_ms: float
    median_ms: float
    outcome: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", type=int, default=BODY_MAX, help=f"characters per case ({BODY_MAX:,})")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case (5)")
    parser.add_argument("--scale", type=int, default=10, help="guidance also at this many times --length (10)")
    parser.add_argument("--top", type=int, default=8, help="slowest cases shown per kind (8)")
    args = parser.parse_args()
    print(common.machine_note())
    corpus = cases(args.length)
    print(f"corpus: {len(corpus)} cases of {args.length:,} characters, {args.repeat} runs each")
    kinds = [
        ("comment", corpus, render_comment, BOUND_MS),
        ("quote", corpus, quote_check, BOUND_MS),
        ("guidance", corpus, load_section, BOUND_MS),
        (f"guidance x{args.scale}", cases(args.length * args.scale), load_section, BOUND_MS * args.scale),
    ]
    failures = 0
    for kind, texts, function, bound_ms in kinds:
        timings = [time_case(function, name, text, args.repeat) for name, text in texts]
        failures += report(kind, timings, bound_ms, args.top)
    return 1 if failures else 0


def quote_check(text: str) -> bool:
    """What comments._checked does with a quote: its longest allowed start, looked for in the section's text."""
    quote = normalise_space(text[:QUOTE_MAX])
    return quote in normalise_space(html_to_text(section_html(text)))


_sections: dict[str, str] = {}


def section_html(text: str) -> str:
    """The section the quote is checked against: rendered once per case, outside the timed part after the first
    run (a section is rendered when it is loaded, not when it is quoted)."""
    if text not in _sections:
        try:
            _sections[text] = render_guidance(text).html
        except NestingError:
            _sections[text] = ""
    return _sections[text]


def load_section(text: str) -> object:
    return parse_text(GUIDANCE_FILE + text, "pathological.md")


def time_case(function: Callable[[str], object], name: str, text: str, repeat: int) -> Timing:
    if function is quote_check:
        section_html(text)
    runs, outcome = [], "shown"
    for _ in range(repeat):
        started = time.process_time()
        try:
            function(text)
        except (NestingError, GuidanceError) as error:
            outcome = "refused: nested too deeply" if "nested" in str(error) else f"refused: {error}"
        except Exception as error:  # reported, and the exit status says so
            outcome = f"ERROR {type(error).__name__}: {error}"
        runs.append((time.process_time() - started) * 1000)
    return Timing(name, text, max(runs), statistics.median(runs), outcome)


def report(kind: str, timings: list[Timing], bound_ms: float, top: int) -> int:
    timings.sort(key=lambda timing: timing.slowest_ms, reverse=True)
    rows = [(t.case, f"{t.slowest_ms:.1f}", f"{t.median_ms:.1f}", t.outcome) for t in timings[:top]]
    common.print_table(
        f"{kind}: the {top} slowest of {len(timings)} cases", ["case", "slowest ms", "median ms", "outcome"], rows
    )
    worst = timings[0]
    ratio = worst.slowest_ms / bound_ms
    refused = sum(timing.outcome.startswith("refused") for timing in timings)
    print(f"  worst: {worst.case} ({worst.text[:40]!r}...), {worst.slowest_ms:.1f} ms; {refused} cases refused")
    print(
        f"  RESULT render {kind}: worst case {worst.slowest_ms:.1f} ms CPU, "
        f"{ratio:.2f} of the {bound_ms:.0f} ms bound: " + common.verdict(ratio <= 1, "over it")
    )
    errors = [timing for timing in timings if timing.outcome.startswith("ERROR")]
    for timing in errors:
        print(f"  {timing.case}: {timing.outcome}")
    return len(errors)


if __name__ == "__main__":
    sys.exit(main())
