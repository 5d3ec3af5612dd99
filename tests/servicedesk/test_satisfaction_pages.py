"""Satisfaction on the portal (the ticket page's box and form) and the operator's results
per team and month, with their exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from mutualis.people.tenancy import resolve_scope
from mutualis.servicedesk import services
from mutualis.servicedesk.models import SatisfactionRating, Team, Ticket, TicketState
from mutualis.servicedesk.satisfaction import rate
from mutualis.servicedesk.satisfaction.forms import add_months, month_start
from mutualis.servicedesk.satisfaction.results import results
from tests.conftest import Cast

from .conftest import Desk
from .factories import TeamFactory
from .pages import broken_screen, in_english

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def resolve(ticket: Ticket, desk: Desk) -> Ticket:
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    ticket.refresh_from_db()
    return ticket


def page_of(client, ticket: Ticket) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return resolve(broken_screen(cast, desk), desk)


# The portal


def test_the_requester_rates_from_the_ticket_page(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    page = page_of(client, ticket)
    assert '<section id="satisfaction"' in page
    assert f'action="/tickets/{ticket.number}/satisfaction/"' in page
    assert "Your request is resolved: tell the operator how it went." in page
    assert page.count('type="radio" name="rating-rating"') == 5
    assert "<legend>How satisfied are you with how your request was handled?</legend>" in page
    response = client.post(
        f"/tickets/{ticket.number}/satisfaction/", {"rating-rating": "4", "rating-comment": "Merci !"}
    )
    assert response["Location"] == f"/tickets/{ticket.number}/#satisfaction"
    rating = SatisfactionRating.objects.get()
    assert (rating.rating, rating.comment, rating.rated_by, rating.channel) == (
        4,
        "Merci !",
        cast.alice,
        "web",
    )
    page = page_of(client, ticket)
    assert "Thank you: your rating is saved." in page
    assert "Rating given: <strong>4 – satisfied</strong>" in page
    assert "Merci !" in page
    assert "Change my rating" in page
    assert "Satisfaction rated 4 out of 5." in page  # the timeline


def test_a_rating_form_without_a_rating_says_what_is_missing(cast: Cast, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    response = client.post(f"/tickets/{ticket.number}/satisfaction/", {"rating-comment": "Bof"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please correct the following:" in page
    assert '<a href="#id_rating-rating">' in page
    assert "Choose a rating from 1 to 5." in page
    assert "Bof</textarea>" in page  # what they wrote is kept
    assert not SatisfactionRating.objects.exists()


def test_a_refused_rating_is_said_on_the_page(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    client.post(f"/tickets/{ticket.number}/satisfaction/", {"rating-rating": "4"})
    services.transition(ticket=ticket, to=TicketState.CLOSED, by=desk.tess, as_staff=True)
    page = page_of(client, ticket)
    assert "Rating given: <strong>4 – satisfied</strong>" in page
    assert "Change my rating" not in page
    response = client.post(f"/tickets/{ticket.number}/satisfaction/", {"rating-rating": "1"})
    assert response.status_code == 400
    assert "its rating can no longer be changed" in response.content.decode()
    assert SatisfactionRating.objects.get().rating == 4


def test_readers_and_the_operators_staff_see_the_rating_without_a_form(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    staff_page = page_of(in_english(as_user, cast.olivia), ticket)
    assert "Not rated yet." in staff_page
    assert 'name="rating-rating"' not in staff_page
    assert 'name="rating-rating"' not in page_of(in_english(as_user, cast.bob), ticket)
    rate(ticket=ticket, rating=2, comment="Trop long", by=cast.alice)
    for who in (cast.olivia, cast.bob, desk.tess):
        page = page_of(in_english(as_user, who), ticket)
        assert "Rating given: <strong>2 – dissatisfied</strong>" in page, who
        assert "Trop long" in page
        assert 'name="rating-rating"' not in page
        client = in_english(as_user, who)
        assert (
            client.post(f"/tickets/{ticket.number}/satisfaction/", {"rating-rating": "5"}).status_code == 403
        )
    assert SatisfactionRating.objects.get().rating == 2


def test_no_satisfaction_box_before_resolution_nor_when_it_is_too_late(
    cast: Cast, desk: Desk, as_user
) -> None:
    open_ticket = broken_screen(cast, desk)
    client = in_english(as_user, cast.alice)
    assert 'id="satisfaction"' not in page_of(client, open_ticket)
    assert (
        client.post(f"/tickets/{open_ticket.number}/satisfaction/", {"rating-rating": "5"}).status_code == 400
    )
    assert not SatisfactionRating.objects.exists()
    old = resolve(broken_screen(cast, desk, title="Ancien"), desk)
    services.transition(ticket=old, to=TicketState.CLOSED, by=desk.tess, as_staff=True)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - dt.timedelta(days=40))
    assert 'id="satisfaction"' not in page_of(client, old)


def test_the_rated_ticket_page_reads_a_bounded_number_of_queries(
    cast: Cast, ticket: Ticket, as_user, django_assert_max_num_queries
) -> None:
    rate(ticket=ticket, rating=5, comment="Super", by=cast.alice)
    for who in (cast.alice, cast.olivia):
        client = as_user(who)
        with django_assert_max_num_queries(20):
            client.get(f"/tickets/{ticket.number}/")


# Results per team and month


def month_of(this_month: dt.date, back: int, *, day: int = 1, hour: int = 12, minute: int = 0) -> dt.datetime:
    month = add_months(this_month, -back)
    return dt.datetime(month.year, month.month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def video(cast: Cast) -> Team:
    return TeamFactory(operator=cast.operator, name="Vidéo", code="video")


@pytest.fixture
def history(cast: Cast, desk: Desk, video: Team) -> dict[str, object]:
    """Tickets resolved this month (M0), two months ago (M-2) and thirteen months ago, by
    the tablet team (desk.team) and the video team, some rated."""
    this_month = month_start(timezone.localdate())

    def resolved(team: Team, at: dt.datetime, rating: int | None = None, comment: str = "") -> Ticket:
        ticket = broken_screen(cast, desk)
        if team != desk.team:
            services.route_to_team(ticket=ticket, team=team, by=cast.olivia)
        resolve(ticket, desk)
        if rating is not None:
            rate(ticket=ticket, rating=rating, comment=comment, by=cast.alice)
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=at)
        return ticket

    m0 = month_of(this_month, 0)
    resolved(desk.team, m0, 5, "Parfait")
    resolved(desk.team, m0, 4)
    resolved(desk.team, m0)
    # Rated for the tablet team, then moved to video: it stays the tablet team's.
    moved = broken_screen(cast, desk)
    resolve(moved, desk)
    services.route_to_team(ticket=moved, team=video, by=cast.olivia)
    rate(ticket=moved, rating=2, by=cast.alice)
    Ticket.objects.filter(pk=moved.pk).update(resolved_at=m0)
    resolved(video, m0, 1, "Personne n'est venu")
    resolved(video, m0)
    # Just after midnight on the first day, Paris time: still that month, not the one before.
    resolved(desk.team, month_of(this_month, 2, hour=0, minute=30), 3, "Moyen")
    resolved(desk.team, month_of(this_month, 2, day=15))
    resolved(desk.team, month_of(this_month, 13), 2, "Hors période")
    # None of these count: open, cancelled, a resolved duplicate merged into another.
    broken_screen(cast, desk, title="Ouvert")
    cancelled = broken_screen(cast, desk, title="Annulé")
    services.transition(ticket=cancelled, to=TicketState.CANCELLED, by=cast.alice, as_staff=False)
    duplicate = resolve(broken_screen(cast, desk, title="Doublon"), desk)
    services.merge(duplicate=duplicate, into=broken_screen(cast, desk, title="Original"), by=cast.olivia)
    return {"this_month": this_month}


def _numbers(tally) -> tuple:  # type: ignore[no-untyped-def]
    mean = round(tally.mean, 2) if tally.mean is not None else None
    return (tally.resolved, tally.rated, tally.total, mean, tally.counts)


def test_results_per_team_and_month(cast: Cast, desk: Desk, video: Team, history: dict[str, object]) -> None:
    this_month = history["this_month"]
    assert isinstance(this_month, dt.date)
    scope = resolve_scope(cast.olivia, None)
    found = results(scope, add_months(this_month, -11), this_month)
    assert [t.name for t in found.teams] == ["Support tablettes", "Vidéo"]
    tablets, videos = found.teams
    months = {row.month: row.tally for row in tablets.months}
    assert len(months) == 12
    assert _numbers(months[this_month]) == (4, 3, 11, 3.67, [0, 1, 0, 1, 1])
    assert months[this_month].response_rate == 75.0
    assert _numbers(months[add_months(this_month, -2)]) == (2, 1, 3, 3.0, [0, 0, 1, 0, 0])
    assert _numbers(months[add_months(this_month, -3)]) == (0, 0, 0, None, [0, 0, 0, 0, 0])
    assert _numbers(videos.tally) == (2, 1, 1, 1.0, [1, 0, 0, 0, 0])
    assert videos.tally.response_rate == 50.0
    assert _numbers(found.tally) == (8, 5, 15, 3.0, [1, 1, 1, 1, 1])
    assert found.tally.response_rate == 62.5
    # Newest first; the comment of thirteen months ago is out of the period.
    assert [r.comment for r in found.comments] == ["Moyen", "Personne n'est venu", "Parfait"]
    everyone = {row.month: row.tally for row in found.months}
    assert _numbers(everyone[this_month]) == (6, 4, 12, 3.0, [1, 1, 0, 1, 1])
    # One team, and a longer period that reaches the ticket of thirteen months ago.
    only_video = results(scope, add_months(this_month, -11), this_month, video)
    assert [t.name for t in only_video.teams] == ["Vidéo"]
    assert [r.comment for r in only_video.comments] == ["Personne n'est venu"]
    longer = results(scope, add_months(this_month, -13), this_month)
    assert longer.tally.resolved == 9


def test_results_read_a_bounded_number_of_queries(
    cast: Cast, history: dict[str, object], as_user, django_assert_max_num_queries
) -> None:
    client = as_user(cast.olivia)
    with django_assert_max_num_queries(12):
        response = client.get("/desk/satisfaction/")
    assert response.status_code == 200


def test_the_results_page(cast: Cast, video: Team, history: dict[str, object], as_user) -> None:
    client = in_english(as_user, cast.olivia)
    desk_page = client.get("/desk/").content.decode()
    assert 'href="/desk/satisfaction/"' in desk_page
    page = client.get("/desk/satisfaction/").content.decode()
    assert "<h1>Satisfaction results</h1>" in page
    assert "8 resolved requests" in page
    assert "5 ratings" in page
    assert "response rate 63 %" in page  # 62.5, rounded half up
    assert "mean 3.0 out of 5" in page
    assert '<th scope="row">Support tablettes</th>' in page
    assert '<th scope="row">Vidéo</th>' in page
    assert "5 – very satisfied" in page
    assert "1 (20 %)" in page
    assert "Personne n&#x27;est venu" in page
    assert "Hors période" not in page
    assert 'href="/tickets/' in page
    assert 'aria-current="page">Queue</a>' in page  # the desk's part of the menu
    narrower = client.get(f"/desk/satisfaction/?team={video.pk}&start=&end=").content.decode()
    assert "Please correct the following:" in narrower  # months missing: said, and the defaults shown
    this_month = history["this_month"]
    assert isinstance(this_month, dt.date)
    m2 = add_months(this_month, -2).strftime("%Y-%m")
    page = client.get(f"/desk/satisfaction/?start={m2}&end={m2}").content.decode()
    assert "2 resolved requests" in page
    assert "Moyen" in page
    assert "Parfait" not in page
    wrong = client.get(f"/desk/satisfaction/?start={this_month:%Y-%m}&end={m2}").content.decode()
    assert "The first month must not be after the last." in wrong


def test_results_export_as_csv_and_xlsx(cast: Cast, history: dict[str, object], as_user) -> None:
    this_month = history["this_month"]
    assert isinstance(this_month, dt.date)
    client = in_english(as_user, cast.olivia)
    response = client.get("/desk/satisfaction/?export=csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Team",
        "Month",
        "Resolved tickets",
        "Ratings",
        "Response rate (%)",
        "Mean rating (1 to 5)",
        "1 – very dissatisfied",
        "2 – dissatisfied",
        "3 – neither satisfied nor dissatisfied",
        "4 – satisfied",
        "5 – very satisfied",
    ]
    m0, m2 = this_month.strftime("%Y-%m"), add_months(this_month, -2).strftime("%Y-%m")
    assert rows[1:] == [
        ["Support tablettes", m2, "2", "1", "50.0", "3.0", "0", "0", "1", "0", "0"],
        ["Support tablettes", m0, "4", "3", "75.0", "3.67", "0", "1", "0", "1", "1"],
        ["Vidéo", m0, "2", "1", "50.0", "1.0", "1", "0", "0", "0", "0"],
    ]
    xlsx = client.get(f"/desk/satisfaction/?start={m0}&end={m0}&export=xlsx")
    values = list(load_workbook(io.BytesIO(xlsx.getvalue())).active.iter_rows(values_only=True))
    assert values[1:] == [
        ("Support tablettes", m0, 4, 3, 75.0, 3.67, 0, 1, 0, 1, 1),
        ("Vidéo", m0, 2, 1, 50.0, 1.0, 1, 0, 0, 0, 0),
    ]


def test_members_users_are_refused_the_results(cast: Cast, history: dict[str, object], as_user) -> None:
    for who in (cast.alice, cast.bob, cast.charlie):
        assert as_user(who).get("/desk/satisfaction/").status_code == 403
        assert as_user(who).get("/desk/satisfaction/?export=csv").status_code == 403


def test_another_operators_staff_see_none_of_these_results(
    cast: Cast, history: dict[str, object], as_user
) -> None:
    response = in_english(as_user, cast.oscar).get("/desk/satisfaction/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Support tablettes" not in page
    assert "Parfait" not in page
    assert "No request was resolved in this period." in page
    export = in_english(as_user, cast.oscar).get("/desk/satisfaction/?export=csv")
    assert len(b"".join(export.streaming_content).decode().splitlines()) == 1
