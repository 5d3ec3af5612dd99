"""The desk: queues by team, filters, bulk assignment, the catalogue preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mutualis.servicedesk import services
from mutualis.servicedesk.models import CatalogueOverride, Ticket
from tests.conftest import Cast
from tests.factories import SiteFactory

from .conftest import Desk
from .factories import CategoryFactory, IncidentTypeFactory, TeamFactory
from .pages import broken_screen, camera, in_english

pytestmark = pytest.mark.django_db


def numbers(page: str, tickets: list[Ticket]) -> set[int]:
    return {t.number for t in tickets if f'href="/tickets/{t.number}/"' in page}


@pytest.fixture
def pile(cast: Cast, desk: Desk) -> dict[str, Ticket]:
    """A screen taken by tess, an unassigned camera, an old resolved screen, and a ticket
    of member B."""
    taken = broken_screen(cast, desk)
    services.take(ticket=taken, by=desk.tess)
    old = broken_screen(cast, desk, title="Ancien")
    services.transition(ticket=old, to="resolved", by=desk.tess, as_staff=True)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    station_b = SiteFactory(member=cast.member_b, kind=desk.station_kind, name="Caserne de Nanterre")
    theirs = services.open_ticket(
        site=station_b, incident_type=desk.camera_offline, title="Nanterre", by=cast.charlie
    )
    return {"taken": taken, "camera": camera(cast, desk), "old": old, "theirs": theirs}


def test_queues_by_tab(cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user) -> None:
    everyone = list(pile.values())
    client = in_english(as_user, desk.tess)
    page = client.get("/desk/").content.decode()
    assert numbers(page, everyone) == {pile[k].number for k in ("taken", "theirs", "camera")}  # open only
    assert f'href="?queue=team-{desk.team.pk}"' in page
    assert numbers(client.get("/desk/?queue=mine").content.decode(), everyone) == {pile["taken"].number}
    unassigned = client.get("/desk/?queue=unassigned").content.decode()
    assert numbers(unassigned, everyone) == {pile["theirs"].number, pile["camera"].number}
    team = client.get(f"/desk/?queue=team-{desk.team.pk}&state=").content.decode()
    assert numbers(team, everyone) == {pile["taken"].number, pile["old"].number}
    # Another team's tab is not one of tess's tabs: it falls back to every ticket.
    other = TeamFactory(operator=cast.operator)
    assert numbers(client.get(f"/desk/?queue=team-{other.pk}").content.decode(), everyone) == numbers(
        page, everyone
    )


def test_desk_filters(cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user) -> None:
    everyone = list(pile.values())
    client = as_user(cast.olivia)

    def listed(query: str) -> set[int]:
        return numbers(client.get(f"/desk/?{query}").content.decode(), everyone)

    taken, cam, old, theirs = (pile[k].number for k in ("taken", "camera", "old", "theirs"))
    assert listed("state=") == {taken, old, theirs, cam}
    assert listed(f"member={cast.member_b.pk}") == {theirs}
    assert listed(f"site_kind={desk.college_kind.pk}&state=") == {taken, old}
    assert listed(f"category={desk.camera_offline.category_id}") == {theirs, cam}
    assert listed(f"team={desk.team.pk}&state=") == {taken, old}
    assert listed(f"assignee={desk.tess.pk}&state=") == {taken}
    assert listed("assignee=none") == {theirs, cam}
    assert listed("assignee=me") == set()
    assert listed("older_than_days=30&state=") == {old}
    assert listed("priority=2") == {theirs, cam}
    assert listed("q=nanterre") == {theirs}
    assert listed("assignee=banana&older_than_days=-3") == {taken, theirs, cam}


def test_desk_export_follows_the_queue(cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user) -> None:
    response = in_english(as_user, cast.olivia).get("/desk/?queue=unassigned&export=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 3
    assert "Caméra du parking" in lines[1]
    assert "Nanterre" in lines[2]


def test_the_queue_reads_a_bounded_number_of_queries(
    cast: Cast, desk: Desk, as_user, django_assert_max_num_queries
) -> None:
    for n in range(15):
        broken_screen(cast, desk, title=f"Écran {n}")
        camera(cast, desk, title=f"Caméra {n}")
    client = as_user(desk.tess)
    with django_assert_max_num_queries(14):
        page = client.get("/desk/").content.decode()
    assert page.count('name="bulk-tickets"') == 30


def test_members_have_no_desk(cast: Cast, desk: Desk, as_user) -> None:
    for who in (cast.alice, cast.bob, cast.charlie):
        client = as_user(who)
        assert client.get("/desk/").status_code == 403
        assert client.get("/desk/catalogue/").status_code == 403
        assert client.post("/desk/assign/", {"bulk-assignee": "none"}).status_code == 403


def test_bulk_assign_says_how_many_and_names_the_skipped(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    client = in_english(as_user, cast.olivia)
    picked = [pile["camera"].number, pile["theirs"].number, pile["old"].number]
    response = client.post(
        "/desk/assign/",
        {
            "bulk-tickets": picked,
            "bulk-assignee": desk.tess.pk,
            "bulk-team": desk.team.pk,
            "back": "queue=unassigned",
        },
    )
    assert response["Location"] == "/desk/?queue=unassigned#bulk"
    page = client.get(response["Location"]).content.decode()
    assert f"2 tickets assigned. Not assigned: n° {pile['old'].number} is resolved." in page
    for key in ("camera", "theirs"):
        pile[key].refresh_from_db()
        assert (pile[key].assignee, pile[key].team, pile[key].state) == (desk.tess, desk.team, "assigned")


def test_bulk_assign_refuses_a_number_no_ticket_can_have(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """A tampered number beyond the database's integers is an invalid choice (it overflowed
    the query: a 500), and nothing is assigned."""
    client = in_english(as_user, cast.olivia)
    for number in ["99999999999999999999", "-1", "1e3"]:
        response = client.post(
            "/desk/assign/",
            {"bulk-tickets": [pile["camera"].number, number], "bulk-assignee": desk.tess.pk},
        )
        assert response.status_code == 302, number
        page = client.get(response["Location"]).content.decode()
        assert "Select a valid choice" in page, number
    pile["camera"].refresh_from_db()
    assert pile["camera"].assignee is None


def test_bulk_routing_to_a_team_keeps_each_technician(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    video = TeamFactory(operator=cast.operator, name="Vidéo")
    client = in_english(as_user, cast.olivia)
    client.post(
        "/desk/assign/",
        {"bulk-tickets": [pile["taken"].number, pile["camera"].number], "bulk-team": video.pk},
    )
    pile["taken"].refresh_from_db()
    pile["camera"].refresh_from_db()
    assert (pile["taken"].team, pile["taken"].assignee, pile["taken"].state) == (
        video,
        desk.tess,
        "in_progress",
    )
    assert (pile["camera"].team, pile["camera"].assignee) == (video, None)


def test_bulk_assign_refuses_bad_input_and_writes_nothing(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    client = in_english(as_user, cast.olivia)
    nothing = client.post(
        "/desk/assign/", {"bulk-tickets": [pile["camera"].number]}, follow=True
    ).content.decode()
    assert "Choose a technician, a team, or both." in nothing
    none_ticked = client.post("/desk/assign/", {"bulk-assignee": desk.tess.pk}, follow=True).content.decode()
    assert "Tick the tickets to assign." in none_ticked
    unknown = client.post(
        "/desk/assign/",
        {"bulk-tickets": [pile["camera"].number, 999], "bulk-assignee": desk.tess.pk},
        follow=True,
    ).content.decode()
    assert "Select a valid choice" in unknown
    pile["camera"].refresh_from_db()
    assert pile["camera"].assignee is None


def test_ticket_numbers_are_resolved_within_the_operator(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """Oscar's operator numbers its tickets from 1 too: his n° 1 is his own, never A's."""
    elsewhere = services.open_ticket(
        site=SiteFactory(member__operator=cast.other_operator, kind=desk.college_kind),
        incident_type=IncidentTypeFactory(
            category=CategoryFactory(operator=cast.other_operator), site_kinds=[desk.college_kind]
        ),
        title="Ailleurs",
        by=cast.oscar,
    )
    assert elsewhere.number == pile["taken"].number == 1
    client = in_english(as_user, cast.oscar)
    refused = client.post(
        "/desk/assign/", {"bulk-tickets": [pile["camera"].number], "bulk-assignee": "none"}, follow=True
    ).content.decode()
    assert "Select a valid choice" in refused
    client.post("/desk/assign/", {"bulk-tickets": [1], "bulk-assignee": cast.oscar.pk})
    elsewhere.refresh_from_db()
    pile["taken"].refresh_from_db()
    assert (elsewhere.assignee, pile["taken"].assignee) == (cast.oscar, desk.tess)
    assert client.get(f"/tickets/{pile['camera'].number}/").status_code == 404


def test_keep_assignee_needs_a_team(cast: Cast, desk: Desk, pile: dict[str, Ticket]) -> None:
    with pytest.raises(ValidationError):
        services.bulk_assign(
            tickets=Ticket.objects.filter(pk=pile["camera"].pk),
            assignee=None,
            by=cast.olivia,
            keep_assignee=True,
        )


def test_catalogue_preview_by_kind_of_site(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.olivia)
    choosing = client.get("/desk/catalogue/").content.decode()
    assert "Écran cassé" not in choosing
    assert 'name="site_kind"' in choosing
    college = client.get(f"/desk/catalogue/?site_kind={desk.college_kind.pk}").content.decode()
    assert "Écran cassé" in college
    assert "Depuis quand ?" in college
    assert "Caméra hors ligne" not in college
    assert "Edit the catalogue in the back-office" not in college  # olivia does not edit it
    CatalogueOverride.objects.create(member=cast.member_a, incident_type=desk.camera_offline, enabled=True)
    with_exceptions = client.get(
        f"/desk/catalogue/?site_kind={desk.college_kind.pk}&member={cast.member_a.pk}"
    ).content.decode()
    assert "Caméra hors ligne" in with_exceptions
    admin = (
        in_english(as_user, cast.adam)
        .get(f"/desk/catalogue/?site_kind={desk.station_kind.pk}")
        .content.decode()
    )
    assert f"/backoffice/servicedesk/incidenttype/?site_kinds__id__exact={desk.station_kind.pk}" in admin
    assert f"/backoffice/servicedesk/incidenttype/{desk.camera_offline.pk}/change/" in admin
    assert (
        "Écran cassé"
        not in as_user(cast.oscar).get(f"/desk/catalogue/?site_kind={desk.college_kind.pk}").content.decode()
    )


def test_an_operator_admin_edits_a_types_questions_on_its_page(cast: Cast, desk: Desk, as_user) -> None:
    """The questions are an inline of the type's page: shown to operator admins by role,
    not by Django's per-user permissions, which staff accounts do not hold."""
    assert not cast.adam.is_superuser
    client = as_user(cast.adam)
    url = f"/backoffice/servicedesk/incidenttype/{desk.broken_screen.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="fields-0-label"' in page  # editable
    assert "Depuis quand ?" in page
    readonly = as_user(cast.olivia).get(url).content.decode()  # a desk agent reads the catalogue
    assert "Depuis quand ?" in readonly
    assert 'name="fields-0-label"' not in readonly


