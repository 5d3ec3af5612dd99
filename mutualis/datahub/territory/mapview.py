"""The territory map, drawn on the server as SVG from shipped data only: no tiles, no
script, nothing fetched.

A plain coordinate view: longitude and latitude projected equirectangularly, longitudes
shortened by cos(mean latitude) so that distances east–west and north–south keep their
proportions at the territory's latitude (at 48.8° N a degree of longitude is 0.66 of a
degree of latitude). Commune centres come from the territory reference
(data/territory/positions.csv); sites from the registry; sensors from their `location`.

Each sensor is a link whose marker's **shape** says its type and whose outline and badge say
its state (filled: working; ring and "!": needs attention; hollow dashed: no recent data),
with the same in words in its title and in the table that follows the map (WCAG 1.4.1, 1.1.1).
The "!" is drawn inside its marker, and the communes' names are placed clear of the markers,
the scale bar and each other where there is room: beside its marker, the "!" ran into names.

The map is drawn twice (`draw_for_screens`), for a wide screen and for a phone, and the page
shows the one that fits (territory/_map.html, territory.css): its names keep 12 units and
must be drawn 12 px or more, which a 640-unit view shrunk to a phone was not (7 px), and a
640-px map in a phone's box was half out of sight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..smart_data_models import (
    AC_MEASUREMENT,
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
)
from .selectors import State

WIDTH = 640
# A phone's view: the map's box on a 320 px screen (its 1rem margins off), where 12-unit
# names are then 12 px; on a 390 px screen they are 15 px. As tall as 1.5 times its width,
# since a phone is held upright.
PHONE_WIDTH = 288
PHONE_TALLEST = 432
PAD = 36
INK = "#1e1e1e"
MARKER = "#0b3d7a"  # 10.6:1 on white
ALERT = "#a4161a"  # 7.4:1 on white; the state is also said by the ring and the "!"
SITE = "#555555"
COMMUNE = "#2a6e35"
FONT = 12

SHAPES = {
    AIR_QUALITY_OBSERVED.name: "circle",
    NOISE_LEVEL_OBSERVED.name: "triangle",
    TRAFFIC_FLOW_OBSERVED.name: "square",
    STREETLIGHT.name: "diamond",
    WATER_OBSERVED.name: "drop",
    FLOOD_MONITORING.name: "hexagon",
    EV_CHARGING_STATION.name: "plus",
    AC_MEASUREMENT.name: "pentagon",
}
TYPE_LABELS = {
    AIR_QUALITY_OBSERVED.name: gettext_lazy("air quality"),
    NOISE_LEVEL_OBSERVED.name: gettext_lazy("noise"),
    TRAFFIC_FLOW_OBSERVED.name: gettext_lazy("traffic counter"),
    STREETLIGHT.name: gettext_lazy("street light"),
    WATER_OBSERVED.name: gettext_lazy("river gauge"),
    FLOOD_MONITORING.name: gettext_lazy("flood sensor"),
    EV_CHARGING_STATION.name: gettext_lazy("charging station"),
    AC_MEASUREMENT.name: gettext_lazy("energy meter"),
}
STATE_LABELS = {
    State.OK: gettext_lazy("working"),
    State.ATTENTION: gettext_lazy("needs attention"),
    State.SILENT: gettext_lazy("no recent data"),
}


@dataclass(frozen=True)
class Point:
    lon: float
    lat: float
    label: str
    url: str = ""
    kind: str = ""  # SDM type name of a sensor
    state: str = State.OK
    title: str = ""  # the words said on focus and hover
    badge: str = ""  # a commune's short count


def shape(kind: str, x: float, y: float, r: float, fill: str, stroke: str, dash: str = "") -> str:
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="2"' + (
        f' stroke-dasharray="{dash}"' if dash else ""
    )

    def polygon(points: list[tuple[float, float]]) -> str:
        text = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in points)
        return f'<polygon points="{text}" {common}/>'

    def regular(sides: int, turn: float) -> str:
        return polygon(
            [
                (r * math.cos(turn + 2 * math.pi * i / sides), r * math.sin(turn + 2 * math.pi * i / sides))
                for i in range(sides)
            ]
        )

    if kind == "triangle":
        return polygon([(0, -r * 1.15), (r, r * 0.75), (-r, r * 0.75)])
    if kind == "drop":
        return polygon([(-r, -r * 0.75), (r, -r * 0.75), (0, r * 1.15)])
    if kind == "square":
        return f'<rect x="{x - r * 0.85:.1f}" y="{y - r * 0.85:.1f}" width="{r * 1.7:.1f}" height="{r * 1.7:.1f}" {common}/>'
    if kind == "diamond":
        return polygon([(0, -r * 1.2), (r * 1.2, 0), (0, r * 1.2), (-r * 1.2, 0)])
    if kind == "hexagon":
        return regular(6, 0)
    if kind == "pentagon":
        return regular(5, -math.pi / 2)
    if kind == "plus":
        t = r * 0.4
        return polygon(
            [
                (-t, -r),
                (t, -r),
                (t, -t),
                (r, -t),
                (r, t),
                (t, t),
                (t, r),
                (-t, r),
                (-t, t),
                (-r, t),
                (-r, -t),
                (-t, -t),
            ]
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}/>'


RADIUS = 7.0  # a sensor's marker
RING = 5.0  # the ring of one that needs attention, outside its marker


def alert_mark(x: float, y: float, r: float, fill: str = "#ffffff") -> str:
    """The "!" of what needs attention, inside its marker of radius `r`: beside it, the "!"
    ran into the names and markers around. Hidden from screen readers: the marker's title
    says "needs attention" in words."""
    size = r * 1.6
    return (
        f'<text class="map-alert" aria-hidden="true" x="{x:.1f}" y="{y + size * 0.35:.1f}" font-size="{size:.1f}" '
        f'font-weight="700" fill="{fill}" text-anchor="middle">!</text>'
    )


def marker(kind: str, state: str, x: float, y: float, r: float = RADIUS) -> str:
    """A sensor's marker: its type's shape, drawn as its state says."""
    form = SHAPES.get(kind, "circle")
    if state == State.SILENT:
        return shape(form, x, y, r, "#ffffff", MARKER, "3 2")
    if state == State.ATTENTION:
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + RING:.1f}" fill="none" stroke="{ALERT}" stroke-width="2.5"/>'
            + shape(form, x, y, r, ALERT, INK)
            + alert_mark(x, y, r)
        )
    return shape(form, x, y, r, MARKER, "#ffffff")


class Projection:
    def __init__(
        self, points: list[tuple[float, float]], width: float = WIDTH, tallest: float = WIDTH
    ) -> None:
        lons = [p[0] for p in points] or [0.0]
        lats = [p[1] for p in points] or [0.0]
        self.width = width
        self.k = math.cos(math.radians(sum(lats) / len(lats)))
        self.min_x, self.max_x = min(lons) * self.k, max(lons) * self.k
        self.min_y, self.max_y = min(lats), max(lats)
        span_x = max(self.max_x - self.min_x, 1e-3)
        span_y = max(self.max_y - self.min_y, 1e-3)
        self.scale = (width - 2 * PAD) / span_x
        if span_y * self.scale + 2 * PAD > tallest:  # a tall territory: fit the height instead
            self.scale = (tallest - 2 * PAD) / span_y
        self.height = max(240.0, min(float(tallest), span_y * self.scale + 2 * PAD))
        # Centre the drawing in both directions.
        self.off_x = (width - span_x * self.scale) / 2
        self.off_y = (self.height - span_y * self.scale) / 2

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.off_x + (lon * self.k - self.min_x) * self.scale,
            self.height - self.off_y - (lat - self.min_y) * self.scale,
        )


def _text(
    x: float, y: float, content: str, *, fill: str = INK, weight: str = "400", anchor: str = "start"
) -> str:
    # A white halo keeps labels legible over markers (paint-order draws the stroke first).
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}" '
        f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(content)}</text>'
    )


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _around(x: float, y: float, r: float) -> Box:
    return (x - r, y - r, x + r, y + r)


def _place_label(
    x: float,
    y: float,
    text: str,
    placed: list[Box],
    *,
    gap: float = 8,
    map_width: float = WIDTH,
    map_height: float = WIDTH,
) -> tuple[float, float, str]:
    """Where a commune's name goes: right of its point, else left, above or below (`gap` from
    its centre), the first place that overlaps nothing placed before (names, markers, the
    scale) and stays inside the map. Where all four are taken (on a phone's map sensors
    crowd round their commune), the same four a line, two or three further out: the name
    ran under the markers drawn after it, "Ver◆euil-sur-Se●ne"."""
    width, height = 7.2 * len(text), FONT + 2
    options: list[tuple[float, float, str, float, float]] = []
    for dy in (0.0, *(sign * step * height for step in (1, 2, 3) for sign in (-1, 1))):
        options += [
            (x + gap, y + 4 + dy, "start", x + gap, y - height + 4 + dy),
            (x - gap, y + 4 + dy, "end", x - gap - width, y - height + 4 + dy),
        ]
        if dy <= 0:
            options.append((x, y - gap - 2 + dy, "middle", x - width / 2, y - gap - 2 - height + dy))
        if dy >= 0:
            options.append((x, y + gap + 2 + height + dy, "middle", x - width / 2, y + gap + 2 + dy))
    crowded: list[tuple[float, int, tuple[float, float, str], Box]] = []
    for rank, (lx, ly, anchor, left, top) in enumerate(options):
        box = (left, top, left + width, top + height)
        if not (box[0] >= 2 and box[2] <= map_width - 2 and box[1] >= 2 and box[3] <= map_height - 2):
            continue
        covered = sum(_shared_area(box, other) for other in placed)
        if not covered:
            placed.append(box)
            return lx, ly, anchor
        crowded.append((covered, rank, (lx, ly, anchor), box))
    if crowded:
        # Crowded: where the name hides least of what is there (it ran across two markers
        # at the first place); the table after the map lists every sensor too.
        _covered, _rank, where, box = min(crowded)
        placed.append(box)
        return where
    # Wider than the map: from its point, towards the side with more room.
    lx, ly, anchor, left, top = options[0] if x <= map_width / 2 else options[1]
    placed.append((left, top, left + width, top + height))
    return lx, ly, anchor


def _shared_area(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


@dataclass(frozen=True)
class Maps:
    """One map drawn for a wide screen and for a phone; the page shows the one that fits."""

    wide: SafeString
    phone: SafeString


def draw_for_screens(*, title: str, communes: list[Point], sites: list[Point], sensors: list[Point]) -> Maps:
    """The map 640 units wide, and 288 for a phone."""
    return Maps(
        wide=draw(title=title, communes=communes, sites=sites, sensors=sensors),
        phone=draw(
            title=title,
            communes=communes,
            sites=sites,
            sensors=sensors,
            width=PHONE_WIDTH,
            tallest=PHONE_TALLEST,
            ident="territory-map-phone",
        ),
    )


def draw(
    *,
    title: str,
    communes: list[Point],
    sites: list[Point],
    sensors: list[Point],
    width: float = WIDTH,
    tallest: float = WIDTH,
    ident: str = "territory-map",
) -> SafeString:
    """The map as one standalone SVG (title and description inside, for screen readers),
    `width` units wide and at most `tallest` high; `ident` starts its elements' ids."""
    everything = [(p.lon, p.lat) for p in [*communes, *sites, *sensors]]
    projection = Projection(everything, width, tallest)
    body: list[str] = []
    for site in sites:
        x, y = projection.xy(site.lon, site.lat)
        body.append(
            f'<g class="map-site"><title>{escape(site.title or site.label)}</title>'
            f'<rect x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18" fill="none" stroke="{SITE}" stroke-width="1.5" stroke-dasharray="4 2"/></g>'
        )
    # The names keep clear of the sensors' markers (with their ring), the communes' points
    # and the scale, drawn before them or not.
    scale_bar, scale_boxes = _scale_bar(projection)
    placed: list[Box] = [
        *scale_boxes,
        *(_around(*projection.xy(s.lon, s.lat), RADIUS * 1.2 + RING + 1) for s in sensors),
        *(_around(*projection.xy(c.lon, c.lat), _commune_radius(c)) for c in communes),
    ]
    for commune in communes:
        x, y = projection.xy(commune.lon, commune.lat)
        text = commune.label + (f" ({commune.badge})" if commune.badge else "")
        lx, ly, anchor = _place_label(
            x,
            y,
            text,
            placed,
            gap=_commune_radius(commune) + 2,
            map_width=width,
            map_height=projection.height,
        )
        if commune.state == State.ATTENTION:
            # Still a commune's white point, grown to hold its red "!", in a red ring: filled
            # red, it would read as an air-quality sensor's marker.
            inner = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS + RING - 1:.1f}" fill="none" stroke="{ALERT}" stroke-width="2.5"/>'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS:.1f}" fill="#ffffff" stroke="{COMMUNE}" stroke-width="3"/>'
                + alert_mark(x, y, RADIUS, ALERT)
            )
        else:
            inner = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#ffffff" stroke="{COMMUNE}" stroke-width="3"/>'
        inner += _text(lx, ly, text, weight="700", anchor=anchor)
        title = escape(commune.title or commune.label)
        if commune.url:
            body.append(
                f'<a href="{escape(commune.url)}" aria-label="{title}"><title>{title}</title>{inner}</a>'
            )
        else:
            body.append(f"<g><title>{title}</title>{inner}</g>")
    # Those that need attention are drawn last, over any neighbour, so that no "!" is hidden.
    for sensor in sorted(sensors, key=lambda s: s.state == State.ATTENTION):
        x, y = projection.xy(sensor.lon, sensor.lat)
        title = escape(sensor.title or sensor.label)
        inner = marker(sensor.kind, sensor.state, x, y)
        if sensor.url:
            body.append(
                f'<a href="{escape(sensor.url)}" aria-label="{title}"><title>{title}</title>{inner}</a>'
            )
        else:
            body.append(f"<g><title>{title}</title>{inner}</g>")
    height = projection.height
    body.append(scale_bar)
    # Each count agrees with its own noun ("1 centre de commune", "2 sites"): one sentence
    # holding three counts cannot be a single ngettext.
    desc = _(
        "Plain map without background: %(communes)s, %(sites)s and %(sensors)s. "
        "The table after the map lists the same sensors."
    ) % {
        "communes": ngettext("%(count)s commune centre", "%(count)s commune centres", len(communes))
        % {"count": len(communes)},
        "sites": ngettext("%(count)s site", "%(count)s sites", len(sites)) % {"count": len(sites)},
        "sensors": ngettext("%(count)s sensor", "%(count)s sensors", len(sensors)) % {"count": len(sensors)},
    }
    return mark_safe(  # noqa: S308 - every text put in it went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" class="territory-map-svg" font-family="system-ui, sans-serif">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#f3f5f8"/>{"".join(body)}</svg>'
    )


