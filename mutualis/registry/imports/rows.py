"""Checking rows one cell at a time: every problem of a row is reported, not only the first.

An importer reads a row through `Row`: `row.text(...)` for plain text, `row.value(column,
parser)` for anything parsed. A parser raises `CellError` with a message a person can act
on; `Row` records it against the row's line and the column's name as written in the file,
and the importer carries on with the next cell.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Generic, NamedTuple, TypeVar

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .columns import normalize
from .report import Report, number

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class CellError(Exception):
    """A cell's value is wrong; the message says what to write instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# How a spreadsheet writes a long number it shows in scientific notation: 1,23457E+14.
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?E\+\d+$", re.IGNORECASE)


def scientific_notation_message(text: str) -> str | None:
    """The problem with `text` if it is a code a spreadsheet wrote in scientific notation."""
    if not _SCIENTIFIC.match(text):
        return None
    return _(
        "“%(value)s” is a long number as a spreadsheet shows it, its last digits lost. In the "
        "spreadsheet, format this column as Text, type the values again, and save the file again."
    ) % {"value": text}


class Row:
    def __init__(
        self,
        line: int,
        values: dict[str, str],
        names: dict[str, str],
        report: Report,
        *,
        identifiers: frozenset[str] = frozenset(),
    ) -> None:
        self.line = line
        self.values = values
        self.names = names
        self.report = report
        # Columns of codes (see `Column.identifier`), checked for scientific notation.
        self.identifiers = identifiers
        self.failed = False

    def has(self, column: str) -> bool:
        """Whether the file has this column at all (an absent column leaves a field as it is)."""
        return column in self.values

    def fail(self, column: str, message: str) -> None:
        self.failed = True
        self.report.add(self.line, self.names.get(column, column), message)

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.values.get(column, "")
        if not value:
            if required:
                self.fail(column, _("This value is required; the cell is empty."))
            return ""
        if column in self.identifiers and (message := scientific_notation_message(value)):
            self.fail(column, message)
            return ""
        if max_length is not None and len(value) > max_length:
            self.fail(
                column,
                _("At most %(max)s characters; this one has %(length)s.")
                % {"max": number(max_length), "length": number(len(value))},
            )
            return ""
        return value

    def date(self, column: str) -> dt.date | None:
        """A date, read by `read_date`; what it read otherwise than as a plain date is
        listed among the values recorded otherwise than written: a spreadsheet's number of
        days, a two-digit year, a time of day left out."""
        written = self.text(column)
        if not written:
            return None
        try:
            reading = read_date(written)
        except CellError as exc:
            self.fail(column, exc.message)
            return None
        recorded = formats.date_format(reading.day, "SHORT_DATE_FORMAT")
        if reading.how == DateForm.SERIAL:
            self.report.add_note(
                self.line,
                self.names.get(column, column),
                _(
                    "“%(written)s” is recorded as %(recorded)s: it is a date as spreadsheets store it, "
                    "as a number of days. In the spreadsheet, format the column as dates to see them."
                )
                % {"written": reading.date_text, "recorded": recorded},
            )
        elif reading.how == DateForm.SHORT_YEAR:
            self.report.add_note(
                self.line,
                self.names.get(column, column),
                _(
                    "“%(written)s” is recorded as %(recorded)s: the year had two digits. In the spreadsheet, "
                    "format the column as dates with a four-digit year to be sure of the century."
                )
                % {"written": reading.date_text, "recorded": recorded},
            )
        if reading.time:
            self.report.add_note(
                self.line,
                self.names.get(column, column),
                _(
                    "“%(written)s” is recorded as %(recorded)s: this column holds dates only, so the time "
                    "(%(time)s) was left out."
                )
                % {"written": written, "recorded": recorded, "time": reading.time},
            )
        return reading.day

    def value(
        self, column: str, parse: Callable[[str], T], *, required: bool = False, max_length: int | None = None
    ) -> T | None:
        raw = self.text(column, required=required, max_length=max_length)
        if not raw:
            return None
        try:
            return parse(raw)
        except CellError as exc:
            self.fail(column, exc.message)
            return None


