"""Declaring an incident: the type's form, the site's equipment, files; all or nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.servicedesk import services
from mutualis.servicedesk.answers import answer_form_class, answers_from
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, Ticket, TicketEvent
from tests.conftest import Cast

from .conftest import Desk
from .pages import png_bytes

pytestmark = pytest.mark.django_db

PNG = png_bytes()  # a real picture: a photo that cannot be decoded is refused


def declare(cast: Cast, desk: Desk, **extra):  # type: ignore[no-untyped-def]
    form = answer_form_class(desk.broken_screen, desk.college)(
        data={"since": "2026-11-20", "usable": "no", "tablet": desk.tablet.pk}
    )
    assert form.is_valid(), form.errors
    answers, assets = answers_from(form, desk.broken_screen)
    return services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran fissuré",
        description="Tombée en classe.",
        answers=answers,
        assets=assets,
        by=cast.alice,
        **extra,
    )


def test_a_declared_ticket_has_a_number_its_answers_team_and_equipment(cast: Cast, desk: Desk) -> None:
    ticket = declare(cast, desk)
    second = declare(cast, desk)
    assert second.number == ticket.number + 1
    assert ticket.state == "new"
    assert ticket.team == desk.team
    assert ticket.requester == cast.alice
    assert list(ticket.assets.all()) == [desk.tablet]
    assert [(a["key"], a["display"]) for a in ticket.answers] == [
        ("since", "20/11/2026"),
        ("usable", "Non"),
        ("tablet", "TAB-0001 (Tablette)"),
    ]
    assert ticket.answers[0]["value"] == "2026-11-20"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "created",
        "asset_linked",
    ]
    assert set(desk.tablet.tickets.all()) == {ticket, second}  # the asset's page lists its incidents


def test_numbers_are_per_operator(cast: Cast, desk: Desk) -> None:
    from tests.factories import SiteFactory
    from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

    other_site = SiteFactory(member__operator=cast.other_operator, kind=desk.college_kind)
    other_type = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.other_operator), site_kinds=[desk.college_kind]
    )
    mine = declare(cast, desk)
    theirs = services.open_ticket(site=other_site, incident_type=other_type, title="Panne", by=cast.oscar)
    assert mine.number == theirs.number == 1


def test_required_answers_are_required_and_the_asset_must_be_of_the_site(desk: Desk) -> None:
    form = answer_form_class(desk.broken_screen, desk.college)(data={"tablet": desk.other_tablet.pk})
    assert not form.is_valid()
    assert set(form.errors) == {"since", "usable", "tablet"}
    assert "Sélectionnez un choix valide" in form.errors["tablet"][0]


def test_an_asset_of_another_site_is_refused_and_nothing_is_written(cast: Cast, desk: Desk) -> None:
    with pytest.raises(ValidationError) as error:
        services.open_ticket(
            site=desk.college,
            incident_type=desk.broken_screen,
            title="Écran",
            assets=[desk.other_tablet],
            by=cast.alice,
        )
    assert "TAB-0002 n’est pas un équipement de Collège Hoche" in str(error.value)
    assert not Ticket.objects.exists()


def test_a_type_not_offered_to_the_site_is_refused(cast: Cast, desk: Desk) -> None:
    with pytest.raises(ValidationError, match="n’est pas proposé"):
        services.open_ticket(
            site=desk.college, incident_type=desk.camera_offline, title="Caméra", by=cast.alice
        )


def test_a_type_that_needs_equipment_refuses_none(cast: Cast, desk: Desk) -> None:
    with pytest.raises(ValidationError, match="Indiquez quel équipement"):
        services.open_ticket(
            site=desk.college, incident_type=desk.broken_screen, title="Écran", by=cast.alice
        )


def test_files_are_kept_with_the_ticket(cast: Cast, desk: Desk) -> None:
    files = check_uploads([SimpleUploadedFile("../../photo.PNG", PNG)], max_bytes=10_000_000, max_count=5)
    ticket = declare(cast, desk, files=files)
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.name == "photo.PNG"
    assert attachment.content_type == "image/png"
    with attachment.file.open("rb") as stored:
        assert stored.read() == PNG
    assert "photo" not in attachment.file.name  # stored under a name of ours


def test_the_service_desk_declares_for_a_member_by_phone(cast: Cast, desk: Desk) -> None:
    ticket = declare(cast, desk, channel="phone", requester=cast.alice)
    assert ticket.channel == "phone"
    assert ticket.requester == cast.alice


def test_dates_in_answers_are_validated(desk: Desk) -> None:
    form = answer_form_class(desk.broken_screen, desk.college)(
        data={"since": "31/02/2026", "usable": "maybe", "tablet": desk.tablet.pk}
    )
    assert not form.is_valid()
    assert set(form.errors) == {"since", "usable"}


def test_someone_declaring_for_another_names_a_person_who_will_see_the_ticket(cast: Cast, desk: Desk) -> None:
    from django.utils import translation

    from mutualis.people.models import User
    from mutualis.people.roles import Role
    from tests.factories import MembershipFactory

    def by_phone(requester: User) -> Ticket:
        return services.open_ticket(
            site=desk.station,
            incident_type=desk.camera_offline,
            title="Caméra",
            by=cast.olivia,
            requester=requester,
        )

    contact_elsewhere = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT).user
    for outsider in (cast.charlie, cast.oscar, contact_elsewhere):
        with pytest.raises(ValidationError) as error, translation.override("en"):
            by_phone(outsider)
        assert error.value.message_dict == {
            "requester": [
                f"The requester must be someone of {cast.member_a.name} who sees Caserne de Versailles."
            ]
        }
    assert not Ticket.objects.exists()
    assert by_phone(cast.bob).requester == cast.bob


@pytest.mark.parametrize(
    ("typed", "stored"), [("5000", "5000"), ("2.50", "2.5"), ("0,75", "0.75"), ("12", "12")]
)
def test_number_answers_are_stored_plainly(desk: Desk, typed: str, stored: str) -> None:
    from mutualis.servicedesk.models import FormFieldKind
    from tests.servicedesk.factories import FormFieldFactory

    FormFieldFactory(
        incident_type=desk.broken_screen, key="pupils", label="Élèves", kind=FormFieldKind.NUMBER
    )
    form = answer_form_class(desk.broken_screen, desk.college)(
        data={"since": "2026-11-20", "usable": "no", "tablet": desk.tablet.pk, "pupils": typed}
    )
    assert form.is_valid(), form.errors
    answers, _assets = answers_from(form, desk.broken_screen)
    assert next(a["value"] for a in answers if a["key"] == "pupils") == stored


def test_an_equipment_question_offers_only_the_types_kind_of_equipment(desk: Desk) -> None:
    from tests.factories import AssetFactory, AssetTypeFactory

    camera = AssetFactory(
        site=desk.college, asset_type=AssetTypeFactory(code="camera", name="Caméra"), inventory_tag="CAM-1"
    )
    form = answer_form_class(desk.broken_screen, desk.college)(
        data={"since": "2026-11-20", "usable": "no", "tablet": camera.pk}
    )
    assert list(form.fields["tablet"].queryset) == [desk.tablet]  # type: ignore[attr-defined]
    assert not form.is_valid()
    assert "tablet" in form.errors
