"""Accessible charts drawn on the server as SVG: no script, no library, no CDN.

Each chart carries its data table (the text alternative, WCAG 2.2 1.1.1), names its series
by text and by pattern or dash and marker, never by colour alone (1.4.1), draws in colours
of at least 3:1 against white for graphics and 4.5:1 for text (1.4.11, 1.4.3), and scales to
the width of a phone (1.4.10): each chart is drawn twice, at a page's width and at a phone's
(`Chart.narrow`, shown below 40rem by mutualis.css), so that on a phone its text keeps its
size and the whole chart is in view. The SVG stands alone (title, desc, legend inside it),
so a PDF report can embed it as it is.

Render one with `{% include "insights/_chart.html" with chart=c %}`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from mutualis.lib.wording import labelled

# Dark enough against white for graphics (>= 3:1) and for text (>= 4.5:1).
COLOURS = ("#1d4f91", "#a8430c", "#2a6e35", "#6a3d9a", "#8a1c1c", "#4d4d4d")
TEXT = "#1e1e1e"
GRID = "#949494"  # 3:1 against white: the axis and its ticks are read, not decoration
BAND_FILL = "#c9d7ec"
# Lines: a dash pattern and a marker each, so series differ in grey print and to the colour-blind.
DASHES = ("", "8 4", "2 3", "10 4 2 4", "14 6", "4 4")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "circle")
WIDTH = 640
# A phone's chart: a 390 px screen less the page's margins (16 px each side) draws it at
# 358 px, its 13 px text at 12.9 px. Shrunk from WIDTH instead, the text fell to 7 px.
NARROW_WIDTH = 360
FONT = 13
# The widest a character of the labels is drawn, in the chart's units (13 px system-ui).
CHAR = 7.2
# Above this many bars, a value on each would overlap: the axis ticks and the table say them.
MAX_VALUE_LABELS = 24


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    columns: list[str]  # the data table alternative: its headers…
    rows: list[list[Any]]  # …and its rows, the first cell naming the row
    # The tickets behind each cell (drill-down), aligned with `rows`; None where there is no link.
    links: list[list[str | None]] = field(default_factory=list)
    # The same chart drawn for a phone's width (NARROW_WIDTH); the page shows one or the other.
    narrow: SafeString | None = None
    # A shorter name drawn for a column on a phone (column → short name), where a long one
    # wrapped into a header row 126-142 px high; the full name stays the one read (_chart.html).
    short_columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> list[tuple[str, str | None]]:
        """The data table's column names, each with its short name on a phone, if any."""
        return [(column, self.short_columns.get(column)) for column in self.columns]

    @property
    def table(self) -> list[list[tuple[Any, str | None]]]:
        """Rows of (value, link)."""
        out = []
        for i, row in enumerate(self.rows):
            row_links = self.links[i] if i < len(self.links) else []
            out.append([(v, row_links[j] if j < len(row_links) else None) for j, v in enumerate(row)])
        return out

    @property
    def body(self) -> SafeString:
        """The data table's rows as HTML (`_chart.html`): the first cell of each is the row's
        header, the others numbers as `floatformat:"-1g"` writes them, each a link to the
        tickets behind it when it has one. Written here rather than by the template
        language: a breakdown by member is 485 rows, which the template took ~100 ms to
        write (docs/benchmarks-history.md)."""
        lines = []
        for row in self.table:
            cells = []
            for j, (value, link) in enumerate(row):
                text = "–" if value is None else conditional_escape(value if j == 0 else table_number(value))
                if link:
                    text = f'<a href="{conditional_escape(link)}">{text}</a>'
                cells.append(f'<th scope="row">{text}</th>' if j == 0 else f'<td class="num">{text}</td>')
            lines.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped above)


def table_number(value: Any) -> str:
    """`value|floatformat:"-1g"`: whole numbers without decimals, others with one, grouped
    by thousands in the current language. A whole number takes floatformat's own branch for
    them directly (number_format of its digits), 5 times faster than the filter."""
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(f"{value:d}", 0, use_l10n=True, force_grouping=True)
    return floatformat(value, "-1g")


