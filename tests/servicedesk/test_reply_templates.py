"""Reply templates ("réponses types"): placeholders filled for the ticket, unknown ones
refused when saved, offered to the operator's staff by team and activity, never to a
member's users, and a ticket page whose queries do not grow with their number."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Comment, ReplyTemplate, Ticket
from mutualis.servicedesk.reply_placeholders import fill
from tests.conftest import Cast

from .conftest import Desk
from .factories import ReplyTemplateFactory, TeamFactory
from .pages import broken_screen, in_english
from .submission import textarea_text

pytestmark = pytest.mark.django_db

EVERY_PLACEHOLDER = "n° {numéro} « {titre} » pour {Demandeur} à {site} ({adherent}), par {agent} ; en anglais : {number} {member}"
ADMIN_URL = "/backoffice/servicedesk/replytemplate/"


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def _page(client, ticket: Ticket, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/tickets/{ticket.number}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_placeholders_are_filled_with_the_tickets_details(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    filled = fill(EVERY_PLACEHOLDER, ticket=ticket, agent=desk.tess)
    assert filled == (
        f"n° {ticket.number} « Écran fissuré » pour {cast.alice.full_name} à Collège Hoche "
        f"({cast.member_a.name}), par {desk.tess.full_name} ; en anglais : {ticket.number} {cast.member_a.name}"
    )
    # A request without an account behind it (a phone call) is addressed the French way.
    Ticket.objects.filter(pk=ticket.pk).update(requester=None)
    ticket.refresh_from_db()
    assert fill("Bonjour {demandeur},", ticket=ticket, agent=desk.tess) == "Bonjour Madame, Monsieur,"


def test_the_text_is_never_run_nor_reads_attributes(desk: Desk, ticket: Ticket) -> None:
    """Only the table's names are replaced: no template engine, no attribute by name."""
    text = "{site.member} {requester.password} {{ ticket.site }} {% now 'Y' %} {0.__class__}"
    assert fill(text, ticket=ticket, agent=desk.tess) == text
    for body in ("Mot de passe : {requester.password}", "{site.member}", "{0.__class__}"):
        with pytest.raises(ValidationError):
            ReplyTemplateFactory.build(operator=ticket.operator, body=body).full_clean()


def test_an_unknown_placeholder_is_refused_on_save_and_named(cast: Cast) -> None:
    template = ReplyTemplateFactory.build(
        operator=cast.operator, body="Bonjour {prénom}, votre demande {numéro} ({numero_serie})"
    )
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    message = " ".join(refused.value.message_dict["body"])
    assert message.startswith("{prénom}, {numero_serie} ne sont pas des champs connus.")
    assert "Champs possibles : {numéro}, {titre}, {demandeur}, {site}, {adhérent}, {agent}." in message
    with translation.override("en"), pytest.raises(ValidationError) as in_english_:
        ReplyTemplateFactory.build(operator=cast.operator, body="{{ titre }}").full_clean()
    assert in_english_.value.message_dict["body"] == [
        "Write a placeholder between single braces, e.g. {title}, not double ones."
    ]
    ReplyTemplateFactory.build(operator=cast.operator, body="Bonjour {Demandeur}, n° {number}.").full_clean()