def test_the_bulk_form_comes_before_the_table_and_says_how_many_are_ticked(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """A keyboard reaches the bulk assignment from the first rows in a Shift+Tab or two,
    not after every row's two stops (~100 Tabs on a page of 50); a link after the table
    leads back to it; servicedesk/desk.js fills the count, from the texts given here."""
    page = in_english(as_user, cast.olivia).get("/desk/").content.decode()
    form = page.index('action="/desk/assign/"')
    bulk = page.index('<fieldset class="bulk" id="bulk" tabindex="-1">')
    table = page.index("<table>")
    back_link = page.index('<a href="#bulk">Back to the assignment of the selected tickets</a>')
    assert (
        form < bulk < page.index('name="bulk-assignee"') < page.index(">Assign</button>") < table < back_link
    )
    assert page.index("</form>", form) > back_link  # the same form: no script needed to send it
    assert (
        '<p role="status" data-bulk-count data-none="No ticket selected." data-one="1 ticket selected."'
        ' data-many="{n} tickets selected." hidden></p>'
    ) in page
    assert 'src="/static/servicedesk/desk.js"' in page
    for ticket in (pile["taken"], pile["camera"], pile["theirs"]):
        n = ticket.number
        assert (
            f'<input type="checkbox" name="bulk-tickets" value="{n}" id="pick-{n}">'
            f'<label for="pick-{n}" class="visually-hidden">Select n° {n}</label>'
        ) in page


def test_the_count_is_said_in_french(cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user) -> None:
    page = as_user(cast.olivia).get("/desk/").content.decode()
    assert 'data-none="Aucune demande sélectionnée."' in page
    assert 'data-one="1 demande sélectionnée."' in page
    assert 'data-many="{n} demandes sélectionnées."' in page
    assert "Revenir à l’attribution des demandes sélectionnées" in page


def test_no_bulk_form_without_rows(cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user) -> None:
    empty = in_english(as_user, cast.olivia).get("/desk/?q=nothing-like-this").content.decode()
    assert "No ticket in this queue matches these filters." in empty
    for absent in ('id="bulk"', 'href="#bulk"', "data-bulk-count", "servicedesk/desk.js"):
        assert absent not in empty


def test_a_bulk_assignment_lands_beside_the_bulk_form(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """The redirect names the bulk form (#bulk): mutualis.js puts the message there, where the
    person was, rather than above the filters; a refusal too."""
    client = in_english(as_user, cast.olivia)
    done = client.post(
        "/desk/assign/",
        {
            "bulk-tickets": [pile["camera"].number],
            "bulk-assignee": desk.tess.pk,
            "back": "queue=all&q=parking",
        },
    )
    assert done["Location"] == "/desk/?queue=all&q=parking#bulk"
    refused = client.post("/desk/assign/", {"bulk-assignee": desk.tess.pk, "back": "queue=mine"})
    assert refused["Location"] == "/desk/?queue=mine#bulk"
    assert "Tick the tickets to assign." in client.get(refused["Location"]).content.decode()


def test_another_operators_desk_assigns_none_of_ours(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    client = in_english(as_user, cast.oscar)
    page = client.get("/desk/").content.decode()
    assert numbers(page, list(pile.values())) == set()
    refused = client.post(
        "/desk/assign/", {"bulk-tickets": [pile["camera"].number], "bulk-assignee": "none"}, follow=True
    )
    assert "Select a valid choice" in refused.content.decode()
    pile["camera"].refresh_from_db()
    assert pile["camera"].assignee is None


def test_the_queue_s_own_state_is_no_filter_in_use(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """The queue shows open tickets unless asked otherwise: that is the queue, not a filter
    the person chose. The box was marked "active" and open at every visit, and on a phone it
    pushed the list a screen down; a state or any other filter chosen still opens it."""
    client = in_english(as_user, cast.olivia)
    # Sent open (a plain disclosure without scripts), folded on a phone from the first
    # paint when no filter is in use (includes/filters.html).
    folded = '<details class="filters-box" id="filters" open data-fold-narrow>'
    active = '<span class="tag">active</span>'
    for query in ("", "?queue=all", "?state=open"):
        page = client.get(f"/desk/{query}").content.decode()
        assert folded in page, query
        assert active not in page, query
        assert "selected>Open (not yet resolved)</option>" in page  # what the list shows, said
    for query in ("?state=", "?state=resolved", "?priority=2", "?q=nanterre"):
        page = client.get(f"/desk/{query}").content.decode()
        assert '<details class="filters-box" id="filters" open>' in page, query
        assert active in page, query


def test_the_bulk_form_folds_under_its_summary_and_the_rows_name_their_columns(
    cast: Cast, desk: Desk, pile: dict[str, Ticket], as_user
) -> None:
    """The bulk form is sent folded, as a phone shows it from the first paint (a wide screen
    draws it open: mutualis.css, desk.js), and each row's values carry their column's name,
    drawn before them on a phone (mutualis.css), the next deadline's as "Deadline" alone."""
    page = in_english(as_user, cast.olivia).get("/desk/").content.decode()
    details = page.index('<details class="bulk-box" data-bulk-box>')
    summary = page.index(
        '<summary>Assign the selected tickets <span class="muted" data-bulk-tally></span></summary>'
    )
    assert (
        details
        < summary
        < page.index('id="bulk"')
        < page.index("</details>", details)
        < page.index("<table>")
    )
    assert '<div class="table-scroll ticket-cards">' in page
    for label in (
        "Priority",
        "Deadline",
        "Member and site",
        "Category",
        "Team",
        "Assigned to",
        "Declared",
    ):
        assert page.count(f'<td data-label="{label}">') == 3, label  # the three open tickets
    french = as_user(desk.tess).get("/desk/").content.decode()
    assert '<td data-label="Attribuée à">' in french
