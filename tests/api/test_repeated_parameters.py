"""A query parameter given twice is a 400 naming it, on every endpoint of /api/v1/.

Django reads the last value of a repeated parameter: `?status=lost&status=retired` listed
the retired assets alone, to a client that meant both, which took the list for what it
asked. No parameter of the REST API takes several values (the schema declares none as an
array), so none may be repeated. The refusal comes once the caller is known and allowed,
before anything is read or written: an outsider learns nothing of another member's data
from it (the same 400 for an object of theirs and for one that does not exist).
"""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.registry.models import Asset, AssetStatus, Site
from mutualis.servicedesk.models import InboundEmail, Ticket
from tests.factories import AssetFactory

from .desk_support import broken_screen
from .support import field_messages, ids, problem
from .test_tickets_declaring import declaration

pytestmark = pytest.mark.django_db


def repeated(body: dict[str, Any], name: str, times: int = 2) -> None:
    """`body` is the problem of a repeated `name`, saying so in English (tests read the
    API in English, tests/api/support.py)."""
    assert body["type"].endswith("/validation")
    assert field_messages(body, name) == [
        f"The query parameter “{name}” is given {times} times; give it once (each parameter takes a "
        "single value)."
    ]


def test_a_status_filter_given_twice_is_refused_and_given_once_filters(cast, api):
    lost = AssetFactory(site=cast.site_a, status=AssetStatus.LOST)
    retired = AssetFactory(site=cast.site_a, status=AssetStatus.RETIRED)
    olivia = api(cast.olivia)

    repeated(problem(olivia.get("assets/?status=lost&status=retired"), 400), "status")
    # The same request with the parameter once.
    assert ids(olivia.get("assets/?status=lost")) == [lost.pk]
    assert ids(olivia.get("assets/?status=retired")) == [retired.pk]


def test_an_empty_value_counts_as_a_second_one(cast, api):
    repeated(problem(api(cast.olivia).get("assets/?status=lost&status="), 400), "status")
    # Alone, an empty value is no filter (docs/api.md, Filters).
    assert len(ids(api(cast.olivia).get("assets/?status="))) == Asset.objects.count()


def test_each_repeated_parameter_is_named(cast, api):
    body = problem(api(cast.olivia).get("assets/?site_kind=a&q=x&site_kind=b&q=y&q=z&limit=5"), 400)
    repeated(body, "site_kind")
    repeated(body, "q", times=3)
    assert {error["field"] for error in body["errors"]} == {"site_kind", "q"}


@pytest.mark.parametrize(
    "query",
    ["limit=5&limit=500", "cursor=abc&cursor=abc", "kind=commune&kind=commune"],
)
def test_paging_parameters_and_identical_values_are_refused_too(cast, api, query):
    name = query.split("=", 1)[0]
    repeated(problem(api(cast.olivia).get(f"members/?{query}"), 400), name)


def test_addresses_that_read_no_parameter_refuse_a_repeated_one(cast, api):
    """A detail, `me/`: before, a repeated (or any) parameter went unread."""
    alice = api(cast.alice)
    repeated(problem(alice.get("me/?fields=id&fields=role"), 400), "fields")
    repeated(problem(alice.get(f"sites/{cast.site_a.pk}/?expand=a&expand=b"), 400), "expand")
    assert alice.get("me/?fields=id").status_code == 200
    assert alice.get(f"sites/{cast.site_a.pk}/").status_code == 200


def test_a_write_with_a_repeated_parameter_writes_nothing(cast, api):
    before = Site.objects.get(pk=cast.site_a.pk).name
    response = api(cast.adam).patch(f"sites/{cast.site_a.pk}/?dry_run=1&dry_run=0", {"name": "Annexe"})
    repeated(problem(response, 400), "dry_run")
    assert Site.objects.get(pk=cast.site_a.pk).name == before


