"""Deadlines on the pages: the ticket page in words for the member and the staff, the
desk's filter and column, the API, and the back-office's calendars and policies."""

from __future__ import annotations

import datetime as dt

from mutualis.servicedesk import services
from mutualis.servicedesk.models import BusinessCalendar, SlaPolicy, TicketState
from tests.api.support import Api, issue_token
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen, camera, in_english
from .service_levels import P1, Clock, Levels


def page(client, ticket) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_member_and_the_staff_read_the_deadlines_in_words(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user
) -> None:
    ticket = broken_screen(cast, desk)  # Tuesday 10 March 2026, 09:00
    clock.set("2026-03-10T10:00")
    for who in (cast.alice, cast.olivia):
        text = page(in_english(as_user, who), ticket)
        assert "Service level “Standard”" in text
        assert "Take charge before 03/10/2026 at 14:30 — 3 h of business time left." in text
        assert "<strong>Running</strong>" in text


def test_a_stopped_clock_and_a_missed_deadline_are_said_in_words(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user
) -> None:
    ticket = broken_screen(cast, desk)
    clock.set("2026-03-10T16:30")  # taken charge two hours late
    services.take(ticket=ticket, by=desk.tess)
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    member = page(in_english(as_user, cast.alice), ticket)
    assert "Taken charge on 03/10/2026 at 16:30, 2 h of business time after the deadline." in member
    assert "<strong>Late</strong>" in member
    assert "the clock is stopped while waiting for your reply" in member
    staff = page(in_english(as_user, cast.olivia), ticket)
    assert "the clock is stopped while waiting for the member" in staff
    other = camera(cast, desk)  # P2: 2 hours to take charge: 1 h today, 1 h on Wednesday
    clock.set("2026-03-11T11:00")
    assert "Take charge was due on 03/11/2026 at 09:30: missed by 1 h 30 min of business time." in page(
        in_english(as_user, cast.alice), other
    )


def test_a_priority_change_shows_in_the_history(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user
) -> None:
    ticket = broken_screen(cast, desk)
    services.change_priority(ticket=ticket, priority=P1, by=cast.olivia)
    text = page(in_english(as_user, cast.alice), ticket)
    assert "Deadlines changed: take charge before 03/10/2026 at 14:30 → 03/10/2026 at 10:00;" in text


def test_outsiders_see_no_deadline_of_others(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user
) -> None:
    ticket = broken_screen(cast, desk)
    assert as_user(cast.charlie).get(f"/tickets/{ticket.number}/").status_code == 404
    assert as_user(cast.oscar).get(f"/tickets/{ticket.number}/").status_code == 404
    oscar_desk = as_user(cast.oscar).get("/desk/?deadline=missed&state=").content.decode()
    assert "Écran fissuré" not in oscar_desk


def test_the_page_with_deadlines_reads_a_bounded_number_of_queries(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user, django_assert_max_num_queries
) -> None:
    ticket = broken_screen(cast, desk)
    for who in (cast.alice, cast.olivia):
        client = as_user(who)
        # 19: the menu asks once whether there are sensors to show (the Territory entry).
        with django_assert_max_num_queries(19):
            client.get(f"/tickets/{ticket.number}/")


def test_the_desk_filters_tickets_near_or_past_their_deadline(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, as_user, django_assert_max_num_queries
) -> None:
    missed = broken_screen(cast, desk, title="Déjà en retard")
    clock.set("2026-03-10T12:00")
    near = broken_screen(cast, desk, title="Bientôt dû")  # due at 17:30, warned at 16:30
    quiet = broken_screen(cast, desk, title="Tout juste déclaré")
    clock.set("2026-03-10T16:45")
    services.change_priority(ticket=quiet, priority=4, by=cast.olivia)
    client = in_english(as_user, cast.olivia)
    with django_assert_max_num_queries(14):
        late = client.get("/desk/?deadline=missed").content.decode()
    soon = client.get("/desk/?deadline=near").content.decode()
    assert [t.title in late for t in (missed, near, quiet)] == [True, False, False]
    assert [t.title in soon for t in (missed, near, quiet)] == [False, True, False]
    assert "<strong>missed</strong>" in late
    assert "Take charge 03/10/2026 2:30 p.m." in late or "Take charge 03/10/2026 14:30" in late


