"""Building tickets for the ticket API's tests: through the service desk's verbs, as the
pages and the API do, on the service desk's cast (tests/servicedesk/conftest.py)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.people.models import User
from mutualis.registry.models import Site
from mutualis.servicedesk import services
from mutualis.servicedesk.answers import answer_form_class, answers_from
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import IncidentType, Ticket
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory
from tests.servicedesk.pages import png_bytes

PNG = png_bytes()  # a real picture: a photo that cannot be decoded is refused
# A Windows program: "MZ" and NUL bytes in its header.
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120

# The broken screen's answers, as a client sends them.
ANSWERS = {"since": "2026-11-20", "usable": "no"}


def photo(name: str = "photo.png", data: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def broken_screen(cast: Cast, desk: Desk, *, by: User | None = None, **extra: Any) -> Ticket:
    """A ticket of member A at the collège: its tablet's screen, with a photo."""
    form = answer_form_class(desk.broken_screen, desk.college)(data={**ANSWERS, "tablet": desk.tablet.pk})
    assert form.is_valid(), form.errors
    answers, assets = answers_from(form, desk.broken_screen)
    files = check_uploads([photo()], max_bytes=10_000_000, max_count=5)
    return services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran fissuré",
        description="Tombée en classe.",
        answers=answers,
        assets=assets,
        files=files,
        by=by or cast.alice,
        **extra,
    )


def camera(cast: Cast, desk: Desk, *, title: str = "Caméra du parking", by: User | None = None) -> Ticket:
    """A ticket of member A at the fire station, a type without questions."""
    return services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title=title, by=by or cast.alice
    )


def town_hall_type(cast: Cast) -> IncidentType:
    """A type offered to town halls (both members' first sites are town halls)."""
    return IncidentTypeFactory(
        category=CategoryFactory(operator=cast.operator, name="Réseau"),
        name="Pas d'internet",
        site_kinds=[cast.site_a.kind],
    )


def at_town_hall(cast: Cast, site: Site, *, by: User, title: str) -> Ticket:
    incident_type = IncidentType.objects.filter(name="Pas d'internet").first() or town_hall_type(cast)
    return services.open_ticket(site=site, incident_type=incident_type, title=title, by=by)