class Duplicates(Generic[K]):
    """Values that must be unique within the file: each line holding a repeated value gets a
    problem naming the other lines, so either copy can be fixed."""

    def __init__(self) -> None:
        self._lines: dict[K, list[tuple[Row, str]]] = defaultdict(list)

    def add(self, key: K, row: Row, column: str) -> None:
        self._lines[key].append((row, column))

    def report(self, message: Callable[[K, list[int]], str]) -> None:
        for key, rows in self._lines.items():
            if len(rows) < 2:
                continue
            for row, column in rows:
                others = [r.line for r, _c in rows if r is not row]
                row.fail(column, message(key, others))


def lines_list(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    return shown + (", …" if len(lines) > 10 else "")


class NameIndex(Generic[T]):
    """Reference rows (kinds of site, types of equipment…) found by code or by name,
    ignoring case and accents, with a suggestion for a near miss."""

    def __init__(
        self, items: Iterable[T], keys: Callable[[T], Iterable[str]], label: Callable[[T], str]
    ) -> None:
        self._items: dict[str, T] = {}
        self._label = label
        for item in items:
            for key in keys(item):
                self._items.setdefault(normalize(key), item)

    def get(self, text: str) -> T | None:
        return self._items.get(normalize(text))

    def parse(self, text: str, unknown: str) -> T:
        """The item named by `text`, or CellError with `unknown` (a message taking %(value)s)
        followed by a suggestion or the list of what exists."""
        found = self.get(text)
        if found is not None:
            return found
        message = unknown % {"value": text}
        close = difflib.get_close_matches(normalize(text), list(self._items), n=1, cutoff=0.6)
        if close:
            message += " " + _("Did you mean “%(close)s”?") % {"close": self._label(self._items[close[0]])}
        else:
            labels = sorted({self._label(i) for i in self._items.values()})
            message += " " + _("Known values: %(known)s.") % {
                "known": ", ".join(labels[:20]) + (", …" if len(labels) > 20 else "")
            }
        raise CellError(message)


_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# A date followed by a time of day: ISO 8601 §4.3.2 puts "T" between them, or by agreement
# a space (RFC 3339 §5.6 NOTE; a workbook's date-and-time cell reads "2024-03-01 14:30", its
# CSV export "01/03/2024 14:30:00"); the French way writes the time 14h30, 14 h 30 or 14h,
# and software writing dates in words puts "à" before it ("1 mars 2024 à 14:30", the long
# French date and time of CLDR, which browsers and office suites use), or a comma. The
# date is at most four words ("vendredi 1er mars 2024"): a bound, so that a cell of many
# words or spaces is matched in linear time.
# A zone may follow (ISO 8601 §4.2.5.1, RFC 3339 §5.6: Z, +01:00, +0100, +01).
_TIME_OF_DAY = re.compile(
    r"^(?P<date>\S+?(?: \S+?){0,3}?)(?:T|,? +(?:à +)?)(?P<time>(?P<hour>[01]?\d|2[0-3])(?:"
    r":(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone> ?(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?))?"
    r"| ?h ?(?P<french_minute>[0-5]\d)?))$",
    re.IGNORECASE,
)


def split_time_of_day(text: str) -> tuple[str, str]:
    """(date, time of day as written) of a date written with a time; the time is "" when
    there is none or it is midnight (00:00, the time a spreadsheet gives a plain date).

    The zone is left out with the time, never applied: the date recorded is the one the
    person wrote (23:30 on 1 March at UTC-5 is 2 March in Paris, and 1 March in their file)."""
    match = _TIME_OF_DAY.match(text)
    if match is None:
        return text, ""
    parts = (match["hour"], match["minute"] or match["french_minute"], match["second"], match["fraction"])
    return match["date"], "" if _is_midnight(parts) else match["time"]


def _is_midnight(parts: Iterable[str | None]) -> bool:
    return not any(part and part.strip("0") for part in parts)


# ISO 8601's basic format (§4.1.2.2, §4.2.2.2, §4.3.2): 20240301T143000, 20240301T1430Z,
# 20240301T143000+0100, as exports and data loggers write timestamps. Only with its time,
# to the minute at least: a bare 20240301 is a number like any other (an amount, a code,
# 01032024 the other way round), not read as a date.
_ISO_BASIC = re.compile(
    r"^(?P<date>(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2}))T(?P<hour>[01]\d|2[0-3])"
    r"(?P<minute>[0-5]\d)(?:(?P<second>[0-5]\d)(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-](?:[01]\d|2[0-3])(?:[0-5]\d)?)?$",
    re.IGNORECASE,
)


def iso_basic_date(text: str) -> tuple[dt.date, str, str] | None:
    """(date, date as written, time of day) of an ISO 8601 basic date-time, or None. The
    time is shown as the extended format writes it (14:30:00 for 143000), easier to read
    in the note; "" at midnight. The zone is left out, never applied (see split_time_of_day)."""
    if (match := _ISO_BASIC.match(text)) is None:
        return None
    day = existing_date(match["date"], int(match["year"]), int(match["month"]), int(match["day"]))
    parts = (match["hour"], match["minute"], match["second"], match["fraction"])
    if _is_midnight(parts):
        return day, match["date"], ""
    shown = ":".join(part for part in parts[:3] if part)
    if match["fraction"]:
        shown += "." + match["fraction"]
    return day, match["date"], shown + (match["zone"] or "")


# Spreadsheets store a date as a number of days since 1899-12-30 (Excel's 1900 date system,
# ECMA-376 Part 1, §18.17.4.1; LibreOffice's default too), the time of day as its fraction
# (0.5 is noon); a date-and-time cell formatted as a number shows 45352.6041666667, which
# LibreOffice in French exports as 45352,6041666667. Only five-digit numbers of days from
# 1970-01-01 to 2100-12-31 are read as dates: a year (2024) or an amount is not one.
_SPREADSHEET_EPOCH = dt.date(1899, 12, 30)
_SERIAL_DATES = range(25_569, 73_415 + 1)
_SERIAL = re.compile(r"^(?P<days>\d{5})(?:[.,](?P<fraction>\d+))?$")
_SECONDS_A_DAY = 86_400


def spreadsheet_serial_date(text: str) -> tuple[dt.date, str] | None:
    """The date a spreadsheet's serial number `text` stands for (45550: 2024-09-15), with
    the time of day its fraction holds as HH:MM ("" at midnight), or None."""
    if not (match := _SERIAL.match(text)) or int(match["days"]) not in _SERIAL_DATES:
        return None
    # Rounded to the second, then shown to the minute, as a spreadsheet's "hh:mm" format
    # does (it never rounds up to the next minute): 45352.6041666667 (Excel's 15 digits) is
    # 14:30, 45352.604 is 14:29:45.6, shown 14:29.
    seconds = round(Decimal(f"{match['days']}.{match['fraction'] or 0}") * _SECONDS_A_DAY)
    days, seconds = divmod(seconds, _SECONDS_A_DAY)
    if days not in _SERIAL_DATES:
        return None
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    time_of_day = f"{hours:02d}:{minutes:02d}" if hours or minutes else ""
    return _SPREADSHEET_EPOCH + dt.timedelta(days=days), time_of_day


# 15/09/24: LibreOffice's short date in French, which its CSV export writes as shown.
_DATE_FR_SHORT = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2})$")
# A two-digit year is taken within this many years ahead of today, else in the past
# century: equipment is bought in the past, and its warranty ends at most a few years ahead.
_SHORT_YEAR_AHEAD = 20