def number(value: float | None) -> str:
    """A value as people read it: an integer without decimals, else one decimal, localised."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return formats.number_format(int(value), force_grouping=True)
    return formats.number_format(round(value, 1), 1, force_grouping=True)


def _chart_id(title: str, *parts: Any) -> str:
    digest = hashlib.sha1(repr((title, parts)).encode(), usedforsecurity=False).hexdigest()
    return f"chart-{digest[:10]}"


def _nice_max(value: float) -> tuple[float, float]:
    """An axis top at or above `value` and a round tick step (1, 2 or 5 × 10^k)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if step < 1 and float(value).is_integer():
        step = 1.0
    return step * math.ceil(value / step - 1e-9), step


def _text(x: float, y: float, content: str, *, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT}" '
        f'fill="{TEXT}"{extra}>{escape(content)}</text>'
    )


def _patterns(cid: str, count: int) -> str:
    """Bar fills: solid, hatched, dotted, crossed… one per series, outlined in its colour."""
    defs = []
    for i in range(count):
        colour = COLOURS[i % len(COLOURS)]
        kind = i % 5
        pid = f"{cid}-p{i}"
        if kind == 0:
            body = f'<rect width="8" height="8" fill="{colour}"/>'
        elif kind == 1:
            body = f'<rect width="8" height="8" fill="#fff"/><path d="M-2 2l4-4M0 8l8-8M6 10l4-4" stroke="{colour}" stroke-width="2.5"/>'
        elif kind == 2:
            body = f'<rect width="8" height="8" fill="#fff"/><circle cx="4" cy="4" r="2.2" fill="{colour}"/>'
        elif kind == 3:
            body = f'<rect width="8" height="8" fill="#fff"/><path d="M0 0l8 8M8 0l-8 8" stroke="{colour}" stroke-width="1.8"/>'
        else:
            body = f'<rect width="8" height="8" fill="#fff"/><path d="M0 2h8M0 6h8" stroke="{colour}" stroke-width="2"/>'
        defs.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{body}</pattern>'
        )
    return "".join(defs)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f}l5 9h-10z" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}l5 5-5 5-5-5z" fill="{colour}"/>'
    if kind == "cross":
        return f'<path d="M{x - 4:.1f} {y - 4:.1f}l8 8M{x + 4:.1f} {y - 4:.1f}l-8 8" stroke="{colour}" stroke-width="2.5"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _legend(entries: list[str], names: list[str], top: float, chart_width: int) -> tuple[str, float]:
    """Swatches and names, wrapped over as many lines as needed; returns (svg, height)."""
    parts, x, y = [], 8.0, top
    for swatch, name in zip(entries, names, strict=True):
        width = 30 + CHAR * len(name) + 18
        if x + width > chart_width - 8 and x > 8:
            x, y = 8.0, y + 22
        parts.append(f'<g transform="translate({x:.1f},{y:.1f})">{swatch}')
        parts.append(_text(30, 5, name, anchor="start") + "</g>")
        x += width
    return "".join(parts), (y - top) + 22


def _svg(cid: str, title: str, desc: str, height: float, body: str, width: int) -> SafeString:
    return mark_safe(  # noqa: S308 - every text put in it went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {width} {height:.0f}" width="100%" preserveAspectRatio="xMidYMin meet" '
        f'class="chart-svg" font-family="system-ui, sans-serif">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _both_widths(
    cid: str, title: str, desc: str, paint: Callable[[str, int], tuple[str, float]]
) -> tuple[SafeString, SafeString]:
    """The chart painted at a page's width and at a phone's (`paint(id, width)` gives the
    body and its height); the phone's ids apart, as both drawings are in the page."""
    drawn = []
    for width, own in ((WIDTH, cid), (NARROW_WIDTH, f"{cid}n")):
        body, height = paint(own, width)
        drawn.append(_svg(own, title, desc, height, body, width))
    return drawn[0], drawn[1]


