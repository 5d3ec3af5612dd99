"""Business calendars: adding and measuring open time on the days that trip people up."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from mutualis.servicedesk.calendars import (
    NeverOpen,
    Schedule,
    add_business_time,
    business_time_between,
    holiday_dates,
    holiday_region,
    region_of_commune,
)
from mutualis.servicedesk.models import BusinessCalendar, Closure, OpeningRange
from tests.conftest import Cast

PARIS = ZoneInfo("Europe/Paris")
OFFICE = [[(8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30)]] * 5 + [[], []]  # 7 h a day
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


def office(closures: list[tuple[dt.date, dt.date]] | None = None, holidays: bool = True) -> Schedule:
    return Schedule(PARIS, always_open=False, public_holidays=holidays, week=OFFICE, closures=closures or [])


def round_the_clock() -> Schedule:
    return Schedule(PARIS, always_open=True, public_holidays=False, week=[[] for _ in range(7)], closures=[])


def add(schedule: Schedule, start: str, duration: dt.timedelta, region: str = "") -> dt.datetime:
    return add_business_time(schedule, at(start), duration, holiday_region=region)


def test_a_ticket_of_friday_evening_before_whit_monday_is_due_on_tuesday() -> None:
    # Friday 22 May 2026 17:55: the office closed at 17:30; Monday 25 is Whit Monday.
    due = add(office(), "2026-05-22T17:55", 4 * H)
    assert due == at("2026-05-26T14:00")  # 08:30–12:00 is 3 h 30, then 30 min after lunch
    assert due.tzinfo is not None


def test_a_bridge_day_closure_then_the_fourteenth_of_july() -> None:
    bridge = [(dt.date(2026, 7, 13), dt.date(2026, 7, 13))]  # Monday 13 July: the office makes a bridge
    assert add(office(bridge), "2026-07-10T17:00", 1 * H) == at("2026-07-15T09:00")


def test_easter_monday_everywhere_good_friday_only_in_alsace_moselle() -> None:
    # Thursday 2 April 2026 17:00, one hour to go.
    assert add(office(), "2026-04-02T17:00", 1 * H) == at("2026-04-03T09:00")  # Good Friday: a working day
    assert add(office(), "2026-04-02T17:00", 1 * H, "57") == at("2026-04-07T09:00")  # Moselle
    assert add(office(), "2026-04-02T17:00", 1 * H, "6AE") == at("2026-04-07T09:00")  # Alsace
    assert add(office(), "2026-04-03T17:00", 1 * H) == at("2026-04-07T09:00")  # Easter Monday for all


def test_saint_stephen_is_a_holiday_in_moselle_only() -> None:
    # Friday 26 December 2025.
    assert add(office(), "2025-12-24T17:00", 1 * H) == at("2025-12-26T09:00")
    assert add(office(), "2025-12-24T17:00", 1 * H, "57") == at("2025-12-29T09:00")
    assert dt.date(2025, 12, 26) in holiday_dates(2025, "57")
    assert dt.date(2025, 12, 26) not in holiday_dates(2025, "")


def test_the_holiday_region_comes_from_the_departement() -> None:
    assert [holiday_region(code) for code in ("57", "67", "68", "78", "92", "2A", "974")] == [
        "57",
        "6AE",
        "6AE",
        "",
        "",
        "",
        "974",
    ]
    assert region_of_commune("57463") == "57"  # Metz
    assert region_of_commune("67482") == "6AE"  # Strasbourg
    assert region_of_commune("78646") == ""  # Versailles
    assert region_of_commune("97411") == "974"  # Saint-Denis (La Réunion)


def test_holidays_can_be_ignored() -> None:
    assert add(office(holidays=False), "2026-05-22T17:55", 4 * H) == at("2026-05-25T14:00")


def test_a_start_outside_opening_hours_counts_from_the_next_opening() -> None:
    assert add(office(), "2026-03-10T06:00", 30 * M) == at("2026-03-10T09:00")
    assert add(office(), "2026-03-10T12:15", 30 * M) == at("2026-03-10T14:00")  # at lunch
    assert add(office(), "2026-03-14T10:00", 30 * M) == at("2026-03-16T09:00")  # a Saturday
    # Ending exactly at closing time stays there, not at the next opening.
    assert add(office(), "2026-03-10T17:00", 30 * M) == at("2026-03-10T17:30")


def test_a_zero_duration_is_the_start_itself() -> None:
    assert add(office(), "2026-03-14T10:00", dt.timedelta(0)) == at("2026-03-14T10:00")


def test_several_days_and_a_closure_week() -> None:
    summer = [(dt.date(2026, 8, 10), dt.date(2026, 8, 14))]
    # Friday 7 August 2026 at 09:00, 14 business hours: 7 h on Friday, the week closed, then
    # 7 h from Monday's opening at 08:30.
    assert add(office(summer), "2026-08-07T09:00", 14 * H) == at("2026-08-17T17:00")
    assert add(office(), "2026-08-07T09:00", 14 * H) == at("2026-08-10T17:00")


def test_round_the_clock_across_the_spring_change_of_time() -> None:
    # The night of 28–29 March 2026 has no 02:00–03:00: 4 real hours end at 05:00 local.
    assert add(round_the_clock(), "2026-03-29T00:00", 4 * H) == at("2026-03-29T05:00")
    assert business_time_between(
        round_the_clock(), at("2026-03-29T00:00"), at("2026-03-30T00:00"), holiday_region=""
    ) == (23 * H)


def test_round_the_clock_across_the_autumn_change_of_time() -> None:
    # The night of 24–25 October 2026 has 02:00–03:00 twice: the day lasts 25 hours.
    start = at("2026-10-25T00:00")
    assert (
        business_time_between(round_the_clock(), start, at("2026-10-26T00:00"), holiday_region="") == 25 * H
    )
    assert add(round_the_clock(), "2026-10-25T00:00", 4 * H) == at("2026-10-25T03:00")


def test_office_hours_do_not_move_with_the_change_of_time() -> None:
    # Friday 27 March 2026 17:00 + 1 h: Monday 30 at 09:00 local (UTC+2 now, UTC+1 before).
    due = add(office(), "2026-03-27T17:00", 1 * H)
    assert due == at("2026-03-30T09:00")
    assert due.utcoffset() == 2 * H


def test_time_between_is_the_inverse_of_adding() -> None:
    start = at("2026-05-22T17:55")
    for minutes in (1, 59, 210, 211, 420, 421, 2000, 10_000):
        due = add_business_time(office(), start, minutes * M, holiday_region="57")
        assert business_time_between(office(), start, due, holiday_region="57") == minutes * M
    assert (
        business_time_between(office(), at("2026-03-10T10:00"), at("2026-03-10T09:00"), holiday_region="")
        == -H
    )


def test_a_calendar_closed_for_years_is_refused_rather_than_walked_for_ever() -> None:
    closed = office([(dt.date(2026, 1, 1), dt.date(2030, 12, 31))])
    with pytest.raises(NeverOpen):
        add(closed, "2026-03-10T10:00", H)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office(), dt.datetime(2026, 3, 10, 10), H, holiday_region="")  # noqa: DTZ001 - the case


# The definition of a calendar, as saved by the back-office.


def _calendar(cast: Cast, **fields: object) -> BusinessCalendar:
    return BusinessCalendar.objects.create(operator=cast.operator, name="Bureaux", **fields)


def test_a_saved_calendar_computes_like_its_schedule(cast: Cast) -> None:
    calendar = _calendar(cast)
    for day in range(5):
        OpeningRange.objects.create(
            calendar=calendar, weekday=day, starts_at=dt.time(8, 30), ends_at=dt.time(12)
        )
        OpeningRange.objects.create(
            calendar=calendar, weekday=day, starts_at=dt.time(13, 30), ends_at=dt.time(17, 30)
        )
    Closure.objects.create(
        calendar=calendar,
        label="Fermeture estivale",
        first_day=dt.date(2026, 8, 10),
        last_day=dt.date(2026, 8, 14),
    )
    calendar.check_definition()
    assert add_business_time(calendar, at("2026-08-07T09:00"), 14 * H, holiday_region="") == at(
        "2026-08-17T17:00"
    )


def test_a_range_to_midnight_is_written_00_00(cast: Cast) -> None:
    calendar = _calendar(cast)
    OpeningRange.objects.create(calendar=calendar, weekday=5, starts_at=dt.time(20), ends_at=dt.time(0))
    calendar.check_definition()
    assert add_business_time(calendar, at("2026-03-14T23:00"), 2 * H, holiday_region="") == at(
        "2026-03-21T21:00"
    )


@translation.override("en")
def test_invalid_definitions_say_what_to_change(cast: Cast) -> None:
    calendar = _calendar(cast)
    with pytest.raises(ValidationError) as never:
        calendar.check_definition()
    assert "never open" in never.value.messages[0]
    with pytest.raises(ValidationError) as overlap:
        calendar.check_definition(
            ranges=[
                (0, dt.time(8, 30), dt.time(12)),
                (0, dt.time(11), dt.time(17)),
                (1, dt.time(9), dt.time(8)),
            ]
        )
    assert overlap.value.messages == [
        "Tuesday: a range ends at 08:00, before it starts at 09:00.",
        "Monday: 08:30–12:00 and 11:00–17:00 overlap; make one end before the other starts.",
    ]
    with pytest.raises(ValidationError) as closure:
        calendar.check_definition(
            ranges=[(0, dt.time(9), dt.time(17))], closures=[(dt.date(2026, 8, 14), dt.date(2026, 8, 10))]
        )
    assert closure.value.messages == ["The closure from 14/08/2026 ends on 10/08/2026, before it starts."]
    calendar.always_open = True
    calendar.check_definition()  # 24/7 needs no hours


def test_rows_and_time_zones_are_checked_by_the_model(cast: Cast) -> None:
    calendar = _calendar(cast, timezone="Europe/Pariss")
    with pytest.raises(ValidationError) as zone:
        calendar.full_clean()
    assert "timezone" in zone.value.message_dict
    opening = OpeningRange(calendar=calendar, weekday=0, starts_at=dt.time(17), ends_at=dt.time(9))
    with pytest.raises(ValidationError) as order:
        opening.full_clean()
    assert "ends_at" in order.value.message_dict
    closure = Closure(
        calendar=calendar, label="Noël", first_day=dt.date(2026, 12, 31), last_day=dt.date(2026, 12, 24)
    )
    with pytest.raises(ValidationError) as closed:
        closure.full_clean()
    assert "last_day" in closed.value.message_dict


def test_an_opening_inside_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    """Sunday 29 March 2026, Paris: the clocks go from 02:00 to 03:00. A range opening at
    02:30 opens at 03:00 CEST, the first moment of it the clock shows, not at 03:30."""
    sunday = [[] for _ in range(6)] + [[(2 * 60 + 30, 5 * 60)]]  # Sundays 02:30-05:00
    schedule = Schedule(PARIS, always_open=False, public_holidays=False, week=sunday, closures=[])
    day = dt.date(2026, 3, 29)
    assert schedule.spans(day, "") == [(at("2026-03-29T03:00"), at("2026-03-29T05:00"))]
    assert add_business_time(schedule, at("2026-03-29T00:00"), 2 * H, holiday_region="") == at(
        "2026-03-29T05:00"
    )
    # A range wholly inside the skipped hour has no time that day, and one that closes in
    # it closes when the clock jumps.
    inside = [[] for _ in range(6)] + [[(0, 2 * 60 + 15), (2 * 60 + 20, 2 * 60 + 40)]]
    schedule = Schedule(PARIS, always_open=False, public_holidays=False, week=inside, closures=[])
    assert schedule.spans(day, "") == [(at("2026-03-29T00:00"), at("2026-03-29T03:00"))]
    # The autumn change is as the clock reads, its hour read twice taken the first time
    # (compared in UTC: PEP 495 makes an ambiguous reading unequal to any other zone's).
    expected = [("00:00", "02:15"), ("02:20", "02:40")]
    assert schedule.spans(dt.date(2026, 10, 25), "") == [
        (at(f"2026-10-25T{opens}").astimezone(dt.UTC), at(f"2026-10-25T{closes}").astimezone(dt.UTC))
        for opens, closes in expected
    ]