def short_year_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The date of a French date with a two-digit year (15/09/24: 2024-09-15), or None."""
    if not (match := _DATE_FR_SHORT.match(text)):
        return None
    day, month, short = (int(g) for g in match.groups())
    try:
        return dt.date(_full_year(short, today), month, day)
    except ValueError:
        return None


def _full_year(short: int, today: dt.date | None = None) -> int:
    this_year = (today or timezone.localdate()).year
    year = this_year - this_year % 100 + short
    return year - 100 if year > this_year + _SHORT_YEAR_AHEAD else year


# A date in words, as a French spreadsheet's long date format shows it and its CSV export
# writes it: "vendredi 1 mars 2024", "1er mars 2024", "15 sept. 2024", Excel's "1-mars-24".
# Matched on the text as `normalize` writes it (no accents, lower case, "_" between words).
_FRENCH_LONG_DATE = re.compile(
    r"^(?:(?P<weekday>[a-z]+)_)?(?P<day>\d{1,2})(?P<first>er)?_(?P<month>[a-z]+)_(?P<year>\d{4}|\d{2})$"
)
# Full names and the abbreviations of CLDR's French locale (janv., févr., avr., juil.,
# sept., oct., nov., déc.), which Excel and LibreOffice show, with a few common variants.
_FRENCH_MONTHS = {
    **dict.fromkeys(("janvier", "janv", "jan"), 1),
    **dict.fromkeys(("fevrier", "fevr", "fev"), 2),
    **dict.fromkeys(("mars",), 3),
    **dict.fromkeys(("avril", "avr"), 4),
    **dict.fromkeys(("mai",), 5),
    **dict.fromkeys(("juin",), 6),
    **dict.fromkeys(("juillet", "juil"), 7),
    **dict.fromkeys(("aout",), 8),
    **dict.fromkeys(("septembre", "sept", "sep"), 9),
    **dict.fromkeys(("octobre", "oct"), 10),
    **dict.fromkeys(("novembre", "nov"), 11),
    **dict.fromkeys(("decembre", "dec"), 12),
}
# Monday is 0, as date.weekday() counts.
_FRENCH_WEEKDAYS = {
    **dict.fromkeys(("lundi", "lun"), 0),
    **dict.fromkeys(("mardi", "mar"), 1),
    **dict.fromkeys(("mercredi", "mer"), 2),
    **dict.fromkeys(("jeudi", "jeu"), 3),
    **dict.fromkeys(("vendredi", "ven"), 4),
    **dict.fromkeys(("samedi", "sam"), 5),
    **dict.fromkeys(("dimanche", "dim"), 6),
}


def french_long_date(text: str, *, today: dt.date | None = None) -> tuple[dt.date, bool] | None:
    """(date, whether its year had two digits) of a date written in words the French way,
    None when `text` is not one; CellError when it names a day that does not exist or a
    day of the week the date is not (which of the two is wrong cannot be told)."""
    match = _FRENCH_LONG_DATE.match(normalize(text))
    if match is None or (month := _FRENCH_MONTHS.get(match["month"])) is None:
        return None
    day_number = int(match["day"])
    weekday = match["weekday"]
    if (match["first"] and day_number != 1) or (weekday and weekday not in _FRENCH_WEEKDAYS):
        return None
    short = len(match["year"]) == 2
    year = _full_year(int(match["year"]), today) if short else int(match["year"])
    day = existing_date(text, year, month, day_number)
    if weekday and _FRENCH_WEEKDAYS[weekday] != day.weekday():
        raise CellError(
            _("“%(value)s”: the day of the week is not that of the date. Check the day and the date.")
            % {"value": text}
        )
    return day, short


def parse_date(text: str) -> dt.date:
    """ISO (2024-09-01) or French (01/09/2024) dates."""
    if match := _DATE_ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DATE_FR.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise CellError(_("“%(value)s” is not a date: write 2024-09-01 or 01/09/2024.") % {"value": text})
    return existing_date(text, year, month, day)


def existing_date(text: str, year: int, month: int, day: int) -> dt.date:
    """The date of these numbers read from `text`, or CellError quoting `text`."""
    try:
        day_value = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not a date that exists.") % {"value": text}) from exc
    if not 1900 <= year <= 2100:
        raise CellError(_("“%(value)s”: the year is out of range.") % {"value": text})
    return day_value


class DateForm(enum.Enum):
    """How a date was written, when not plainly (2024-09-01, 01/09/2024, 1er mars 2024)."""

    PLAIN = "plain"
    SERIAL = "serial"  # a spreadsheet's number of days
    SHORT_YEAR = "short year"  # 15/09/24, 1-mars-24


class DateReading(NamedTuple):
    day: dt.date
    how: DateForm
    # The date as written, without the time of day.
    date_text: str
    # The time of day written with the date and left out, "" when none or midnight.
    time: str


def read_date(text: str) -> DateReading:
    """The one reading of a date in imports, in every form people send: ISO (extended, or
    basic with a time), French in figures or in words, a two-digit year, a spreadsheet's
    number of days (with a fraction for the time), each with a time of day after it
    (14:30, 14:30:00+01:00, 14h30, à 14h30); CellError otherwise."""
    if (basic := iso_basic_date(text)) is not None:
        day, date_text, time_of_day = basic
        return DateReading(day, DateForm.PLAIN, date_text, time_of_day)
    date_text, time_of_day = split_time_of_day(text)
    if (serial := spreadsheet_serial_date(date_text)) is not None:
        day, serial_time = serial
        return DateReading(day, DateForm.SERIAL, date_text, time_of_day or serial_time)
    if (short := short_year_date(date_text)) is not None:
        return DateReading(short, DateForm.SHORT_YEAR, date_text, time_of_day)
    if (words := french_long_date(date_text)) is not None:
        day, short_year = words
        how = DateForm.SHORT_YEAR if short_year else DateForm.PLAIN
        return DateReading(day, how, date_text, time_of_day)
    return DateReading(parse_date(date_text), DateForm.PLAIN, date_text, time_of_day)


def parse_number(text: str) -> Decimal:
    """A number written the French way (1 289,90) or the English way (1289.90)."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).removesuffix("€").removesuffix("EUR")
    if "," in cleaned and "." in cleaned:
        raise CellError(
            _("“%(value)s” mixes commas and points: write 1289.90 or 1289,90, without thousands separators.")
            % {"value": text}
        )
    try:
        number = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text}) from exc
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text})
    return number