def _link(url: str | None, inner: str, label: str) -> str:
    """A bar that opens its tickets when clicked, named in a tooltip. The chart is an image
    to assistive technologies (role="img"): a link inside it would be focusable yet unnamed
    to them (WCAG 4.1.2, axe's nested-interactive), so the bar carries its address as data
    and the page's script follows it on a click; the data table under the chart carries
    the same links for the keyboard, screen readers and pages without script."""
    if not url:
        return inner
    return f'<g class="chart-link" data-href="{escape(url)}"><title>{escape(label)}</title>{inner}</g>'


def _describe(value_label: str, labels: Sequence[str], series: Mapping[str, Sequence[Any]]) -> str:
    """A one-sentence summary for the SVG's desc: what is measured and where it peaks."""
    best: tuple[float, str, str] | None = None
    for name, values in series.items():
        for label, value in zip(labels, values, strict=False):
            if value is not None and (best is None or value > best[0]):
                best = (value, label, name)
    if best is None:
        return _("%(measure)s: no data.") % {"measure": value_label}
    where = best[1] if len(series) == 1 else f"{best[1]}, {best[2]}"
    return _("%(measure)s; highest: %(value)s (%(where)s). The table below gives every value.") % {
        "measure": value_label,
        "value": number(best[0]),
        "where": where,
    }


def bar_chart(
    *,
    title: str,
    labels: list[str],
    series: Mapping[str, Sequence[float]],
    value_label: str,
    horizontal: bool = False,
    label_header: str = "",
    links: Mapping[str, Sequence[str | None]] | None = None,
) -> Chart:
    """Grouped bars, one group per label and one bar per series. `links`: per series, the
    URL of the tickets behind each bar (drawn as links in the SVG and in the table)."""
    names = list(series)
    cid = _chart_id(title, labels, series)
    links = links or {}
    desc = _describe(value_label, labels, series)

    svg, narrow = _both_widths(
        cid,
        title,
        desc,
        lambda own, width: _bars(
            own,
            width,
            labels=labels,
            series=series,
            value_label=value_label,
            horizontal=horizontal,
            links=links,
        ),
    )

    columns = [label_header or _("Label"), *names]
    rows = [[label, *(series[n][i] for n in names)] for i, label in enumerate(labels)]
    table_links = [
        [None, *((links.get(n) or [None] * len(labels))[i] for n in names)] for i in range(len(labels))
    ]
    return Chart(title=title, svg=svg, columns=columns, rows=rows, links=table_links, narrow=narrow)