# One degree of latitude, in metres (mean value; the view is a sketch, not a survey).
METRES_PER_DEGREE = 111_320
NICE_DISTANCES = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)


def _commune_radius(commune: Point) -> float:
    """How far a commune's point reaches from its centre (its ring, when it needs attention)."""
    return RADIUS + RING if commune.state == State.ATTENTION else 6.5


def _scale_bar(projection: Projection) -> tuple[str, list[Box]]:
    """A distance bar about an eighth of the width wide, and "N" with an arrow: the projection
    keeps north up and distances true in both directions. With the boxes they take."""
    width, height = projection.width, projection.height
    pixels_per_metre = projection.scale / METRES_PER_DEGREE
    metres = next((d for d in NICE_DISTANCES if d * pixels_per_metre >= width / 8), NICE_DISTANCES[-1])
    length = metres * pixels_per_metre
    x, y = 12.0, height - 14
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    drawing = (
        f'<g aria-hidden="true"><path d="M{x:.1f} {y - 5:.1f}v5h{length:.1f}v-5" fill="none" stroke="{INK}" stroke-width="2"/>'
        + _text(x + length + 6, y + 1, label)
        + f'<path d="M{width - 18:.0f} {height - 30:.0f}l6 -14l6 14z" fill="{INK}"/>'
        + _text(width - 12, height - 6, "N", weight="700", anchor="middle")
        + "</g>"
    )
    boxes = [
        (x - 2, y - FONT, x + length + 8 + 7.2 * len(label), y + 4),
        (width - 22, height - 46, width - 2, height - 2),
    ]
    return drawing, boxes


ICON = 2 * (RADIUS + RING) + 4  # the key's icons: a marker with its ring, and the ring's stroke


def legend(kinds: list[str]) -> list[tuple[SafeString, str]]:
    """(small SVG, words) for each type shown and each state: the map's key."""
    # The markers as the map draws them, ring and "!" inside the icon's box: the "!" of the
    # old key, drawn at the box's edge, was cut and touched the words.
    centre = ICON / 2
    entries = []
    for kind in kinds:
        svg = marker(kind, State.OK, centre, centre)
        entries.append((_icon(svg), str(TYPE_LABELS.get(kind, kind))))
    for state in (State.OK, State.ATTENTION, State.SILENT):
        svg = marker(AIR_QUALITY_OBSERVED.name, state, centre, centre)
        entries.append((_icon(svg), str(STATE_LABELS[state])))
    return entries


def _icon(body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - built from constants only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {ICON:.0f} {ICON:.0f}" width="{ICON:.0f}" height="{ICON:.0f}" '
        f'aria-hidden="true" focusable="false" class="map-key-icon">{body}</svg>'
    )