def test_the_api_gives_the_deadlines(cast: Cast, desk: Desk, levels: Levels, clock: Clock, client) -> None:
    ticket = broken_screen(cast, desk)
    body = Api(client, issue_token(cast.alice)[1]).get(f"tickets/{ticket.number}/").json()
    assert body["take_charge_due"].startswith("2026-03-10T14:30")
    assert body["sla_paused_at"] is None


# The back-office.


def test_the_back_office_refuses_overlapping_hours_with_a_message(cast: Cast, as_user) -> None:
    client = in_english(as_user, cast.adam)
    form = {
        "name": "Bureaux",
        "operator": cast.operator.pk,
        "timezone": "Europe/Paris",
        "public_holidays": "on",
        "opening_ranges-TOTAL_FORMS": "2",
        "opening_ranges-INITIAL_FORMS": "0",
        "opening_ranges-0-weekday": "0",
        "opening_ranges-0-starts_at": "08:30",
        "opening_ranges-0-ends_at": "12:00",
        "opening_ranges-1-weekday": "0",
        "opening_ranges-1-starts_at": "11:00",
        "opening_ranges-1-ends_at": "17:00",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
    }
    response = client.post("/backoffice/servicedesk/businesscalendar/add/", form)
    assert response.status_code == 200
    assert "Monday: 08:30–12:00 and 11:00–17:00 overlap" in response.content.decode()
    empty = {**form, "opening_ranges-TOTAL_FORMS": "0"}
    response = client.post("/backoffice/servicedesk/businesscalendar/add/", empty)
    assert "This calendar is never open" in response.content.decode()
    form["opening_ranges-1-starts_at"] = "13:30"
    response = client.post("/backoffice/servicedesk/businesscalendar/add/", form)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(operator=cast.operator)
    assert list(calendar.opening_ranges.values_list("starts_at", flat=True)) == [
        dt.time(8, 30),
        dt.time(13, 30),
    ]


def test_another_operators_calendars_are_not_in_the_back_office(cast: Cast, levels: Levels, as_user) -> None:
    client = as_user(cast.oscar)
    for path in (f"businesscalendar/{levels.office.pk}", f"slapolicy/{levels.standard.pk}"):
        response = client.get(f"/backoffice/servicedesk/{path}/change/", follow=True)
        # Django's admin answers a missing (or hidden) object by a redirect with a message.
        assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "Heures de bureau" not in client.get("/backoffice/servicedesk/businesscalendar/").content.decode()


