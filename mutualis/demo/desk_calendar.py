"""When incidents are declared and handled: yearly volumes, seasons, days and hours.

Pure functions of dates, testable without a database. Volumes follow the reference
operator (DOMAIN.md): 8,492 tickets in the last year, activity +35 % a year. School sites
follow the school year of the académie de Versailles (zone C): a peak at the rentrée and
after each holiday, almost nothing in July and August. Town halls and offices slow down
in August and at Christmas; fire stations, care homes and streets never stop.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

from .plan import apportion

LAST_YEAR_TICKETS = 8_492
GROWTH = 1.35  # activity +35 % a year

SCHOOL, OFFICE, ROUND_THE_CLOCK = "school", "office", "round-the-clock"
AUDIENCE_OF_KIND = {
    "college": SCHOOL,
    "ecole": SCHOOL,
    "caserne": ROUND_THE_CLOCK,
    "ehpad": ROUND_THE_CLOCK,
    "foyer-enfance": ROUND_THE_CLOCK,
    "voirie": ROUND_THE_CLOCK,
    "parking": ROUND_THE_CLOCK,
}
AUDIENCES = (SCHOOL, OFFICE, ROUND_THE_CLOCK)

# Share of a day's declarations in each hour (Paris time), for people at work and for
# sites that run day and night (alarms, cameras, chargers, care homes).
WORKING_HOURS = {7: 1, 8: 6, 9: 11, 10: 12, 11: 10, 12: 4, 13: 6, 14: 11, 15: 10, 16: 8, 17: 5, 18: 2, 19: 1}
ALL_HOURS = {hour: 1.0 + WORKING_HOURS.get(hour, 0) / 2 for hour in range(24)}


def audience(kind_code: str) -> str:
    return AUDIENCE_OF_KIND.get(kind_code, OFFICE)


def yearly_volumes(last_year: int, years: int, growth: float = GROWTH) -> list[int]:
    """Tickets per 12-month period, oldest first, the last one `last_year`, each year
    `growth` times the one before."""
    return [round(last_year / growth ** (years - 1 - index)) for index in range(years)]


def spread_over_years(total: int, years: int, growth: float = GROWTH) -> list[int]:
    """`total` tickets split over `years` periods that grow by `growth` a year."""
    return apportion(total, [growth**index for index in range(years)])


def easter(year: int) -> dt.date:
    """Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114) // 31
    p = (h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114) % 31
    return dt.date(year, n, p + 1)


@cache
def public_holidays(year: int) -> frozenset[dt.date]:
    """The eleven French public holidays (Code du travail, art. L3133-1)."""
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [sunday + dt.timedelta(days=n) for n in (1, 39, 50)]  # Easter Monday, Ascension, Whit Monday
    return frozenset([dt.date(year, m, d) for m, d in fixed] + moving)