def test_who_asks_is_checked_first(cast, api):
    # 401 without a token, 403 for a read-only one creating: the caller comes before the
    # request (a change waits for its object, whose refusal comes after the 400).
    problem(api().get("assets/?status=lost&status=retired"), 401)
    problem(api(cast.alice, can_write=False).post("sites/?a=1&a=2", {"name": "X"}), 403)


def test_an_outsider_gets_the_same_400_for_another_members_data_as_for_nothing(cast, api):
    """The refusal comes before any row is read: member B's agent and the other operator's
    admin get, for member A's asset and member, the answer a missing id gets."""
    for outsider in (cast.charlie, cast.oscar):
        client = api(outsider)
        for path in ("assets/{}/", "assets/{}/history/", "sites/{}/"):
            pk = cast.asset_a.pk if path.startswith("assets") else cast.site_a.pk
            theirs = problem(client.get(path.format(pk) + "?limit=1&limit=2"), 400)
            assert theirs == problem(client.get(path.format(999999) + "?limit=1&limit=2"), 400)
            assert cast.site_a.name not in str(theirs)
        # A filter naming member A twice lists nothing of it.
        body = problem(client.get(f"assets/?member={cast.member_a.pk}&member={cast.member_a.pk}"), 400)
        assert "results" not in body
        repeated(body, "member")


def test_the_ticket_api_refuses_a_repeated_parameter(cast, desk, api):
    ticket = broken_screen(cast, desk)
    alice = api(cast.alice)

    repeated(problem(alice.get("tickets/?state=new&state=resolved"), 400), "state")
    assert [row["number"] for row in alice.get("tickets/?state=new").json()["results"]] == [ticket.number]
    repeated(problem(alice.get(f"tickets/{ticket.number}/timeline/?x=1&x=1"), 400), "x")
    assert alice.get(f"tickets/{ticket.number}/timeline/").status_code == 200
    repeated(problem(alice.get(f"sites/{desk.college.pk}/catalogue/?q=écran&q=tablette"), 400), "q")
    assert alice.get(f"sites/{desk.college.pk}/catalogue/?q=écran").status_code == 200


def test_a_declaration_with_a_repeated_parameter_opens_no_ticket(cast, desk, api):
    response = api(cast.alice).post("tickets/?notify=no&notify=yes", declaration(desk))
    repeated(problem(response, 400), "notify")
    assert not Ticket.objects.exists()


def test_an_outsider_gets_the_same_400_for_another_members_ticket_as_for_none(cast, desk, api):
    ticket = broken_screen(cast, desk)
    for outsider in (cast.charlie, cast.oscar):
        client = api(outsider)
        theirs = problem(client.get(f"tickets/{ticket.number}/?view=all&view=all"), 400)
        assert theirs == problem(client.get("tickets/999999/?view=all&view=all"), 400)
        assert ticket.title not in str(theirs)
        # Once, the ticket is the 404 of a missing one, as before.
        assert problem(client.get(f"tickets/{ticket.number}/?view=all"), 404)


def test_the_inbound_mail_hook_refuses_a_repeated_parameter_and_keeps_nothing(cast, api):
    raw = b"From: a@b.example\r\nTo: desk@operator.example\r\nSubject: Test\r\n\r\nBonjour\r\n"
    response = api(cast.adam).post("inbound-email/?source=mx1&source=mx2", raw, content_type="message/rfc822")
    repeated(problem(response, 400), "source")
    assert not InboundEmail.objects.exists()
    # Once, the message is taken (set aside: nobody knows its sender).
    response = api(cast.adam).post("inbound-email/?source=mx1", raw, content_type="message/rfc822")
    assert response.status_code == 202, response.content


def test_the_refusal_speaks_the_language_of_the_request(cast, api):
    client = api(cast.olivia)
    client.headers["Accept-Language"] = "fr"
    body = problem(client.get("assets/?status=lost&status=retired"), 400)
    assert field_messages(body, "status") == [
        "Le paramètre « status » figure 2 fois dans l’adresse ; donnez-le une seule fois (chaque "
        "paramètre prend une seule valeur)."
    ]