def test_the_back_office_refuses_a_deadline_too_long_to_be_computed(
    cast: Cast, levels: Levels, as_user
) -> None:
    # 10 million business minutes is about 90 years of office hours: it was saved, then
    # every ticket under the policy went without a deadline (SQLite: the declaration failed).
    client = as_user(cast.adam)  # French, as operator admins read it
    form = {
        "name": "Sans fin",
        "operator": cast.operator.pk,
        "calendar": levels.office.pk,
        "warn_percent": "75",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": str(P1),
        "targets-0-take_charge_minutes": "60",
        "targets-0-resolve_minutes": "10000000",
        "escalation_rules-TOTAL_FORMS": "0",
        "escalation_rules-INITIAL_FORMS": "0",
    }
    response = client.post("/backoffice/servicedesk/slapolicy/add/", form)
    assert response.status_code == 200
    assert "Au plus 100\xa0000 minutes ouvrées" in response.content.decode()
    assert not SlaPolicy.objects.filter(name="Sans fin").exists()

    form["targets-0-resolve_minutes"] = "100000"
    assert client.post("/backoffice/servicedesk/slapolicy/add/", form).status_code == 302
    assert SlaPolicy.objects.get(name="Sans fin").targets.get().resolve_minutes == 100_000

    # Oscar, an operator admin elsewhere, can neither read nor change it.
    policy = SlaPolicy.objects.get(name="Sans fin")
    outsider = as_user(cast.oscar)
    response = outsider.get(f"/backoffice/servicedesk/slapolicy/{policy.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"
    outsider.post(f"/backoffice/servicedesk/slapolicy/{policy.pk}/change/", {**form, "name": "Volé"})
    assert SlaPolicy.objects.filter(pk=policy.pk, name="Sans fin").exists()


def test_the_back_office_refuses_a_closure_of_years_a_mistyped_year(cast: Cast, as_user) -> None:
    # 01/08/2062 for 01/08/2026: the calendar was saved closed for 36 years, and every
    # ticket on it went without a deadline.
    client = as_user(cast.adam)
    form = {
        "name": "Bureaux",
        "operator": cast.operator.pk,
        "timezone": "Europe/Paris",
        "public_holidays": "on",
        "opening_ranges-TOTAL_FORMS": "1",
        "opening_ranges-INITIAL_FORMS": "0",
        "opening_ranges-0-weekday": "0",
        "opening_ranges-0-starts_at": "08:30",
        "opening_ranges-0-ends_at": "17:30",
        "closures-TOTAL_FORMS": "1",
        "closures-INITIAL_FORMS": "0",
        "closures-0-label": "Fermeture estivale",
        "closures-0-first_day": "27/07/2026",
        "closures-0-last_day": "14/08/2062",
    }
    response = client.post("/backoffice/servicedesk/businesscalendar/add/", form)
    assert response.status_code == 200
    assert (
        "La fermeture du 27/07/2026 au 14/08/2062 dure plus d’un an : vérifiez les années."
        in response.content.decode()
    )
    assert not BusinessCalendar.objects.filter(operator=cast.operator).exists()

    form["closures-0-last_day"] = "14/08/2026"
    assert client.post("/backoffice/servicedesk/businesscalendar/add/", form).status_code == 302
    calendar = BusinessCalendar.objects.get(operator=cast.operator)
    assert calendar.closures.get().last_day == dt.date(2026, 8, 14)
    # Another operator's admin does not reach it.
    response = as_user(cast.oscar).get(
        f"/backoffice/servicedesk/businesscalendar/{calendar.pk}/change/", follow=True
    )
    assert response.redirect_chain[-1][0] == "/backoffice/"


def test_the_back_office_refuses_closures_that_back_to_back_close_the_calendar_for_years(
    cast: Cast, as_user
) -> None:
    # Each under a year, one after the other: the calendar would be closed for 17 months,
    # and its tickets would go without deadlines as after a single mistyped closure.
    client = as_user(cast.adam)
    form = {
        "name": "Bureaux",
        "operator": cast.operator.pk,
        "timezone": "Europe/Paris",
        "public_holidays": "on",
        "opening_ranges-TOTAL_FORMS": "1",
        "opening_ranges-INITIAL_FORMS": "0",
        "opening_ranges-0-weekday": "0",
        "opening_ranges-0-starts_at": "08:30",
        "opening_ranges-0-ends_at": "17:30",
        "closures-TOTAL_FORMS": "3",
        "closures-INITIAL_FORMS": "0",
    }
    for n, (first, last) in enumerate(
        (("01/01/2027", "31/05/2027"), ("01/06/2027", "31/12/2027"), ("15/12/2027", "31/05/2028"))
    ):
        form |= {
            f"closures-{n}-label": f"Travaux {n + 1}",
            f"closures-{n}-first_day": first,
            f"closures-{n}-last_day": last,
        }
    response = client.post("/backoffice/servicedesk/businesscalendar/add/", form)
    assert response.status_code == 200
    assert (
        "Les fermetures du 01/01/2027 au 31/05/2028 se suivent et ferment le calendrier plus d’un an : "
        "vérifiez leurs années." in response.content.decode()
    )
    assert not BusinessCalendar.objects.filter(operator=cast.operator).exists()
    # A month open between them, and the same closures are a calendar.
    form["closures-1-first_day"] = "01/07/2027"
    form["closures-2-first_day"] = "01/01/2028"
    assert client.post("/backoffice/servicedesk/businesscalendar/add/", form).status_code == 302
    assert BusinessCalendar.objects.get(operator=cast.operator).closures.count() == 3
