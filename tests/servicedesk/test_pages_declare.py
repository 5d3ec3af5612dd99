"""Declaring an incident through the pages: the site, its catalogue, the form; bad input
refused with a message and nothing written."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from mutualis.jobs import run_pending
from mutualis.people.roles import Role
from mutualis.servicedesk.models import Attachment, DeskSettings, Ticket
from tests.conftest import Cast
from tests.factories import AssetFactory, MembershipFactory, SiteFactory

from .conftest import Desk
from .factories import IncidentTypeFactory
from .pages import (
    GPS_IFD,
    ORIENTATION,
    heic_with_location,
    in_english,
    jpeg_with_location,
    photo,
    png_bytes,
    program_named_pdf,
    shown_upright,
)

pytestmark = pytest.mark.django_db

NEW = "/tickets/new/"


def form_url(desk: Desk) -> str:
    return f"{NEW}?site={desk.college.pk}&type={desk.broken_screen.pk}"


def answers(desk: Desk, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Écran fissuré",
        "description": "Tombée en classe.",
        "answer-since": "2026-01-12",
        "answer-usable": "no",
        "answer-tablet": desk.tablet.pk,
    }
    data.update(extra)
    return data


def nothing_written() -> None:
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


@pytest.fixture
def claire(cast: Cast, desk: Desk):  # type: ignore[no-untyped-def]
    """The collège's contact: sees the collège only."""
    membership = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="claire@hoche.example"
    )
    membership.sites.add(desk.college)
    return membership.user


