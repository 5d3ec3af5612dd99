"""Reply templates in the back office, by role: a supervisor writes those of the teams they
run (lead or are in), reads those for every team and never sees another team's or another
operator's (404); an agent or a technician writes none; a member's user never gets there."""

from __future__ import annotations

import html

import pytest

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.servicedesk.models import ReplyTemplate, Team
from tests.conftest import Cast
from tests.factories import MembershipFactory

from .conftest import Desk
from .factories import ReplyTemplateFactory, TeamFactory

pytestmark = pytest.mark.django_db

ADMIN_URL = "/backoffice/servicedesk/replytemplate/"


def _supervisor(cast: Cast, email: str = "sam@operator.example") -> User:
    user: User = MembershipFactory(
        member=None, operator=cast.operator, role=Role.SUPERVISOR, user__email=email
    ).user
    return user


def _form(template: ReplyTemplate | None = None, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {"title": "", "team": "", "body": "", "is_active": "on"}
    if template is not None:
        data.update(
            operator=template.operator_id,
            title=template.title,
            team=template.team_id or "",
            body=template.body,
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def video(cast: Cast) -> Team:
    return TeamFactory(operator=cast.operator, name="Vidéoprotection", code="video")


def test_a_supervisor_writes_their_teams_templates_and_reads_those_for_everyone(
    cast: Cast, desk: Desk, video: Team, as_user
) -> None:
    sam = _supervisor(cast)
    desk.team.lead = sam
    desk.team.save(update_fields=["lead"])
    everyone = ReplyTemplateFactory(operator=cast.operator, title="Pour tous", body="Bonjour.")
    ours = ReplyTemplateFactory(operator=cast.operator, team=desk.team, title="Tablette reçue")
    ReplyTemplateFactory(operator=cast.operator, team=video, title="Caméra relancée")
    ReplyTemplateFactory(operator=cast.other_operator, title="Texte d’ailleurs")
    client = as_user(sam)

    listed = _page(client, ADMIN_URL)
    assert "Pour tous" in listed
    assert "Tablette reçue" in listed
    assert "Caméra relancée" not in listed
    assert "Texte d’ailleurs" not in listed
    assert "Vidéoprotection" not in listed  # nor in the filter by team

    # A new one: for one of their teams only; the same checks of its text as for admins.
    form = _page(client, ADMIN_URL + "add/")
    assert "Support tablettes" in form
    assert "Vidéoprotection" not in form
    assert "<code>{numéro}</code>" in form
    data = _form(operator=cast.operator.pk, title="Numéro de série", body="Le numéro, {prénom} ?")
    refused = client.post(ADMIN_URL + "add/", data)
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert "{prénom} n’est pas un champ connu." in page
    assert "Choisissez une de vos équipes : les réponses types pour toutes les équipes" in page
    data.update(team=video.pk, body="Le numéro de série, {demandeur} ?")
    assert client.post(ADMIN_URL + "add/", data).status_code == 200
    data["team"] = desk.team.pk
    assert client.post(ADMIN_URL + "add/", data).status_code == 302
    created = ReplyTemplate.objects.get(title="Numéro de série")
    assert (created.operator, created.team) == (cast.operator, desk.team)

    # Their team's: changed, deactivated, deleted.
    url = f"{ADMIN_URL}{ours.pk}/change/"
    response = client.post(url, _form(ours, title="Tablette bien reçue", is_active=None))
    assert response.status_code == 302, response.content.decode()[:2000]
    ours.refresh_from_db()
    assert (ours.title, ours.is_active) == ("Tablette bien reçue", False)
    # Not moved to another team's or to everyone's.
    for team in (video.pk, ""):
        assert client.post(url, _form(ours, team=team)).status_code == 200
        ours.refresh_from_db()
        assert ours.team == desk.team
    assert client.post(f"{ADMIN_URL}{created.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not ReplyTemplate.objects.filter(pk=created.pk).exists()

    # The one for everyone: read, not written.
    shown = _page(client, f"{ADMIN_URL}{everyone.pk}/change/")
    assert "Bonjour." in shown
    assert 'name="body"' not in shown
    assert (
        client.post(f"{ADMIN_URL}{everyone.pk}/change/", _form(everyone, title="Changé")).status_code == 403
    )
    assert client.post(f"{ADMIN_URL}{everyone.pk}/delete/", {"post": "yes"}).status_code == 403
    everyone.refresh_from_db()
    assert everyone.title == "Pour tous"


def test_a_supervisor_cannot_delete_the_templates_for_everyone_from_the_list(
    cast: Cast, desk: Desk, as_user
) -> None:
    sam = _supervisor(cast)
    desk.team.members.add(sam)  # in the team, not its lead: still theirs
    everyone = ReplyTemplateFactory(operator=cast.operator, title="Pour tous")
    ours = ReplyTemplateFactory(operator=cast.operator, team=desk.team, title="La nôtre")
    client = as_user(sam)
    chosen = {"action": "delete_selected", "_selected_action": [everyone.pk, ours.pk], "post": "yes"}
    assert client.post(ADMIN_URL, chosen).status_code == 403
    assert ReplyTemplate.objects.count() == 2
    client.post(ADMIN_URL, {**chosen, "_selected_action": [ours.pk]})
    assert list(ReplyTemplate.objects.all()) == [everyone]


def test_another_teams_or_operators_template_is_a_404_for_a_supervisor(
    cast: Cast, desk: Desk, video: Team, as_user
) -> None:
    sam = _supervisor(cast)
    desk.team.lead = sam
    desk.team.save(update_fields=["lead"])
    theirs = ReplyTemplateFactory(operator=cast.operator, team=video, title="Caméra relancée", body="Secret")
    elsewhere = ReplyTemplateFactory(operator=cast.other_operator, title="Texte d’ailleurs", body="Secret")
    # A supervisor of the other operator, lead of our team by mistake, gets nothing of ours.
    other_sam = MembershipFactory(member=None, operator=cast.other_operator, role=Role.SUPERVISOR).user
    video.lead = other_sam
    video.save(update_fields=["lead"])
    for user, template in ((sam, theirs), (sam, elsewhere), (other_sam, theirs)):
        client = as_user(user)
        for page in ("change/", "delete/", "history/"):
            response = client.get(f"{ADMIN_URL}{template.pk}/{page}")
            assert response.status_code == 404
            assert "Secret" not in response.content.decode()
        assert (
            client.post(f"{ADMIN_URL}{template.pk}/change/", _form(template, title="Pris")).status_code == 404
        )
        assert client.post(f"{ADMIN_URL}{template.pk}/delete/", {"post": "yes"}).status_code == 404
    assert "Caméra relancée" not in as_user(other_sam).get(ADMIN_URL).content.decode()
    assert set(ReplyTemplate.objects.values_list("title", flat=True)) == {
        "Caméra relancée",
        "Texte d’ailleurs",
    }


def test_agents_technicians_and_teamless_supervisors_write_none(cast: Cast, desk: Desk, as_user) -> None:
    ours = ReplyTemplateFactory(operator=cast.operator, team=desk.team, title="La nôtre")
    everyone = ReplyTemplateFactory(operator=cast.operator, title="Pour tous")
    teamless = _supervisor(cast, "sans-equipe@operator.example")
    # Agents and technicians read them all, as before; a supervisor of no team, those for
    # everyone only.
    for user, template in ((cast.olivia, ours), (desk.tess, ours), (teamless, everyone)):
        client = as_user(user)
        assert client.get(f"{ADMIN_URL}{template.pk}/change/").status_code == 200
        assert client.get(ADMIN_URL + "add/").status_code == 403
        new = _form(operator=cast.operator.pk, title="X", body="Y", team=desk.team.pk)
        assert client.post(ADMIN_URL + "add/", new).status_code == 403
        assert (
            client.post(f"{ADMIN_URL}{template.pk}/change/", _form(template, title="Pris")).status_code == 403
        )
        assert client.post(f"{ADMIN_URL}{template.pk}/delete/", {"post": "yes"}).status_code == 403
    assert as_user(teamless).get(f"{ADMIN_URL}{ours.pk}/change/").status_code == 404
    assert set(ReplyTemplate.objects.values_list("title", flat=True)) == {"La nôtre", "Pour tous"}


def test_a_members_user_gets_nothing_of_the_templates(cast: Cast, desk: Desk, as_user) -> None:
    ours = ReplyTemplateFactory(operator=cast.operator, team=desk.team, title="La nôtre")
    for user in (cast.alice, cast.bob, cast.charlie):
        client = as_user(user)
        for url in (ADMIN_URL, ADMIN_URL + "add/", f"{ADMIN_URL}{ours.pk}/change/"):
            response = client.get(url)
            assert response.status_code == 302
            assert "/backoffice/login/" in response["Location"]
        client.post(f"{ADMIN_URL}{ours.pk}/delete/", {"post": "yes"})
    assert ReplyTemplate.objects.filter(pk=ours.pk).exists()
