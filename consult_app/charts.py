"""Bar charts drawn on the server as inline SVG: no JavaScript, and no `style` attributes (the CSP forbids
both). Colours and fonts come from classes styled in static/consult.css.

A chart is an image to assistive technology (`role="img"`), named by its `<title>` and described by its
`<desc>`, which lists every label and value; pages still show the same figures in a table beside it.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence

from flask_babel import gettext
from markupsafe import Markup

# Geometry in viewBox units. The viewBox is about as wide as a chart on a 320 px screen (less the page's
# margins), so text drawn at 15 units is close to 15 px there; the stylesheet caps the chart's width, which
# keeps it at most about 18 px on wide screens.
WIDTH = 300
FONT_SIZE = 15
LINE_HEIGHT = 18
BAR_HEIGHT = 14
ROW_GAP = 10
PADDING = 4
VALUE_SPACE = 56  # right of the longest bar, for a value of up to six digits
# Short labels ("2026-W48") sit in a column left of their bar; longer ones go above it, wrapped.
INLINE_LABEL_CHARS = 10
LABEL_COLUMN = 88
WRAP_CHARS = 34
MAX_LABEL_LINES = 3

_chart_numbers = itertools.count(1)


def bar_chart(title: str, bars: Sequence[tuple[str, int]], *, description: str) -> Markup:
    """A horizontal bar chart of `bars` ((label, value) pairs, values >= 0), scaled to the largest value.

    `description` opens the text alternative; every label and value follows it. Every text is escaped
    (Markup.format escapes each argument that is not Markup already). Each call uses ids of its own, so
    several charts can share a page.
    """
    number = next(_chart_numbers)
    # Lazy translations (labels.py) become text here, in the reader's language; Markup stays Markup (escaped once).
    title, description = _text(title), _text(description)
    bars = [(_text(label), value) for label, value in bars]
    title_id, desc_id = f"chart-{number}-title", f"chart-{number}-desc"
    if bars:
        rows, height = _rows(bars, inline=all(len(label) <= INLINE_LABEL_CHARS for label, _ in bars))
    else:
        rows, height = [_empty_row()], PADDING + LINE_HEIGHT + PADDING
    head = Markup(
        '<svg class="chart" role="img" aria-labelledby="{}" aria-describedby="{}" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" font-size="{}" focusable="false">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>'
    ).format(title_id, desc_id, WIDTH, height, FONT_SIZE, title_id, title, desc_id, text_alternative(description, bars))
    return head + Markup("").join(rows) + Markup("</svg>")


def text_alternative(description: str, bars: Sequence[tuple[str, int]]) -> str:
    """'Comments per week. 2026-W48: 3; 2026-W49: 0.' (plain text: the caller escapes it), in the reader's
    language ('2026-W48 : 3' in French)."""
    if not bars:
        return gettext("%(description)s No data.", description=description).strip()
    figures = gettext("; ").join(gettext("%(label)s: %(value)s", label=label, value=value) for label, value in bars)
    return gettext("%(description)s %(figures)s.", description=description, figures=figures).strip()


def _rows(bars: Sequence[tuple[str, int]], inline: bool) -> tuple[list[Markup], int]:
    """The drawn rows and the total height."""
    largest = max((value for _, value in bars), default=0)
    bar_x = LABEL_COLUMN if inline else PADDING
    span = WIDTH - bar_x - VALUE_SPACE
    rows, y = [], PADDING
    for label, value in bars:
        lines = [label] if inline else _wrapped(label)
        label_y = y + BAR_HEIGHT - 2 if inline else y + FONT_SIZE
        bar_y = y if inline else y + len(lines) * LINE_HEIGHT
        width = span * value / largest if largest else 0
        if value and width < 2:
            width = 2  # keep the smallest non-zero value visible next to a zero
        rows.append(
            Markup('<g class="chart__row">{}{}{}</g>').format(
                _label(lines, bar_x - 6 if inline else PADDING, label_y, inline),
                Markup('<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}"></rect>').format(
                    bar_x, _number(bar_y), _number(width), BAR_HEIGHT
                ),
                Markup('<text class="chart__value" x="{}" y="{}">{}</text>').format(
                    _number(bar_x + width + 4), _number(bar_y + BAR_HEIGHT - 2), value
                ),
            )
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    axis = Markup('<line class="chart__axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>').format(
        bar_x, PADDING, bar_x, _number(y - ROW_GAP)
    )
    return [*rows, axis], int(y - ROW_GAP + PADDING)


def _label(lines: list[str], x: float, y: float, inline: bool) -> Markup:
    anchor = Markup(' text-anchor="end"') if inline else Markup("")
    first, *rest = lines
    more = Markup("").join(
        Markup('<tspan x="{}" dy="{}">{}</tspan>').format(_number(x), LINE_HEIGHT, line) for line in rest
    )
    return Markup('<text class="chart__label" x="{}" y="{}"{}>{}{}</text>').format(
        _number(x), _number(y), anchor, first, more
    )


def _wrapped(label: str) -> list[str]:
    """The label on at most MAX_LABEL_LINES lines; the full text is in the description and the table."""
    lines = textwrap.wrap(label, WRAP_CHARS) or [""]
    if len(lines) > MAX_LABEL_LINES:
        lines = lines[:MAX_LABEL_LINES]
        lines[-1] = lines[-1][: WRAP_CHARS - 1].rstrip() + "…"
    return lines


def _empty_row() -> Markup:
    return Markup('<text class="chart__label chart__empty" x="{}" y="{}">{}</text>').format(
        PADDING, PADDING + FONT_SIZE, gettext("No data")
    )


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def _number(value: float) -> str:
    """Coordinates with at most one decimal, without a trailing '.0'."""
    return f"{round(value, 1):g}"