def test_a_site_contact_with_one_site_goes_straight_to_its_catalogue(claire, desk: Desk, as_user) -> None:  # type: ignore[no-untyped-def]
    client = in_english(as_user, claire)
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"] == f"{NEW}?site={desk.college.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "Écran cassé" in page
    assert "Caméra hors ligne" not in page  # the fire station's catalogue
    assert "Choose another site" not in page


def test_a_member_agent_picks_among_their_members_sites_only(cast: Cast, desk: Desk, as_user) -> None:
    page = in_english(as_user, cast.alice).get(NEW).content.decode()
    for name in ("Collège Hoche", "Caserne de Versailles", "Mairie de Versailles"):
        assert name in page
    assert "Nanterre" not in page


def test_each_kind_of_site_sees_its_own_catalogue_searchable(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    station = client.get(f"{NEW}?site={desk.station.pk}").content.decode()
    assert "Caméra hors ligne" in station
    assert "Écran cassé" not in station
    found = client.get(f"{NEW}?site={desk.college.pk}&q=fissure").content.decode()
    assert "Écran cassé" in found
    missing = client.get(f"{NEW}?site={desk.college.pk}&q=imprimante").content.decode()
    assert "Écran cassé" not in missing
    assert "Nothing in the catalogue matches “imprimante”" in missing


def test_another_members_site_or_a_type_not_offered_is_not_found(cast: Cast, desk: Desk, as_user) -> None:
    client = as_user(cast.alice)
    assert client.get(f"{NEW}?site={cast.site_b.pk}").status_code == 404
    assert client.get(f"{NEW}?site=abc").status_code == 404
    assert client.get(f"{NEW}?site={desk.college.pk}&type={desk.camera_offline.pk}").status_code == 404
    assert (
        client.post(f"{NEW}?site={cast.site_b.pk}&type={desk.broken_screen.pk}", answers(desk)).status_code
        == 404
    )
    nothing_written()


def test_elected_officials_do_not_declare(cast: Cast, desk: Desk, as_user) -> None:
    client = as_user(cast.bob)
    assert client.get(NEW).status_code == 403
    assert client.post(form_url(desk), answers(desk)).status_code == 403
    nothing_written()


def test_the_form_asks_the_types_questions_with_the_title_prefilled(cast: Cast, desk: Desk, as_user) -> None:
    page = in_english(as_user, cast.alice).get(form_url(desk)).content.decode()
    assert 'value="Écran cassé"' in page
    assert "Depuis quand ?" in page
    assert "<legend>La tablette est-elle encore utilisable ?</legend>" in page
    assert "TAB-0001" in page
    assert "TAB-0002" not in page  # a tablet of another site
    # The type's own question names the tablet: no second equipment box.
    assert 'name="asset"' not in page
    assert "multiple" in page
    assert 'name="files"' in page


def test_declaring_with_a_photo_gives_a_number_and_the_ticket_page(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    response = client.post(form_url(desk), answers(desk, files=[photo()]))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    page = client.get(response["Location"]).content.decode()
    assert f"Your request n° {ticket.number} is recorded." in page
    assert (ticket.requester, ticket.channel, ticket.team) == (cast.alice, "web", desk.team)
    assert list(ticket.assets.all()) == [desk.tablet]
    assert [a["key"] for a in ticket.answers] == ["since", "usable", "tablet"]
    attachment = ticket.attachments.get()
    assert (attachment.name, attachment.content_type, attachment.internal) == (
        "ecran.png",
        "image/png",
        False,
    )
    with attachment.file.open("rb") as stored:
        assert stored.read() == png_bytes()


def test_missing_required_answers_are_listed_and_nothing_is_written(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    response = client.post(form_url(desk), {"title": "", "files": [photo()]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the following:" in page
    for anchor in ("#id_title", "#id_answer-since", "#id_answer-usable", "#id_answer-tablet"):
        assert f'href="{anchor}"' in page
    nothing_written()


def test_equipment_of_another_site_is_refused(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    page = client.post(
        form_url(desk), answers(desk, **{"answer-tablet": desk.other_tablet.pk})
    ).content.decode()
    assert "Select a valid choice" in page
    nothing_written()


def test_an_oversized_file_is_refused_with_the_limit(cast: Cast, desk: Desk, as_user) -> None:
    DeskSettings.objects.update_or_create(operator=cast.operator, defaults={"max_attachment_mb": 1})
    big = SimpleUploadedFile("plan.png", png_bytes() + b"\x00" * 1_200_000, "image/png")
    page = in_english(as_user, cast.alice).post(form_url(desk), answers(desk, files=[big])).content.decode()
    assert "“plan.png” is 1.2 MB; files up to 1 MB are accepted." in page
    nothing_written()


def test_a_program_renamed_pdf_is_refused(cast: Cast, desk: Desk, as_user) -> None:
    page = (
        in_english(as_user, cast.alice)
        .post(form_url(desk), answers(desk, files=[photo(), program_named_pdf()]))
        .content.decode()
    )
    assert "“facture.pdf” is not a real PDF file: its content is a Windows program." in page
    nothing_written()


def test_too_many_files_are_refused(cast: Cast, desk: Desk, as_user) -> None:
    DeskSettings.objects.update_or_create(operator=cast.operator, defaults={"max_attachments": 2})
    files = [photo(f"photo-{n}.png") for n in range(3)]
    page = in_english(as_user, cast.alice).post(form_url(desk), answers(desk, files=files)).content.decode()
    assert "At most 2 files per message; you sent 3." in page
    nothing_written()


def test_a_type_naming_equipment_without_a_question_asks_for_it(cast: Cast, desk: Desk, as_user) -> None:
    projector = IncidentTypeFactory(
        category=desk.broken_screen.category,
        name="Tablette bloquée",
        site_kinds=[desk.college_kind],
        asset_type=desk.tablet.asset_type,
        asset_required=True,
    )
    url = f"{NEW}?site={desk.college.pk}&type={projector.pk}"
    client = in_english(as_user, cast.alice)
    assert "The equipment concerned" in client.get(url).content.decode()
    refused = client.post(url, {"title": "Bloquée"}).content.decode()
    assert 'href="#id_asset"' in refused
    nothing_written()
    assert client.post(url, {"title": "Bloquée", "asset": desk.tablet.pk}).status_code == 302
    assert list(Ticket.objects.get().assets.all()) == [desk.tablet]


def test_the_service_desk_declares_a_phone_call_for_a_members_user(cast: Cast, desk: Desk, as_user) -> None:
    fire_officer = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="pompier@versailles.example"
    )
    fire_officer.sites.add(desk.station)
    client = in_english(as_user, cast.olivia)
    sites = client.get(NEW).content.decode()
    assert "Mairie de Nanterre" in sites  # every member of the operator
    page = client.get(form_url(desk)).content.decode()
    assert "Who called" in page
    assert cast.alice.full_name in page
    assert cast.charlie.full_name not in page  # not a person of the collège's member
    assert fire_officer.user.full_name not in page  # the contact of another site
    response = client.post(form_url(desk), answers(desk, requester=cast.alice.pk))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel) == (cast.alice, "phone")
    assert ticket.events.get(kind="created").actor == cast.olivia


def test_the_service_desk_finds_a_site_by_name_among_many(cast: Cast, desk: Desk, as_user) -> None:
    for n in range(30):
        SiteFactory(member=cast.member_b, name=f"École {n:02d}")
    AssetFactory(site=desk.college)
    client = in_english(as_user, cast.olivia)
    page = client.get(NEW).content.decode()
    assert "Find the site by its name or its member’s name" in page
    assert "École 01" not in page
    found = client.get(f"{NEW}?site_q=hoche").content.decode()
    assert f'href="?site={desk.college.pk}"' in found
    assert "École" not in found


def test_a_site_search_holding_a_nul_still_finds_the_site(cast: Cast, desk: Desk, as_user) -> None:
    """PostgreSQL refuses a NUL in a query: the search page said 500 (probe of the demo).
    The NUL is in no name, and is left out of the search."""
    client = in_english(as_user, cast.alice)
    found = client.get(NEW, {"site_q": "ho\x00che"})
    assert found.status_code == 200
    assert f'href="?site={desk.college.pk}"' in found.content.decode()
    assert "Nanterre" not in found.content.decode()


def test_a_type_s_description_describes_its_link(cast: Cast, desk: Desk, as_user) -> None:
    """The hint under a type of the catalogue is the link's description for screen readers
    (WCAG 1.3.1), not a separate text they meet after it."""
    desk.broken_screen.description = "Vitre fêlée ou écran noir."
    desk.broken_screen.save()
    page = in_english(as_user, cast.alice).get(f"{NEW}?site={desk.college.pk}").content.decode()
    hint = f"type-{desk.broken_screen.pk}-hint"
    assert f'aria-describedby="{hint}">Écran cassé</a>' in page
    assert f'<span class="hint" id="{hint}">Vitre fêlée ou écran noir.</span>' in page


def test_a_missing_title_says_what_to_write(cast: Cast, desk: Desk, as_user) -> None:
    page = in_english(as_user, cast.alice).post(form_url(desk), answers(desk, title="  ")).content.decode()
    assert "Give the ticket a short title saying what is wrong." in page
    assert "This field is required." not in page
    nothing_written()


def test_the_same_declaration_sent_twice_is_one_ticket(cast: Cast, desk: Desk, as_user) -> None:
    """Back after sending, then send again (or a second press on a slow connection): the
    person lands on the ticket already recorded, not on a duplicate for the desk to merge."""
    client = in_english(as_user, cast.alice)
    first = client.post(form_url(desk), answers(desk, files=[photo()]))
    ticket = Ticket.objects.get()
    again = client.post(form_url(desk), answers(desk), follow=True)
    assert again.redirect_chain == [(f"/tickets/{ticket.number}/", 302)]
    assert first["Location"] == again.redirect_chain[0][0]
    assert (
        f"This request was already recorded a moment ago as n° {ticket.number}, and is kept once."
        in again.content.decode()
    )
    assert Ticket.objects.count() == 1
    assert ticket.attachments.count() == 1
    assert ticket.events.filter(kind="created").count() == 1


def test_a_different_or_later_declaration_is_a_new_ticket(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    client.post(form_url(desk), answers(desk))
    client.post(form_url(desk), answers(desk, description="Une autre tablette, tombée aussi."))
    assert Ticket.objects.count() == 2
    # Sent again with a file the ticket does not hold: nothing sent is dropped.
    client.post(form_url(desk), answers(desk, files=[photo("autre.png")]))
    assert Ticket.objects.count() == 3
    # The same words a while later, or once the first was cancelled, are a new incident.
    Ticket.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    client.post(form_url(desk), answers(desk))
    assert Ticket.objects.count() == 4
    Ticket.objects.update(created_at=timezone.now(), state="cancelled")
    client.post(form_url(desk), answers(desk))
    assert Ticket.objects.count() == 5


def test_another_members_user_sending_the_same_words_is_not_led_to_the_ticket(
    cast: Cast, desk: Desk, as_user
) -> None:
    in_english(as_user, cast.alice).post(form_url(desk), answers(desk))
    ticket = Ticket.objects.get()
    for outsider in (cast.charlie, cast.oscar):
        response = in_english(as_user, outsider).post(form_url(desk), answers(desk))
        assert response.status_code == 404
        assert f"/tickets/{ticket.number}/" not in response.get("Location", "")
    assert Ticket.objects.count() == 1


def test_a_photo_is_kept_without_where_it_was_taken(cast: Cast, desk: Desk, as_user) -> None:
    """A phone's photo says where it was taken, when, with which device: the ticket keeps
    the picture, the right way up, and none of that."""
    sent = jpeg_with_location()
    client = in_english(as_user, cast.alice)
    response = client.post(
        form_url(desk), answers(desk, files=[SimpleUploadedFile("IMG_2041.jpg", sent, "image/jpeg")])
    )
    ticket = Ticket.objects.get()
    attachment = ticket.attachments.get()
    served = client.get(response["Location"] + f"files/{attachment.pk}/")
    kept = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    photo_kept = Image.open(io.BytesIO(kept))
    assert photo_kept.getexif().get_ifd(GPS_IFD) == {}
    assert b"Fairphone" not in kept
    assert photo_kept.getexif().get(ORIENTATION) == 6  # shown upright, as on the phone
    assert photo_kept.convert("RGB").tobytes() == Image.open(io.BytesIO(sent)).convert("RGB").tobytes()
    assert attachment.size == len(kept) < len(sent)
    for outsider in (cast.charlie, cast.oscar):
        assert as_user(outsider).get(f"/tickets/{ticket.number}/files/{attachment.pk}/").status_code == 404


def test_a_gif_is_kept_without_its_comment(cast: Cast, desk: Desk, as_user) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "GIF", comment=b"Pris au 12 rue de la Paroisse")
    client = in_english(as_user, cast.alice)
    client.post(form_url(desk), answers(desk, files=[SimpleUploadedFile("ecran.gif", buffer.getvalue())]))
    attachment = Ticket.objects.get().attachments.get()
    with attachment.file.open("rb") as stored:
        kept = stored.read()
    assert b"Paroisse" not in kept
    assert Image.open(io.BytesIO(kept)).convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert (attachment.content_type, attachment.size) == ("image/gif", len(kept))


def test_a_heic_photo_is_kept_as_a_jpeg_and_the_timeline_says_so(
    cast: Cast, desk: Desk, as_user, django_capture_on_commit_callbacks
) -> None:
    """An iPhone's photo copied to a computer is sent as HEIC: the ticket keeps it as a JPEG
    anyone can open, upright, without where it was taken, and says it was converted."""
    client = in_english(as_user, cast.alice)
    form = client.get(form_url(desk)).content.decode()
    assert 'accept=".csv,' in form
    assert ".heic" not in form  # so that Safari converts the photo itself, sparing the server
    sent = SimpleUploadedFile("IMG_2041.HEIC", heic_with_location(), "image/heic")
    response = client.post(form_url(desk), answers(desk, files=[sent]))
    # Converted by a job, not in the request (test_photo_conversion.py).
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    ticket = Ticket.objects.get()
    attachment = ticket.attachments.get()
    assert (attachment.name, attachment.content_type) == ("IMG_2041.jpg", "image/jpeg")
    served = client.get(response["Location"] + f"files/{attachment.pk}/")
    kept = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert served["Content-Type"] == "image/jpeg"
    photo_kept = Image.open(io.BytesIO(kept))
    assert dict(photo_kept.getexif()) == {}
    assert b"Fairphone" not in kept
    assert shown_upright(photo_kept)
    assert attachment.size == len(kept)
    page = client.get(response["Location"]).content.decode()
    assert "File attached: IMG_2041.jpg (the HEIC photo “IMG_2041.HEIC”, converted to JPEG)." in page
    for outsider in (cast.charlie, cast.oscar):
        assert as_user(outsider).get(f"/tickets/{ticket.number}/files/{attachment.pk}/").status_code == 404


def test_a_damaged_heic_photo_is_refused_saying_what_to_do(cast: Cast, desk: Desk, as_user) -> None:
    client = in_english(as_user, cast.alice)
    sent = SimpleUploadedFile("IMG_2041.HEIC", heic_with_location()[:-40], "image/heic")
    response = client.post(form_url(desk), answers(desk, files=[sent]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "“IMG_2041.HEIC” cannot be read as a HEIC photo: it may be damaged or cut short." in page
    nothing_written()


def test_a_refused_declaration_asks_for_its_photos_again(cast: Cast, desk: Desk, as_user) -> None:
    """The form comes back without the photos (no browser refills a file box): it says so,
    naming them, rather than letting the request go without them."""
    response = as_user(cast.alice).post(
        form_url(desk), answers(desk, title="", files=[photo(), photo("plan.png")])
    )
    page = response.content.decode()
    assert "Choisissez de nouveau les fichiers « ecran.png », « plan.png » : un formulaire renvoyé" in page
    assert 'href="#id_files"' in page  # in the summary of what to correct
    nothing_written()
    alone = in_english(as_user, cast.alice).post(form_url(desk), answers(desk, title="", files=[photo()]))
    assert "Choose the file “ecran.png” again" in alone.content.decode()
    without = in_english(as_user, cast.alice).post(form_url(desk), answers(desk, title="")).content.decode()
    assert "again: a form sent back" not in without