def _saturday_from(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


@cache
def school_holidays(school_year: int) -> tuple[tuple[dt.date, dt.date], ...]:
    """Holidays of the school year starting in September of `school_year`, zone C, as
    (first day off, day classes resume). The official calendar is set by decree each year;
    these rules reproduce it to within a week, enough for a season's shape."""
    y = school_year
    toussaint = _saturday_from(dt.date(y, 10, 18))
    christmas = _saturday_from(dt.date(y, 12, 18))
    winter = _saturday_from(dt.date(y + 1, 2, 12))
    spring = _saturday_from(dt.date(y + 1, 4, 12))
    summer = _saturday_from(dt.date(y + 1, 7, 4))
    short = tuple((start, start + dt.timedelta(days=16)) for start in (toussaint, christmas, winter, spring))
    return (*short, (summer, dt.date(y + 1, 9, 1)))


def _school_factor(day: dt.date) -> float:
    school_year = day.year if day.month >= 9 else day.year - 1
    holidays = (*school_holidays(school_year - 1)[-1:], *school_holidays(school_year))
    for start, resume in holidays:
        if start <= day < resume:
            # The last week of August prepares the rentrée: tablets handed out, rooms set up.
            return 0.5 if day.month == 8 and day.day >= 24 else 0.08
    for _start, resume in holidays:
        since = (day - resume).days
        if 0 <= since < 21 and resume.month == 9:
            return 2.4 - since / 15  # the rentrée: every tablet and account at once
        if 0 <= since < 7:
            return 1.5  # back from a holiday: what broke or was forgotten
    return 1.0


def day_weight(day: dt.date, audience_name: str, first_day: dt.date) -> float:
    """How many declarations `day` gets relative to an ordinary working day."""
    growth = GROWTH ** ((day - first_day).days / 365.25)
    weekday = day.weekday()
    holiday = day in public_holidays(day.year)
    if audience_name == ROUND_THE_CLOCK:
        return growth * (0.55 if weekday >= 5 or holiday else 1.0)
    if weekday == 6 or holiday:
        return growth * 0.04
    if weekday == 5:
        return growth * 0.08
    if audience_name == SCHOOL:
        # Écoles have no class on Wednesday afternoon; collèges do. Half a dip.
        return growth * _school_factor(day) * (0.8 if weekday == 2 else 1.0)
    slow = day.month == 8 or (day.month == 12 and day.day >= 22)
    return growth * (0.6 if slow else 1.0)


def days_between(first: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from `first` up to the day before `end`."""
    return [first + dt.timedelta(days=n) for n in range((end - first).days)]


def per_day(total: int, days: list[dt.date], audience_name: str) -> list[int]:
    """`total` declarations of one audience dealt over `days` by their weights."""
    if not days:
        return []
    return apportion(total, [day_weight(day, audience_name, days[0]) for day in days])


def hour_weights(audience_name: str) -> tuple[list[int], list[float]]:
    """Hours and cumulative weights, for `random.choices(hours, cum_weights=...)`."""
    table = ALL_HOURS if audience_name == ROUND_THE_CLOCK else WORKING_HOURS
    hours = sorted(table)
    cumulative = []
    running = 0.0
    for hour in hours:
        running += table[hour]
        cumulative.append(running)
    return hours, cumulative


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


# The service desk's working day (Paris time), in minutes after midnight.
DESK_OPENS, DESK_CLOSES = 8 * 60 + 30, 18 * 60


def add_working_minutes(start: dt.datetime, minutes: float) -> dt.datetime:
    """`start` plus `minutes` of the desk's working time (weekdays 08:30-18:00, public
    holidays off): a P3 ticket declared on Friday evening is handled on Monday."""
    moment = start
    left = max(0.0, minutes)
    while True:
        day = moment.date()
        now = moment.hour * 60 + moment.minute + moment.second / 60
        if not is_working_day(day) or now >= DESK_CLOSES:
            moment = _opening(day + dt.timedelta(days=1), moment)
            continue
        if now < DESK_OPENS:
            moment = moment.replace(hour=DESK_OPENS // 60, minute=DESK_OPENS % 60, second=0, microsecond=0)
            now = DESK_OPENS
        available = DESK_CLOSES - now
        if left <= available:
            return moment + dt.timedelta(minutes=left)
        left -= available
        moment = _opening(day + dt.timedelta(days=1), moment)


def _opening(day: dt.date, like: dt.datetime) -> dt.datetime:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(DESK_OPENS // 60, DESK_OPENS % 60), tzinfo=like.tzinfo)


def lognormal_minutes(rng_value: float, low: float, high: float) -> float:
    """A duration between `low` and `high` minutes, most of them near the low end:
    `rng_value` in [0, 1) is mapped on a log scale, squared to favour short ones."""
    return math.exp(math.log(low) + (math.log(high) - math.log(low)) * rng_value**2)


# The demo shows the last two years of the desk, the last one at the operator's volume.
DEMO_YEARS = 2


def ticket_volumes(scale: float) -> list[int]:
    """Demo tickets per 12-month period before the reference date, oldest first."""
    return yearly_volumes(max(1, round(LAST_YEAR_TICKETS * scale)), DEMO_YEARS)


def periods(today: dt.date, volumes: list[int]) -> list[tuple[dt.date, dt.date, int]]:
    """(first day, day after the last, tickets) of each 12-month period ending the day
    before `today`, oldest first."""
    years = len(volumes)
    ends = [today - dt.timedelta(days=365 * (years - 1 - index)) for index in range(years)]
    return [(end - dt.timedelta(days=365), end, count) for end, count in zip(ends, volumes, strict=True)]