def _bars(
    cid: str,
    chart_width: int,
    *,
    labels: list[str],
    series: Mapping[str, Sequence[float]],
    value_label: str,
    horizontal: bool,
    links: Mapping[str, Sequence[str | None]],
) -> tuple[str, float]:
    """The body of a bar chart `chart_width` wide, and its height."""
    names = list(series)
    narrow = chart_width < WIDTH
    top_value = max((v for values in series.values() for v in values if v is not None), default=0)
    axis_max, step = _nice_max(float(top_value))
    swatches = [
        f'<rect width="22" height="12" y="-5" fill="url(#{cid}-p{i})" stroke="{COLOURS[i % len(COLOURS)]}"/>'
        for i in range(len(names))
    ]
    legend, legend_height = _legend(swatches, names, 12, chart_width) if len(names) > 1 else ("", 0.0)
    body = [f"<defs>{_patterns(cid, len(names))}</defs>", legend]
    bars = len(labels) * max(len(names), 1)
    show_values = bars <= MAX_VALUE_LABELS
    if horizontal:
        # On a phone each label stands on its own line above its bars, which then take the
        # whole width: beside them, a label column left the bars a quarter of the chart.
        label_line = 16.0 if narrow else 0.0
        left = 8.0 if narrow else min(220.0, 16 + 7.0 * max((len(s) for s in labels), default=4))
        right = chart_width - 56.0
        band = max(len(names), 1) * 18 + 10 + label_line
        top = legend_height + 16
        height = top + band * len(labels) + 34
        plot_bottom = top + band * len(labels)
        scale = (right - left) / axis_max
        tick = 0.0
        while tick <= axis_max + 1e-9:
            x = left + tick * scale
            body.append(
                f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}" stroke-width="0.6" stroke-dasharray="2 3"/>'
            )
            body.append(_text(x, plot_bottom + 16, number(tick)))
            tick += step
        body.append(_text((left + right) / 2, plot_bottom + 32, value_label))
        for li, label in enumerate(labels):
            y0 = top + li * band + 5
            if narrow:
                body.append(_text(left, y0 + 8, _fit(label, chart_width - 16), anchor="start"))
            else:
                body.append(
                    _text(
                        left - 6, y0 + band / 2, label[:32], anchor="end", extra=' dominant-baseline="middle"'
                    )
                )
            for si, name in enumerate(names):
                value = series[name][li] or 0
                y = y0 + label_line + si * 18
                width = value * scale
                url = (links.get(name) or [None] * len(labels))[li]
                rect = (
                    f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="14" '
                    f'fill="url(#{cid}-p{si})" stroke="{COLOURS[si % len(COLOURS)]}"/>'
                )
                body.append(_link(url, rect, labelled(f"{label}, {name}", number(value))))
                if show_values:
                    body.append(_text(left + width + 4, y + 11, number(value), anchor="start"))
        body.append(
            f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{plot_bottom:.1f}" stroke="{TEXT}"/>'
        )
    else:
        left, right = (48.0, chart_width - 8.0) if narrow else (56.0, chart_width - 12.0)
        left = max(left, _value_axis_room(axis_max))
        top = legend_height + 16
        rotate = (
            len(labels) > (4 if narrow else 8)
            or max((len(s) for s in labels), default=0) * len(labels) * 7 > right - left
        )
        label_room = min(110.0, 10 + 6.0 * max((len(s) for s in labels), default=4)) if rotate else 24.0
        if rotate and labels:
            # The axis's own numbers need 40 units; a long first label slanted needs more.
            room = _slanted_overhang(labels[0], 24, (right - left) / len(labels))
            left = max(left, min(room + 8, (right - left) / 3))
        plot_height = 220.0
        plot_bottom = top + plot_height
        height = plot_bottom + label_room + 22
        scale = plot_height / axis_max
        body += _value_axis(left, right, top, plot_bottom, axis_max, step, value_label)
        group = (right - left) / max(len(labels), 1)
        bar = min(40.0, (group - 6) / max(len(names), 1))
        # A value is written above its bar only where it fits the bar's width (about 0.6 em
        # a character): 24 hourly counts of four digits would run into each other.
        widest = max((len(number(v or 0)) for name in names for v in series[name]), default=0)
        show_values = show_values and widest * FONT * 0.6 <= bar + 2
        # Where the labels would overlap even slanted (a phone's 31 days), every other one.
        every = max(1, math.ceil(len(labels) * FONT * 1.2 / (right - left))) if rotate else 1
        for li, label in enumerate(labels):
            x0 = left + li * group + (group - bar * len(names)) / 2
            for si, name in enumerate(names):
                value = series[name][li] or 0
                h = value * scale
                x = x0 + si * bar
                url = (links.get(name) or [None] * len(labels))[li]
                rect = (
                    f'<rect x="{x:.1f}" y="{plot_bottom - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                    f'fill="url(#{cid}-p{si})" stroke="{COLOURS[si % len(COLOURS)]}"/>'
                )
                body.append(_link(url, rect, labelled(f"{label}, {name}", number(value))))
                if show_values:
                    body.append(_text(x + bar / 2, plot_bottom - h - 4, number(value)))
            if li % every:
                continue
            cx = left + li * group + group / 2
            if rotate:
                body.append(
                    _text(
                        cx,
                        plot_bottom + 14,
                        label[:24],
                        anchor="end",
                        extra=f' transform="rotate(-45 {cx:.1f} {plot_bottom + 14:.1f})"',
                    )
                )
            else:
                body.append(_text(cx, plot_bottom + 18, label))
        body.append(
            f'<line x1="{left:.1f}" y1="{plot_bottom:.1f}" x2="{right:.1f}" y2="{plot_bottom:.1f}" stroke="{TEXT}"/>'
        )
    return "".join(body), height