def parse_amount(text: str) -> Decimal:
    """An amount in euros: at least 0, at most two decimals (the model stores cents)."""
    amount = parse_number(text)
    if amount < 0:
        raise CellError(_("An amount cannot be negative."))
    # Before quantize(): beyond the context's 28 digits (1e309, a finite Decimal), it raises
    # InvalidOperation, which was a 500 on the upload.
    if amount >= Decimal("1e10"):
        raise CellError(_("“%(value)s” is too large an amount.") % {"value": text})
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("“%(value)s” has more than two decimals.") % {"value": text})
    return amount.quantize(Decimal("0.01"))


def coordinate_parser(limit: int) -> Callable[[str], Decimal]:
    """Latitude (limit 90) or longitude (limit 180) in decimal degrees, rounded to six
    decimals (about 10 cm, what the model stores): GPS tools give more."""

    def parse(text: str) -> Decimal:
        value = parse_number(text)
        if not -limit <= value <= limit:
            raise CellError(
                _("%(value)s is out of range: decimal degrees between -%(limit)s and %(limit)s.")
                % {"value": text, "limit": limit}
            )
        return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    return parse


def zero_padded(text: str, length: int) -> str:
    """Excel turns "01053" into 1053: a code of digits one short gets its leading zero back."""
    return text.zfill(length) if text.isdigit() and len(text) == length - 1 else text