def test_an_operator_admin_writes_a_template_in_the_back_office(cast: Cast, desk: Desk, as_user) -> None:
    client = as_user(cast.adam)
    form = client.get(ADMIN_URL + "add/").content.decode()
    assert "<code>{numéro}</code> – le numéro de la demande, p. ex. 1234" in form
    assert "<code>{agent}</code>" in form
    data = {
        "operator": cast.operator.pk,
        "title": "Numéro de série",
        "team": desk.team.pk,
        "is_active": "on",
        "body": "Bonjour {demandeur}, pouvez-vous envoyer le numéro de série ? {serie}",
    }
    refused = client.post(ADMIN_URL + "add/", data)
    assert refused.status_code == 200
    assert "{serie} n’est pas un champ connu." in html.unescape(refused.content.decode())
    assert not ReplyTemplate.objects.exists()

    data["body"] = "Bonjour {demandeur}, pouvez-vous envoyer le numéro de série ?"
    assert client.post(ADMIN_URL + "add/", data).status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.operator, template.team, template.is_active) == (cast.operator, desk.team, True)
    listed = client.get(ADMIN_URL, {"q": "série", "is_active__exact": "1", "team__id__exact": desk.team.pk})
    assert "Numéro de série" in listed.content.decode()
    # Another operator's team is not a choice.
    other_team = TeamFactory(operator=cast.other_operator, name="Équipe d’ailleurs")
    assert "Équipe d’ailleurs" not in client.get(ADMIN_URL + "add/").content.decode()
    data.update(title="Autre", team=other_team.pk)
    assert client.post(ADMIN_URL + "add/", data).status_code == 200
    assert ReplyTemplate.objects.count() == 1


def test_the_back_office_keeps_each_operators_templates_to_itself(cast: Cast, as_user) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Texte de Versailles")
    oscar = as_user(cast.oscar)
    assert "Texte de Versailles" not in oscar.get(ADMIN_URL).content.decode()
    assert oscar.get(f"{ADMIN_URL}{template.pk}/change/").status_code == 404
    assert oscar.get(f"{ADMIN_URL}{template.pk + 1000}/change/").status_code == 404  # as no row
    olivia = as_user(cast.olivia)
    assert olivia.get(f"{ADMIN_URL}{template.pk}/change/").status_code == 200  # staff read
    assert olivia.get(ADMIN_URL + "add/").status_code == 403
    for member_user in (cast.alice, cast.charlie):
        assert as_user(member_user).get(ADMIN_URL).status_code == 302  # to the back-office login


