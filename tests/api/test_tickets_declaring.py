"""Declaring through the API: JSON or multipart with files, the type's form, the site's
equipment; every refusal names what is wrong, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from mutualis.servicedesk.models import Attachment, DeskSettings, Ticket
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

from .desk_support import ANSWERS, EXE, PNG, photo
from .support import field_messages, problem

pytestmark = pytest.mark.django_db


def declaration(desk, **overrides):
    return {
        "site": desk.college.pk,
        "incident_type": desk.broken_screen.pk,
        "title": "Écran fissuré",
        "description": "Tombée en classe.",
        "answers": {**ANSWERS, "tablet": desk.tablet.pk},
        **overrides,
    }


def form(desk, files, **overrides):
    """The declaration as multipart/form-data: answers and assets as JSON text."""
    body = declaration(desk, **overrides)
    for name in ("answers", "assets"):
        if name in body and not isinstance(body[name], str):
            body[name] = json.dumps(body[name])
    return {**body, "attachments": files}


def nothing_written() -> None:
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_a_member_declares_with_answers_and_equipment(cast, desk, api):
    response = api(cast.alice).post("tickets/", declaration(desk, assets=[desk.tablet.pk]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"http://testserver/api/v1/tickets/{body['number']}/"
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.requester, ticket.channel, ticket.team, ticket.state) == (
        cast.alice,
        "api",
        desk.team,
        "new",
    )
    assert list(ticket.assets.all()) == [desk.tablet]  # named twice, linked once
    assert [(a["key"], a["value"], a["display"]) for a in body["answers"]] == [
        ("since", "2026-11-20", "11/20/2026"),  # shown in the language of the request
        ("usable", "no", "No"),
        ("tablet", desk.tablet.pk, "TAB-0001 (Tablette)"),
    ]
    assert api(cast.alice).get(response["Location"].removeprefix("http://testserver")).json()["title"] == (
        "Écran fissuré"
    )


def test_yes_no_answers_may_be_json_booleans(cast, desk, api):
    answers = {"since": "2026-11-20", "usable": False, "tablet": desk.tablet.pk}
    response = api(cast.alice).post("tickets/", declaration(desk, answers=answers))
    assert response.status_code == 201, response.content
    assert response.json()["answers"][1]["value"] == "no"


def test_a_declaration_comes_with_photos_as_multipart(cast, desk, api):
    response = api(cast.alice).upload("tickets/", form(desk, [photo("écran.png"), photo("dos.png")]))
    assert response.status_code == 201, response.content
    files = response.json()["files"]
    assert [f["name"] for f in files] == ["écran.png", "dos.png"]
    download = api(cast.alice).get(files[0]["url"].removeprefix("http://testserver"))
    assert b"".join(download.streaming_content) == PNG


def test_the_service_desk_declares_by_phone_for_someone_of_the_member(cast, desk, api):
    response = api(cast.olivia).post("tickets/", declaration(desk, requester=cast.bob.pk, channel="phone"))
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel) == (cast.bob, "phone")
    body = problem(api(cast.olivia).post("tickets/", declaration(desk, requester=cast.charlie.pk)), 400)
    assert field_messages(body, "requester") == [
        f"The requester must be someone of {cast.member_a.name} who sees Collège Hoche."
    ]


def test_members_declare_for_themselves_through_the_api(cast, desk, api):
    body = problem(
        api(cast.alice).post("tickets/", declaration(desk, requester=cast.bob.pk, channel="phone")), 400
    )
    assert field_messages(body, "requester") == [
        "Only the operator's staff declare for someone else; leave requester out."
    ]
    assert field_messages(body, "channel") == [
        "Only the operator's staff record a request that came by phone or e-mail."
    ]
    nothing_written()


# Bad input.


def test_missing_required_answers_are_each_named(cast, desk, api):
    body = problem(api(cast.alice).post("tickets/", declaration(desk, answers={"colour": "noir"})), 400)
    assert {e["field"] for e in body["errors"]} == {
        "answers.since",
        "answers.usable",
        "answers.tablet",
        "answers.colour",
    }
    assert field_messages(body, "answers.since") == ["This field is required."]
    assert field_messages(body, "answers.colour") == [
        "This type asks no such question; its questions are: since, usable, tablet."
    ]
    nothing_written()


def test_answers_that_are_not_an_object_are_refused(cast, desk, api):
    body = problem(api(cast.alice).post("tickets/", declaration(desk, answers="since=hier")), 400)
    assert field_messages(body, "answers")[0].startswith("Give the answers as a JSON object")
    body = problem(api(cast.alice).upload("tickets/", form(desk, [], answers="{since")), 400)
    assert field_messages(body, "answers")[0].startswith("Give the answers as a JSON object")
    body = problem(api(cast.alice).post("tickets/", declaration(desk, assets=[True])), 400)
    assert field_messages(body, "assets")[0].startswith("Give the equipment as a JSON list")
    nothing_written()


def test_equipment_of_another_site_is_refused(cast, desk, api):
    answers = {**ANSWERS, "tablet": desk.other_tablet.pk}
    body = problem(api(cast.alice).post("tickets/", declaration(desk, answers=answers)), 400)
    assert field_messages(body, "answers.tablet") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    body = problem(api(cast.alice).post("tickets/", declaration(desk, assets=[desk.other_tablet.pk])), 400)
    assert field_messages(body, "assets") == [
        "TAB-0002 is not equipment of Collège Hoche: name only equipment of the site concerned."
    ]
    body = problem(api(cast.alice).post("tickets/", declaration(desk, assets=[cast.asset_b.pk])), 400)
    assert field_messages(body, "assets") == [f"No such asset: {cast.asset_b.pk}."]
    # Named twice, another member's asset is still one unknown asset, named once.
    twice = declaration(desk, assets=[cast.asset_b.pk, cast.asset_b.pk])
    body = problem(api(cast.alice).post("tickets/", twice), 400)
    assert field_messages(body, "assets") == [f"No such asset: {cast.asset_b.pk}."]
    nothing_written()


def test_an_oversized_file_is_refused_by_name(cast, desk, api):
    DeskSettings.objects.create(operator=cast.operator, max_attachment_mb=1)
    big = photo("plan.png", PNG + b"\x00" * 1_200_000)
    body = problem(api(cast.alice).upload("tickets/", form(desk, [photo(), big])), 400)
    assert field_messages(body, "attachments") == [
        "“plan.png” is 1.2 MB; files up to 1 MB are accepted. Send a smaller file or a photo of lower resolution."
    ]
    nothing_written()


def test_a_program_renamed_pdf_is_refused_by_name(cast, desk, api):
    upload = photo("facture.pdf", EXE)
    body = problem(api(cast.alice).upload("tickets/", form(desk, [upload])), 400)
    assert field_messages(body, "attachments") == [
        "“facture.pdf” is not a real PDF file: its content is a Windows program. "
        "Attach the document itself, saved as PDF."
    ]
    nothing_written()


def test_every_problem_is_named_at_once(cast, desk, api):
    body = problem(
        api(cast.alice).upload("tickets/", form(desk, [photo("facture.pdf", EXE)], answers={})), 400
    )
    assert {e["field"] for e in body["errors"]} >= {"answers.since", "attachments"}
    nothing_written()


def test_files_need_a_multipart_body(cast, desk, api):
    body = problem(api(cast.alice).post("tickets/", declaration(desk, attachments=["cGhvdG8="])), 400)
    assert field_messages(body, "attachments") == ["Send files in a multipart/form-data request."]
    problem(api(cast.alice).post("tickets/", "site=1", content_type="application/x-www-form-urlencoded"), 415)
    nothing_written()


def test_a_type_the_site_is_not_offered_is_refused(cast, desk, api):
    body = problem(
        api(cast.alice).post("tickets/", declaration(desk, incident_type=desk.camera_offline.pk, answers={})),
        400,
    )
    assert field_messages(body, "incident_type") == [
        "“Vidéoprotection > Caméra hors ligne” is not offered for Collège Hoche."
    ]
    foreign = IncidentTypeFactory(category=CategoryFactory(operator=cast.other_operator))
    body = problem(api(cast.alice).post("tickets/", declaration(desk, incident_type=foreign.pk)), 400)
    assert field_messages(body, "incident_type") == [
        "No such incident type (see GET /api/v1/sites/{id}/catalogue/)."
    ]
    nothing_written()


def test_a_site_of_another_member_reads_like_a_missing_one(cast, desk, api):
    body = problem(api(cast.charlie).post("tickets/", declaration(desk)), 400)
    assert field_messages(body, "site") == ["No such site."]
    body = problem(api(cast.oscar).post("tickets/", declaration(desk)), 400)
    assert field_messages(body, "site") == ["No such site."]
    nothing_written()


def test_a_blank_title_gets_the_desks_sentence(cast, desk, api):
    body = problem(api(cast.alice).post("tickets/", declaration(desk, title="   ")), 400)
    assert field_messages(body, "title") == ["Give the ticket a short title saying what is wrong."]
    nothing_written()


# Who may declare.


def test_elected_officials_and_read_only_tokens_do_not_declare(cast, desk, api):
    assert problem(api(cast.bob).post("tickets/", declaration(desk)), 403)["detail"] == (
        "Your role (elected official (read-only)) gives read-only access."
    )
    assert problem(api(cast.alice, can_write=False).post("tickets/", declaration(desk)), 403)["detail"] == (
        "This API token is read-only; create a token that allows changes on your account page."
    )
    assert problem(api().post("tickets/", declaration(desk)), 401)
    nothing_written()
