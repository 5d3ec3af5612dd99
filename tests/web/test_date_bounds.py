"""A day at the ends of the calendar, typed into any date field, gets a message, not a 500.

Year 9999 overflowed when the filter's "until" became the next midnight, year 1 when a
local midnight became UTC on SQLite (found by an exploratory crawl of the demo).
"""

from __future__ import annotations

import datetime as dt

import pytest

from mutualis.datahub.smart_data_models import NOISE_LEVEL_OBSERVED
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.people.roles import Role
from mutualis.servicedesk.answers import answer_form_class
from mutualis.servicedesk.models import FormField, FormFieldKind
from mutualis.web.date_fields import EARLIEST, LATEST, CalendarDateField
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor
from tests.factories import MembershipFactory
from tests.servicedesk.factories import IncidentTypeFactory

MESSAGE = "Saisissez une date entre le 01/01/1900 et le 31/12/2199."
EDGES = ["9999-12-31", "0001-01-01"]


def test_the_field_keeps_days_within_the_bounds() -> None:
    field = CalendarDateField(required=False)
    assert field.clean(EARLIEST.isoformat()) == EARLIEST
    assert field.clean(LATEST.isoformat()) == LATEST
    for day in [EARLIEST - dt.timedelta(days=1), LATEST + dt.timedelta(days=1)]:
        with pytest.raises(Exception, match="Saisissez une date entre"):
            field.clean(day.isoformat())
    assert field.widget.input_type == "date"  # type: ignore[attr-defined]
    assert (field.widget.attrs["min"], field.widget.attrs["max"]) == ("1900-01-01", "2199-12-31")


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_ticket_lists_name_the_day_out_of_range(cast: Cast, as_user, name: str, day: str) -> None:
    client = as_user(cast.alice)
    page = client.get("/tickets/", {name: day})
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()
    for export in ["csv", "xlsx"]:
        response = client.get("/tickets/", {name: day, "export": export})
        assert response.status_code < 500
        response.getvalue()  # read to the end, as a browser does: that closes an XLSX download's file


@pytest.mark.parametrize("day", EDGES)
def test_the_desk_queue_names_the_day_out_of_range(cast: Cast, as_user, day: str) -> None:
    page = as_user(cast.olivia).get("/desk/", {"created_before": day})
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("name", ["start", "end"])
def test_incidentology_pages_name_the_day_out_of_range(cast: Cast, as_user, name: str, day: str) -> None:
    client = as_user(cast.olivia)
    dashboard = client.get("/insights/", {name: day})
    assert dashboard.status_code == 200
    assert MESSAGE in dashboard.content.decode()
    assert client.get("/insights/recurring/", {name: day}).status_code == 200
    for panel in ["volumes", "breakdown", "load", "sla", "durations", "backlog", "reopen", "satisfaction"]:
        assert client.get(f"/insights/panel/{panel}/", {name: day}).status_code < 500, panel
        assert client.get(f"/insights/panel/{panel}/", {name: day, "export": "csv"}).status_code < 500, panel


@pytest.mark.parametrize("day", EDGES)
def test_the_territory_names_the_day_out_of_range(cast: Cast, as_user, day: str) -> None:
    # The period's form is shown to a member with a sensor (one without is told it has none).
    make_sensor(
        tenant_for_member(cast.member_a),
        NOISE_LEVEL_OBSERVED,
        1,
        site=cast.site_a,
        now=dt.datetime.now(dt.UTC),
    )
    page = as_user(cast.alice).get("/territory/", {"period": "custom", "start": day, "end": day})
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()


def test_a_date_question_of_a_declaration_keeps_within_the_bounds(cast: Cast) -> None:
    incident_type = IncidentTypeFactory()
    FormField.objects.create(
        incident_type=incident_type, key="since", label="Depuis quand ?", kind=FormFieldKind.DATE, position=1
    )
    form_class = answer_form_class(incident_type, cast.site_a)
    assert form_class({"since": "2026-11-20"}).is_valid()
    late = form_class({"since": "9999-12-31"})
    assert not late.is_valid()
    assert late.errors["since"] == [MESSAGE]


@pytest.mark.parametrize("day", EDGES)
def test_outsiders_get_the_same_message_on_their_own_list(cast: Cast, as_user, day: str) -> None:
    """The bound holds for every member alike: another member's agent gets the same
    message on their own list, and none of the first member's tickets."""
    outsider = MembershipFactory(member=cast.member_b, role=Role.MEMBER_AGENT).user
    page = as_user(outsider).get("/tickets/", {"created_before": day})
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()