def test_staff_get_active_templates_of_everyone_and_their_teams_first(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    everyone = ReplyTemplateFactory(operator=cast.operator, title="A pour tous")
    ours = ReplyTemplateFactory(operator=cast.operator, title="Z de l’équipe", team=desk.team)
    inactive = ReplyTemplateFactory(operator=cast.operator, title="Ancienne", inactive=True)
    theirs = ReplyTemplateFactory(
        operator=cast.operator, title="D’une autre équipe", team=TeamFactory(operator=cast.operator)
    )
    page = _page(in_english(as_user, desk.tess), ticket)
    picker = page[
        page.index('name="reply-template"') : page.index("</select>", page.index('name="reply-template"'))
    ]
    assert picker.index("Your team: Support tablettes") < picker.index("Z de l’équipe")
    assert picker.index("Z de l’équipe") < picker.index("For every team") < picker.index("A pour tous")
    assert "Ancienne" not in picker
    assert "D’une autre équipe" not in picker
    # Someone in no team gets those for everyone only.
    olivia_page = _page(in_english(as_user, cast.olivia), ticket)
    assert "A pour tous" in olivia_page
    assert "Z de l’équipe" not in olivia_page
    client = as_user(desk.tess)
    for hidden in (inactive, theirs):
        assert client.get(f"/tickets/{ticket.number}/?reply_template={hidden.pk}").status_code == 404
    for bad in ("abc", "", "-1", "99999999999999999999"):
        assert client.get(f"/tickets/{ticket.number}/?reply_template={bad}").status_code == 404
    assert client.get(f"/tickets/{ticket.number}/?reply_template={everyone.pk}&into=x").status_code == 404
    assert textarea_text(_page(client, ticket, f"?reply_template={ours.pk}"), "reply-body").startswith(
        "Bonjour "
    )


def test_choosing_a_template_without_script_fills_the_box_and_sends_nothing(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Accusé", body=EVERY_PLACEHOLDER)
    client = in_english(as_user, desk.tess)
    page = _page(client, ticket, f"?reply_template={template.pk}")
    filled = fill(EVERY_PLACEHOLDER, ticket=ticket, agent=desk.tess)
    assert textarea_text(page, "reply-body") == filled
    assert textarea_text(page, "note-body") == ""
    assert "“Accusé” is in the public reply box: read it over, then send it." in page
    assert "autofocus" in page[page.index('name="reply-body"') - 200 : page.index('name="reply-body"') + 200]
    assert not Comment.objects.exists()
    # Into the internal note instead; then sent as a note, as without a template.
    page = _page(client, ticket, f"?reply_template={template.pk}&into=note")
    assert textarea_text(page, "note-body") == filled
    assert textarea_text(page, "reply-body") == ""
    response = client.post(f"/tickets/{ticket.number}/note/", {"note-body": textarea_text(page, "note-body")})
    assert response.status_code == 302
    assert Comment.objects.get().internal
    assert Comment.objects.get().body == filled


def test_a_closed_request_offers_templates_for_the_note_only(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator)
    services.transition(ticket=ticket, to="resolved", by=cast.olivia, as_staff=True)
    services.transition(ticket=ticket, to="closed", by=cast.olivia, as_staff=True)
    client = in_english(as_user, cast.olivia)
    page = _page(client, ticket)
    assert "Template for the internal note" in page
    assert "Template for the public reply" not in page
    assert 'name="insert_template" value="note"' in page
    assert 'name="insert_template" value="reply"' not in page
    assert client.get(f"/tickets/{ticket.number}/?reply_template={template.pk}").status_code == 404
    assert textarea_text(
        _page(client, ticket, f"?reply_template={template.pk}&into=note"), "note-body"
    ).startswith("Bonjour")


def test_a_members_user_gets_no_template_and_the_query_does_nothing(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    template = ReplyTemplateFactory(
        operator=cast.operator, title="Prise en compte", body="Texte interne {numéro}"
    )
    client = as_user(cast.alice)
    for query in (
        "",
        f"?reply_template={template.pk}",
        f"?reply_template={template.pk}&into=note",
        "?reply_template=x",
    ):
        page = _page(client, ticket, query)
        assert 'name="reply-template"' not in page
        assert 'name="note-template"' not in page
        assert "Prise en compte" not in page
        assert "Texte interne" not in page
        assert textarea_text(page, "reply-body") == ""
    # The member outside the ticket still gets the ticket's 404, template or not.
    outsider = as_user(cast.charlie)
    assert outsider.get(f"/tickets/{ticket.number}/?reply_template={template.pk}").status_code == 404


def test_another_operators_template_is_not_found(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    ReplyTemplateFactory(operator=cast.operator, title="La nôtre")
    elsewhere = ReplyTemplateFactory(operator=cast.other_operator, title="Celle d’ailleurs", body="Secret")
    client = as_user(desk.tess)
    assert "Celle d’ailleurs" not in _page(client, ticket)
    response = client.get(f"/tickets/{ticket.number}/?reply_template={elsewhere.pk}")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


def test_the_ticket_page_reads_as_many_queries_whatever_the_number_of_templates(
    cast: Cast, desk: Desk, ticket: Ticket, as_user, django_assert_max_num_queries
) -> None:
    client = as_user(desk.tess)
    ReplyTemplateFactory(operator=cast.operator, team=desk.team)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/tickets/{ticket.number}/").status_code == 200
        return len(captured.captured_queries)

    one = queries()
    teams = [desk.team, *(TeamFactory(operator=cast.operator) for _ in range(3))]
    for team in teams[1:]:
        team.members.add(desk.tess)
    for n in range(40):
        ReplyTemplateFactory(operator=cast.operator, team=teams[n % 5] if n % 5 < 4 else None)
    assert queries() == one
    with django_assert_max_num_queries(19):
        client.get(f"/tickets/{ticket.number}/?reply_template={ReplyTemplate.objects.last().pk}")  # type: ignore[union-attr]
