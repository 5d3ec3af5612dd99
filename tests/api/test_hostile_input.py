"""What the probe of the REST API with hostile input found: numbers int() refuses (thousands
of digits, each a 500) or reads from other scripts' digits (one row under many ids), text
PostgreSQL cannot compare (a NUL in a code: a 500 there), and bodies too large for Django
(an HTML page); then, fuzzing the served schema: times at the ends of the calendar and ids
beyond the database's integers (500s). Each answer is now a problem a person can act on."""

from __future__ import annotations

import base64

import pytest

from mutualis.servicedesk.models import Ticket

from .desk_support import broken_screen
from .support import field_messages, problem
from .test_tickets_declaring import declaration

pytestmark = pytest.mark.django_db

HUGE = "9" * 5000
LISTS = [
    "members/",
    "sites/",
    "assets/",
    "tickets/",
    "territory/communes/",
    "territory/epci/",
    "territory/departements/",
    "site-kinds/",
    "asset-types/",
    "asset-models/",
    "teams/",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_limit_of_thousands_of_digits_is_a_400(cast, api, path):
    body = problem(api(cast.adam).get(path, {"limit": HUGE}), 400)
    assert field_messages(body, "limit") == ["Give a whole number from 1 to 500."]


@pytest.mark.parametrize("path", ["sites/", "tickets/", "teams/"])
def test_a_cursor_of_thousands_of_digits_is_not_one_the_api_gave_out(cast, api, path):
    cursor = base64.b64encode(f"p={HUGE}".encode()).decode()
    body = problem(api(cast.adam).get(path, {"cursor": cursor}), 404)
    assert body["detail"] == "This cursor is not one the API gave out; start again from the first page."


def test_an_assignee_of_thousands_of_digits_is_a_400(cast, api):
    body = problem(api(cast.adam).get("tickets/", {"assignee": HUGE}), 400)
    assert field_messages(body, "assignee") == [
        "Give me, none, or the id of a person of the operator's staff."
    ]


@pytest.mark.parametrize("tail", ["assets", "files"])
def test_ids_of_thousands_of_digits_under_a_ticket_are_404(cast, desk, api, tail):
    ticket = broken_screen(cast, desk)
    missing = problem(api(cast.adam).get(f"tickets/{ticket.number}/{tail}/999999/"), 404)
    assert problem(api(cast.adam).get(f"tickets/{ticket.number}/{tail}/{HUGE}/"), 404) == missing
    if tail == "assets":
        assert problem(api(cast.adam).delete(f"tickets/{ticket.number}/assets/{HUGE}/"), 404) == missing


def _in_script(number: int, zero: str) -> str:
    """`number` written with the digits of the script whose zero is `zero`."""
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


FULL_WIDTH, ARABIC_INDIC = "\uff10", "\u0660"


@pytest.mark.parametrize("zero", [FULL_WIDTH, ARABIC_INDIC])
@pytest.mark.parametrize("resource", ["members", "sites", "assets"])
def test_an_id_in_other_scripts_digits_names_no_object(cast, api, resource, zero):
    """int() reads "１２" and "١٢" as 12: /members/１２/ answered member 12."""
    pk = {"members": cast.member_a.pk, "sites": cast.site_a.pk, "assets": cast.asset_a.pk}[resource]
    assert api(cast.adam).get(f"{resource}/{pk}/").status_code == 200
    missing = problem(api(cast.adam).get(f"{resource}/999999/"), 404)
    assert problem(api(cast.adam).get(f"{resource}/{_in_script(pk, zero)}/"), 404) == missing


@pytest.mark.parametrize("spelling", ["full width", "float", "exponent", "string"])
def test_an_id_in_a_body_is_an_integer(cast, desk, api, spelling):
    """235.0, 2.35e2 and "２３５" named site 235: one row, one id. ASCII digits in a string
    stay an id (multipart forms have no numbers)."""
    pk = desk.college.pk
    site = {
        "full width": _in_script(pk, FULL_WIDTH),
        "float": float(pk),
        "exponent": f"{pk}e0",
        "string": str(pk),
    }
    declaration = {"site": site[spelling], "incident_type": desk.broken_screen.pk, "title": "Écran"}
    body = problem(api(cast.alice).post("tickets/", declaration), 400)
    expected = [] if spelling == "string" else ["No such site."]
    assert field_messages(body, "site") == expected


def test_an_id_in_a_filter_is_ascii_digits(cast, api):
    body = problem(api(cast.adam).get("sites/", {"member": _in_script(cast.member_a.pk, FULL_WIDTH)}), 400)
    assert field_messages(body, "member") == ["No such member."]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("members/", "departement"),
        ("members/", "service"),
        ("sites/", "kind"),
        ("sites/", "commune"),
        ("assets/", "asset_type"),
        ("tickets/", "site_kind"),
        ("territory/communes/", "departement"),
    ],
)
def test_a_nul_in_a_code_filter_is_no_such_code(cast, api, path, name):
    """PostgreSQL refuses NUL in any text it compares: there, a 500."""
    body = problem(api(cast.adam).get(path, {name: "78\x0046"}), 400)
    assert len(field_messages(body, name)) == 1