def _value_axis(
    left: float, right: float, top: float, bottom: float, axis_max: float, step: float, label: str
) -> list[str]:
    """The vertical value axis of bars and lines: a dashed grid line and its number at each
    step from 0 to `axis_max`, and the axis's title turned along it."""
    parts = []
    scale = (bottom - top) / axis_max
    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = bottom - tick * scale
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="0.6" stroke-dasharray="2 3"/>'
        )
        parts.append(_text(left - 6, y + 4, number(tick), anchor="end"))
        tick += step
    middle = (top + bottom) / 2
    parts.append(_text(14, middle, label, extra=f' transform="rotate(-90 14 {middle:.1f})"'))
    return parts


def _value_axis_room(axis_max: float) -> float:
    """Room left of the plot for the value axis: its title, turned on its side about x = 14
    (7 to 21), then its widest tick label and 6 units of gap. Without it, "8 000" ran into
    the title "véhicules comptés"."""
    return 24 + len(number(axis_max)) * CHAR * 1.1 + 6


def _slanted_overhang(first: str, cut: int, slot: float) -> float:
    """How far left of the plot the first label, slanted at 45°, runs past the middle of its
    slot (`slot` wide): the room the chart keeps left of the plot, so that "Décembre 2025"
    is not cut to "embre 2025"."""
    return len(first[:cut]) * CHAR * 0.8 - slot / 2


def _fit(label: str, room: float) -> str:
    """The label, cut with an ellipsis where it would run past `room` units."""
    most = max(4, int(room / CHAR))
    return label if len(label) <= most else label[: most - 1] + "…"


def line_chart(
    *,
    title: str,
    x_labels: list[str],
    series: Mapping[str, Sequence[float | None]],
    value_label: str,
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    band_label: str = "",
    band_short_names: tuple[str, str] | None = None,
    short_names: Mapping[str, str] | None = None,
    label_header: str = "",
) -> Chart:
    """Lines over `x_labels`; a None breaks the line. `band` (low, high) is drawn as a shaded
    area behind, e.g. a forecast's interval, named `band_label` in the legend and the table;
    its columns there are named `band_short_names` on a phone, when given, and a series'
    column its name in `short_names` (series name → short name)."""
    names = list(series)
    cid = _chart_id(title, x_labels, series, band)
    desc = _describe(value_label, x_labels, series)

    svg, narrow = _both_widths(
        cid,
        title,
        desc,
        lambda own, width: _lines(
            own,
            width,
            x_labels=x_labels,
            series=series,
            value_label=value_label,
            band=band,
            band_label=band_label,
        ),
    )

    columns = [label_header or _("Label"), *names]
    rows: list[list[Any]] = [
        [label, *(series[n][i] if i < len(series[n]) else None for n in names)]
        for i, label in enumerate(x_labels)
    ]
    short = {name: shortly for name, shortly in (short_names or {}).items() if name in series}
    if band:
        low_name = _("%(band)s – low") % {"band": band_label or _("Interval")}
        high_name = _("%(band)s – high") % {"band": band_label or _("Interval")}
        columns += [low_name, high_name]
        for i, row in enumerate(rows):
            row += [band[0][i] if i < len(band[0]) else None, band[1][i] if i < len(band[1]) else None]
        if band_short_names:
            short.update(zip((low_name, high_name), band_short_names, strict=True))
    return Chart(title=title, svg=svg, columns=columns, rows=rows, narrow=narrow, short_columns=short)


