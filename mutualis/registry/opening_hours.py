"""Opening hours in the OpenStreetMap `opening_hours` syntax, the subset sites need.

Accepted (https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification):
`24/7`; rules separated by `;`, each a weekday selector (`Mo`, `Mo-Fr`, `Mo,We,Fr`,
`Mo-We,Fr`) followed by time spans (`08:00-12:00,13:30-17:30`) or `off`; `PH off` /
`PH <spans>` for public holidays. As in the specification, a later rule replaces what
an earlier one said about the same days. Times may end at 24:00; spans past midnight
(`22:00-02:00`) are refused: the sites we serve do not need them and they complicate
business calendars.

People also type hours the French way ("lun-ven 8h30-12h, 13h30-17h"): `normalize_opening_hours`
reads those too (see `opening_hours_french`) and gives the OpenStreetMap text, which is what
is stored and shown.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .opening_hours_french import french_to_osm

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
DAY_NAMES = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]
_TIME_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Span = tuple[int, int]  # minutes since midnight, end exclusive


@dataclass
class OpeningHours:
    week: list[list[Span]] = field(default_factory=lambda: [[] for _ in DAYS])
    public_holidays: list[Span] | None = None  # None: not stated
    always_open: bool = False

    def rows(self) -> list[tuple[str, str]]:
        """(day name, "08:00–12:00, 13:30–17:30" or "closed") for display, then public
        holidays when the hours say something of them (`PH off`)."""
        rows = [(str(DAY_NAMES[i]), format_spans(spans)) for i, spans in enumerate(self.week)]
        if self.public_holidays is not None:
            rows.append((_("Public holidays"), format_spans(self.public_holidays)))
        return rows


def format_spans(spans: list[Span]) -> str:
    if not spans:
        return _("closed")
    return ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in spans)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_days(selector: str) -> list[int]:
    days: list[int] = []
    for part in selector.split(","):
        if "-" in part:
            start, _sep, end = part.partition("-")
            if start not in DAYS or end not in DAYS:
                raise ValidationError(_("Unknown day %(part)s; use Mo Tu We Th Fr Sa Su.") % {"part": part})
            a, b = DAYS.index(start), DAYS.index(end)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            if part not in DAYS:
                raise ValidationError(_("Unknown day %(part)s; use Mo Tu We Th Fr Sa Su.") % {"part": part})
            days.append(DAYS.index(part))
    return days


def _parse_spans(text: str) -> list[Span]:
    if text == "off":
        return []
    spans: list[Span] = []
    for chunk in text.split(","):
        match = _TIME_SPAN.match(chunk.strip())
        if not match:
            raise ValidationError(
                _("%(chunk)s is not a time span; write it like 08:00-12:00.") % {"chunk": chunk.strip()}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or end > 24 * 60:
            raise ValidationError(_("%(chunk)s is not a valid time of day.") % {"chunk": chunk.strip()})
        if end <= start:
            raise ValidationError(
                _("%(chunk)s ends before it starts; spans past midnight are not supported.")
                % {"chunk": chunk.strip()}
            )
        spans.append((start, end))
    spans.sort()
    for (_a, end), (start, _b) in itertools.pairwise(spans):
        if start < end:
            raise ValidationError(_("Time spans %(text)s overlap.") % {"text": text})
    return spans


def parse_opening_hours(text: str) -> OpeningHours:
    """Parse `text`; raise ValidationError with a message a person can act on."""
    text = (text or "").strip()
    hours = OpeningHours()
    if not text:
        return hours
    if text == "24/7":
        return OpeningHours(week=[[(0, 24 * 60)] for _ in DAYS], always_open=True)
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        selector, _sep, rest = rule.partition(" ")
        rest = rest.strip()
        if not rest:
            raise ValidationError(
                _("Rule “%(rule)s” needs days and hours, e.g. “Mo-Fr 08:00-17:00”.") % {"rule": rule}
            )
        # Days first: a rule is read left to right, and so are its mistakes.
        days = [] if selector == "PH" else _parse_days(selector)
        spans = _parse_spans(rest)
        if selector == "PH":
            hours.public_holidays = spans
            continue
        for day in days:
            hours.week[day] = list(spans)
    return hours


# The length of Site.opening_hours: a value written the French way must still fit once rewritten.
MAX_LENGTH = 250
EXAMPLE_FRENCH = "lun-ven 8h30-12h, 13h30-17h; sam 9h-12h"
EXAMPLE_OSM = "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"


def normalize_opening_hours(text: str) -> str:
    """`text` in OpenStreetMap syntax: as it is when it is that already, rewritten when it
    is written the French way. ValidationError, with an example, when it is neither."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        parse_opening_hours(text)
    except ValidationError:
        pass
    else:
        return text
    try:
        osm = french_to_osm(text)
        parse_opening_hours(osm)
    except ValidationError as exc:
        raise ValidationError(
            _("%(problem)s For example: “%(french)s”, or in OpenStreetMap syntax “%(osm)s”.")
            % {"problem": " ".join(exc.messages), "french": EXAMPLE_FRENCH, "osm": EXAMPLE_OSM},
            code="invalid",
        ) from exc
    return osm


def validate_opening_hours(text: str) -> None:
    """The field's validator: French hours are accepted (the model's `clean` stores them
    rewritten), provided that, rewritten, they fit the field."""
    osm = normalize_opening_hours(text)
    if len(osm) > MAX_LENGTH:
        raise ValidationError(
            _("In OpenStreetMap syntax these hours take %(length)s characters; at most %(max)s fit.")
            % {"length": len(osm), "max": MAX_LENGTH},
            code="max_length",
        )
