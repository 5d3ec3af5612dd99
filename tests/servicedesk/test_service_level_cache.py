"""What a process keeps of the service levels between declarations (services/deadlines.py):
kept while nothing changes, read again after any write to them, whichever way it is made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mutualis.servicedesk import revision_triggers
from mutualis.servicedesk.models import (
    BusinessCalendar,
    Category,
    CategoryServiceLevel,
    Closure,
    OpeningRange,
    ServiceContract,
    ServiceLevelRevision,
    SlaPolicy,
    SlaTarget,
    Ticket,
)
from mutualis.servicedesk.services.deadlines import for_new_ticket
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen
from .service_levels import P3, Clock, Levels, at

# What a ticket's service level is read from (the category's level is read with the category).
SERVICE_LEVEL_TABLES = (
    '"servicedesk_slapolicy"',
    '"servicedesk_slatarget"',
    '"servicedesk_openingrange"',
    '"servicedesk_closure"',
    '"servicedesk_categoryservicelevel"',
    '"servicedesk_servicecontract"',
)


def token() -> str:
    return ServiceLevelRevision.objects.get().token


def deadlines(desk: Desk, created_at: dt.datetime) -> dict[str, object]:
    return for_new_ticket(
        site=desk.college, category_id=desk.broken_screen.category_id, priority=P3, created_at=created_at
    )


def reads_of_service_levels(action: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        action()
    return [q["sql"] for q in queries if any(table in q["sql"] for table in SERVICE_LEVEL_TABLES)]


@pytest.mark.django_db
def test_every_table_a_service_level_is_read_from_changes_the_token_on_write() -> None:
    assert revision_triggers.watched(connection) == set(revision_triggers.WATCHED_TABLES)


def test_declarations_read_the_service_levels_once_until_they_change(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    broken_screen(cast, desk)
    # The second declaration reads the revision's token and none of the service levels.
    assert reads_of_service_levels(lambda: broken_screen(cast, desk)) == []
    first = Ticket.objects.latest("pk")
    assert first.sla_policy_id == levels.standard.pk
    assert first.resolve_due == at("2026-03-16T15:30")  # 35 business hours (7 h 30 a day) from Tuesday 09:00

    # A change that no model's save() sees: the next declaration reads it.
    SlaTarget.objects.filter(policy=levels.standard, priority=P3).update(resolve_minutes=420)
    assert reads_of_service_levels(lambda: broken_screen(cast, desk)) != []
    assert Ticket.objects.latest("pk").resolve_due == at("2026-03-10T17:30")


WRITES: dict[str, Callable[[Levels, Desk], object]] = {
    "policy renamed": lambda lv, _d: SlaPolicy.objects.filter(pk=lv.standard.pk).update(name="Standard 2"),
    "target created": lambda lv, _d: SlaTarget.objects.bulk_create(
        [SlaTarget(policy=lv.video, priority=9, take_charge_minutes=1, resolve_minutes=2)]
    ),
    "calendar changed": lambda lv, _d: BusinessCalendar.objects.filter(pk=lv.office.pk).update(
        always_open=True
    ),
    "hours deleted": lambda lv, _d: OpeningRange.objects.filter(calendar=lv.office, weekday=0).delete(),
    "closure added": lambda lv, _d: Closure.objects.create(
        calendar=lv.office, label="Pont", first_day=dt.date(2026, 3, 11), last_day=dt.date(2026, 3, 11)
    ),
    "category moved": lambda _lv, d: Category.objects.filter(pk=d.broken_screen.category_id).update(
        parent=None
    ),
    "category level set": lambda lv, d: CategoryServiceLevel.objects.create(
        category_id=d.broken_screen.category_id, policy=lv.video
    ),
    "contract signed": lambda lv, d: ServiceContract.objects.bulk_create(
        [ServiceContract(member_id=d.college.member_id, policy=lv.renforce, starts_on=dt.date(2026, 1, 1))]
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_any_write_to_the_service_levels_changes_the_token(
    desk: Desk, levels: Levels, write: Callable[[Levels, Desk], object]
) -> None:
    before = token()
    write(levels, desk)
    assert token() != before


def test_a_change_rolled_back_leaves_nothing_behind(cast: Cast, desk: Desk, levels: Levels) -> None:
    when = at("2026-03-10T09:00")
    kept = deadlines(desk, when)
    seen = []

    def change_then_roll_back() -> None:
        with transaction.atomic():
            SlaTarget.objects.filter(policy=levels.standard, priority=P3).update(resolve_minutes=420)
            seen.append(deadlines(desk, when)["resolve_due"])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_roll_back()
    assert seen == [at("2026-03-10T17:30")]  # seen inside the transaction
    assert deadlines(desk, when) == kept


def test_a_database_without_its_revision_row_gets_one(cast: Cast, desk: Desk, levels: Levels) -> None:
    ServiceLevelRevision.objects.all().delete()  # as a test's flush leaves it
    assert deadlines(desk, at("2026-03-10T09:00"))["resolve_due"] == at("2026-03-16T15:30")
    assert ServiceLevelRevision.objects.count() == 1