def _lines(
    cid: str,
    chart_width: int,
    *,
    x_labels: list[str],
    series: Mapping[str, Sequence[float | None]],
    value_label: str,
    band: tuple[Sequence[float | None], Sequence[float | None]] | None,
    band_label: str,
) -> tuple[str, float]:
    """The body of a line chart `chart_width` wide, and its height."""
    names = list(series)
    narrow = chart_width < WIDTH
    values = [v for vs in series.values() for v in vs if v is not None]
    if band:
        values += [v for v in band[1] if v is not None]
    axis_max, step = _nice_max(float(max(values, default=0)))
    swatches = [
        f'<line x1="0" x2="22" y1="1" y2="1" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2.5" '
        f'stroke-dasharray="{DASHES[i % len(DASHES)]}"/>'
        + _marker(MARKERS[i % len(MARKERS)], 11, 1, COLOURS[i % len(COLOURS)])
        for i in range(len(names))
    ]
    legend_names = list(names)
    if band:
        swatches.append(
            f'<rect width="22" height="12" y="-5" fill="{BAND_FILL}" stroke="{GRID}" stroke-dasharray="3 2"/>'
        )
        legend_names.append(band_label or _("Interval"))
    legend, legend_height = _legend(swatches, legend_names, 12, chart_width)
    left, right = (48.0, chart_width - 10.0) if narrow else (56.0, chart_width - 16.0)
    left = max(left, _value_axis_room(axis_max))
    top = legend_height + 16
    longest = max((len(s) for s in x_labels), default=0)
    rotate = len(x_labels) > (6 if narrow else 12) or longest * len(x_labels) * 7 > right - left
    label_room = min(90.0, 10 + 6.0 * max((len(s) for s in x_labels), default=4)) if rotate else 24.0
    plot_height = 220.0
    plot_bottom = top + plot_height
    height = plot_bottom + label_room + 22
    scale = plot_height / axis_max
    # Each point in the middle of its slot, as bars are: the first and last labels fit.
    if rotate and x_labels:
        room = _slanted_overhang(x_labels[0], 20, (right - left) / len(x_labels))
        left = max(left, min(room + 8, (right - left) / 3))
    gap = (right - left) / max(len(x_labels), 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (i + 0.5) * gap, plot_bottom - v * scale

    body = [legend]
    body += _value_axis(left, right, top, plot_bottom, axis_max, step, value_label)
    if band:
        low, high = band
        # One polygon per run of points where both bounds are known.
        run: list[int] = []
        for i in [*range(len(x_labels)), -1]:
            if i >= 0 and i < len(low) and i < len(high) and low[i] is not None and high[i] is not None:
                run.append(i)
                continue
            if run:
                upper = [xy(j, float(high[j] or 0)) for j in run]
                lower = [xy(j, float(low[j] or 0)) for j in reversed(run)]
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower)
                body.append(
                    f'<polygon points="{points}" fill="{BAND_FILL}" stroke="{GRID}" stroke-dasharray="3 2"/>'
                )
                run = []
    for si, name in enumerate(names):
        colour, dash = COLOURS[si % len(COLOURS)], DASHES[si % len(DASHES)]
        path, pen_down = [], False
        for i, v in enumerate(series[name]):
            if v is None:
                pen_down = False
                continue
            x, y = xy(i, float(v))
            path.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
        if path:
            body.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>'
            )
        for i, v in enumerate(series[name]):
            if v is not None:
                body.append(_marker(MARKERS[si % len(MARKERS)], *xy(i, float(v)), colour))
    # Tick labels a phone has room for: half a page's.
    most = 6 if narrow else 12
    every = (
        max(1, math.ceil(len(x_labels) / most))
        if not rotate
        else max(1, math.ceil(len(x_labels) / (2 * most)))
    )
    for i, label in enumerate(x_labels):
        if i % every:
            continue
        x = left + (i + 0.5) * gap
        if rotate:
            body.append(
                _text(
                    x,
                    plot_bottom + 14,
                    label[:20],
                    anchor="end",
                    extra=f' transform="rotate(-45 {x:.1f} {plot_bottom + 14:.1f})"',
                )
            )
        else:
            body.append(_text(x, plot_bottom + 18, label))
    body.append(
        f'<line x1="{left:.1f}" y1="{plot_bottom:.1f}" x2="{right:.1f}" y2="{plot_bottom:.1f}" stroke="{TEXT}"/>'
    )
    return "".join(body), height