def test_a_nul_in_a_code_of_a_body_is_no_such_code(cast, api):
    site = {"member": cast.member_a.pk, "kind": "mai\x00rie", "name": "Annexe", "commune": "786\x0046"}
    body = problem(api(cast.adam).post("sites/", site), 400)
    assert {error["field"] for error in body["errors"]} == {"kind", "commune"}
    body = problem(api(cast.adam).patch(f"assets/{cast.asset_a.pk}/", {"asset_type": "\x00"}), 400)
    assert [error["field"] for error in body["errors"]] == ["asset_type"]


def test_a_body_larger_than_the_api_reads_is_a_413_problem(cast, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
    response = api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"notes": "x" * (3 * 1024 * 1024)})
    body = problem(response, 413)
    assert body["detail"] == "The request body is larger than the 2.0 MB this API reads; send less at once."
    cast.site_a.refresh_from_db()
    assert cast.site_a.notes == ""


def test_a_number_of_thousands_of_digits_in_a_body_is_refused_in_plain_words(cast, api):
    response = api(cast.adam).patch(f"sites/{cast.site_a.pk}/", '{"latitude": %s}' % HUGE)  # noqa: UP031
    detail = problem(response, 400)["detail"]
    assert "has 5000 digits; numbers have at most 309" in detail
    assert "set_int_max_str_digits" not in detail


@pytest.mark.parametrize("path", ["members/", "sites/", "assets/", "tickets/"])
@pytest.mark.parametrize(
    "instant", ["0001-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59-01:00", "1899-12-31T23:59:59Z"]
)
def test_an_updated_since_outside_the_calendar_is_a_400(cast, api, path, instant):
    """Year 1 in Paris is year 0 in UTC: DRF's time zone conversion overflowed (a 500, an
    HTML page under DEBUG). Bounded as the days of `created_after` are."""
    body = problem(api(cast.adam).get(path, {"updated_since": instant}), 400)
    assert field_messages(body, "updated_since") == ["Enter a date between 01/01/1900 and 12/31/2199."]


@pytest.mark.parametrize("path", ["sites/", "tickets/"])
def test_an_updated_since_at_the_ends_of_the_calendar_is_a_filter(cast, api, path):
    for instant in ["1900-01-01T00:00:00", "2199-12-31T23:59:59-12:00"]:
        response = api(cast.adam).get(path, {"updated_since": instant})
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, int("9" * 300)])
def test_equipment_ids_beyond_the_databases_integers_name_no_asset(cast, desk, api, pk):
    """SQLite's driver refused such an id in the list it was asked for (OverflowError, a
    500); it is an asset that does not exist, named as one."""
    declared = declaration(desk, assets=[desk.tablet.pk, pk])
    body = problem(api(cast.alice).post("tickets/", declared), 400)
    assert field_messages(body, "assets") == [f"No such asset: {pk}."]
    assert not Ticket.objects.exists()
