"""Opening hours as people at French town halls write them, read into OpenStreetMap syntax.

"Lun-Ven 8h30-12h00, 13h30-17h", "du lundi au vendredi de 8h30 à 12h et de 14h à 17h30 ;
samedi 9h-12h ; dimanche fermé": days by full name or abbreviation (lundi, lun, lun., lu;
the OpenStreetMap codes Mo…Su too), day ranges with "au", "à" or "-", lists with ",", "/"
or "et"; times as 8h, 8h30, 8 heures, 08:30, midi, minuit; spans with "-", "à" or "a";
"fermé" for a closed day, "jours fériés" for public holidays, "tous les jours" / "7j/7"
and "24h/24". Rules are separated by ";", ".", a new line, or simply start again with days
("lun-ven 9h-17h, sam 9h-12h").

`french_to_osm` only rewrites; `opening_hours.normalize_opening_hours` checks the result
with the OpenStreetMap parser (overlaps, spans past midnight…), so both ways of writing
get the same checks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_WORDS = {
    word: index
    for index, words in enumerate(
        (
            ("lundi", "lun", "lu", "mo"),
            ("mardi", "mar", "ma", "tu"),
            ("mercredi", "mer", "me", "we"),
            ("jeudi", "jeu", "je", "th"),
            ("vendredi", "ven", "ve", "fr"),
            ("samedi", "sam", "sa"),
            ("dimanche", "dim", "di", "su"),
        )
    )
    for word in words
}
_RANGE_WORDS = {"au", "a"}  # "à" once accents are dropped
_LIST_WORDS = {"et"}
_CLOSED_WORDS = {"ferme", "fermee", "fermes", "fermees", "fermeture", "clos", "close", "off", "closed"}
_TIME_WORDS = {"midi": 12 * 60, "minuit": 0}
# Words that only make the sentence read well: "du lundi au vendredi de 9h à 12h".
_FILLER_WORDS = {"du", "le", "les", "de", "des", "d", "l", "ouvert", "ouverte", "ouverts", "horaires"}

_TOKEN = re.compile(
    r"""
    (?P<space>[\s'\"«»]+)
    |(?P<sep>[;|.])
    |(?P<alldays>tous\s+les\s+jours|7\s*j(?:ours)?\s*(?:/|sur)\s*7)
    |(?P<allday>24\s*h(?:eures)?\s*(?:/|sur)\s*24)
    |(?P<holidays>(?:(?:les\s+)?jours?\s+)?feries?\b|jf\b|ph\b)
    |(?P<time>(?P<h>\d{1,2})\s*(?:heures?|h)(?:\s*(?P<hm>\d{2})(?!\d)(?!\s*(?:h|:)))?(?!\d)
       |(?P<c>\d{1,2}):(?P<cm>\d{2})(?!\d))
    |(?P<hour>\d{1,2})(?!\d)
    |(?P<word>[a-z]+)\.?
    |(?P<dash>-)
    |(?P<list>[,/&+])
    |(?P<colon>:)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # day, holidays, alldays, allday, time, range, list, sep, closed
    start: int
    end: int
    value: int = 0  # a day's index, a time's minutes since midnight


def _fold(char: str) -> str:
    """One character compared without case or accent, kept one character long so that a
    token's position is its position in the text as written."""
    if char in "–—‑−":
        return "-"
    if char in "’‘":
        return "'"
    if char in "\u00a0\u202f":
        return " "
    base = unicodedata.normalize("NFKD", char.lower())[:1]
    return base if base.isascii() else char.lower()


def _tokens(text: str) -> list[_Token]:
    folded = "".join(_fold(c) for c in text)
    tokens: list[_Token] = []
    position = 0
    while position < len(folded):
        if folded[position] in "\r\n":
            tokens.append(_Token("sep", position, position + 1))
            position += 1
            continue
        match = _TOKEN.match(folded, position)
        if match is None:
            raise ValidationError(
                _("“%(text)s” is not understood in opening hours.") % {"text": text[position:].split()[0]}
            )
        kind, start, end = match.lastgroup or "", match.start(), match.end()
        position = end
        if kind in ("space", "colon"):
            continue
        if kind == "time":
            hours, minutes = (
                (match.group("h"), match.group("hm")) if match.group("h") else match.group("c", "cm")
            )
            tokens.append(_Token("time", start, end, int(hours) * 60 + int(minutes or 0)))
        elif kind == "hour":
            tokens.append(_Token("time", start, end, int(match.group("hour")) * 60))
        elif kind == "dash":
            tokens.append(_Token("range", start, end))
        elif kind == "word":
            token = _word(match.group("word"), start, end)
            if token is None:
                raise ValidationError(
                    _("“%(text)s” is not understood in opening hours.") % {"text": text[start:end]}
                )
            if token.kind != "filler":
                tokens.append(token)
        else:
            tokens.append(_Token(kind, start, end))
    return tokens


def _word(word: str, start: int, end: int) -> _Token | None:
    if word in _DAY_WORDS:
        return _Token("day", start, end, _DAY_WORDS[word])
    if word.endswith("s") and len(word) > 5 and word[:-1] in _DAY_WORDS:  # "les samedis"
        return _Token("day", start, end, _DAY_WORDS[word[:-1]])
    if word in _TIME_WORDS:
        return _Token("time", start, end, _TIME_WORDS[word])
    for kind, words in (
        ("range", _RANGE_WORDS),
        ("list", _LIST_WORDS),
        ("closed", _CLOSED_WORDS),
        ("filler", _FILLER_WORDS),
    ):
        if word in words:
            return _Token(kind, start, end)
    return None


_DAY_KINDS = ("day", "holidays", "alldays")
_HOUR_KINDS = ("time", "allday", "closed")


class _Reader:
    """Reads rules left to right: days then hours ("lundi 9h-12h"), or hours then days
    ("fermé le dimanche", "9h-12h le samedi")."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.first_day = 0  # where the days of the rule being read start

    def kind(self, offset: int = 0) -> str:
        at = self.i + offset
        return self.tokens[at].kind if at < len(self.tokens) else ""

    def shown(self, first: int, last: int) -> str:
        """The text as written from token `first` to token `last`, included."""
        return self.text[self.tokens[first].start : self.tokens[last].end]

    def rules(self) -> list[str]:
        rules: list[str] = []
        while self.i < len(self.tokens):
            if self.kind() in ("sep", "list"):
                self.i += 1
                continue
            if self.kind() in _HOUR_KINDS:
                start = self.i
                hours = self.hours()
                days, holidays = self.days(hours_text=self.shown(start, self.i - 1))
            else:
                days, holidays = self.days()
                hours = self.hours(days_text=self.shown(self.first_day, self.i - 1))
            if days:
                rules.append(f"{','.join(days)} {hours}")
            if holidays:
                rules.append(f"PH {hours}")
            if self.kind() == "range" and self.kind(1) in _DAY_KINDS:
                self.i += 1  # "lun-ven 9h-17h - sam 9h-12h": a dash between two rules
            if self.kind() not in ("", "sep", "list", *_DAY_KINDS, *_HOUR_KINDS):
                self.unexpected()
        return rules

    def days(self, hours_text: str = "") -> tuple[list[str], bool]:
        """Day selectors ("Mo-Fr", "Sa") and whether public holidays are named."""
        selectors: list[str] = []
        holidays = False
        self.first_day = self.i
        while self.kind() in _DAY_KINDS:
            token = self.tokens[self.i]
            if token.kind == "holidays":
                holidays = True
                self.i += 1
            elif token.kind == "alldays":
                selectors.append("Mo-Su")
                self.i += 1
            elif self.kind(1) == "range" and self.kind(2) == "day":
                selectors.append(f"{_OSM_DAYS[token.value]}-{_OSM_DAYS[self.tokens[self.i + 2].value]}")
                self.i += 3
            else:
                selectors.append(_OSM_DAYS[token.value])
                self.i += 1
            if self.kind() == "list" and self.kind(1) in _DAY_KINDS:
                self.i += 1
        if not selectors and not holidays:
            if hours_text:
                raise ValidationError(_("Say which days “%(hours)s” is for.") % {"hours": hours_text})
            self.unexpected()
        return selectors, holidays

    def hours(self, days_text: str = "") -> str:
        """`off`, or time spans in OpenStreetMap syntax: "08:30-12:00,13:30-17:00"."""
        if self.kind() == "closed":
            self.i += 1
            return "off"
        if self.kind() == "allday":
            self.i += 1
            return "00:00-24:00"
        spans: list[str] = []
        while self.kind() == "time":
            if self.kind(1) != "range" or self.kind(2) != "time":
                last = min(self.i + 1, len(self.tokens) - 1)
                raise ValidationError(
                    _("“%(text)s” is not a time span: write it like 8h30-12h or 08:30-12:00.")
                    % {"text": self.shown(self.i, last)}
                )
            start, end = self.tokens[self.i].value, self.tokens[self.i + 2].value
            # "20h-minuit", "20h-0h": the day's end.
            spans.append(f"{_hhmm(start)}-{_hhmm(end or 24 * 60)}")
            self.i += 3
            if self.kind() == "list" and self.kind(1) == "time":
                self.i += 1
        if not spans:
            if days_text:
                raise ValidationError(
                    _("Give the hours after “%(days)s”, e.g. 9h-12h, or write “fermé”.") % {"days": days_text}
                )
            self.unexpected()
        return ",".join(spans)

    def unexpected(self) -> NoReturn:
        if self.i >= len(self.tokens):
            raise ValidationError(_("The opening hours stop short: days or hours are missing at the end."))
        raise ValidationError(
            _("“%(text)s” is not expected here in opening hours.") % {"text": self.shown(self.i, self.i)}
        )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def french_to_osm(text: str) -> str:
    """`text` in OpenStreetMap syntax ("Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"), or
    ValidationError saying what was not understood. Times are not checked here."""
    rules = _Reader(text).rules()
    if not rules:
        raise ValidationError(_("The opening hours give no days."))
    return "; ".join(rules)
