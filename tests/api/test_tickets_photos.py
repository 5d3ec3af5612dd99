"""A HEIC photo sent through the API: listed as being prepared, not served, until the job
`servicedesk.convert_photo` has kept it as JPEG (tests/servicedesk/test_photo_conversion.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.jobs import run_pending
from mutualis.servicedesk.models import Attachment, Ticket
from tests.servicedesk.pages import heic_with_location

from .support import problem
from .test_tickets_declaring import form

pytestmark = pytest.mark.django_db


def test_a_photo_being_prepared_is_listed_so_and_not_served(
    cast, desk, api, django_capture_on_commit_callbacks
):
    sent = SimpleUploadedFile("IMG_2041.HEIC", heic_with_location(), "image/heic")
    assert api(cast.alice).upload("tickets/", form(desk, [sent])).status_code == 201
    ticket = Ticket.objects.get()
    photo = Attachment.objects.get()
    address = f"tickets/{ticket.number}/files/{photo.pk}/"
    listed = api(cast.alice).get(f"tickets/{ticket.number}/").json()["files"]
    assert [(f["name"], f["state"], f["failure"]) for f in listed] == [("IMG_2041.jpg", "pending", "")]
    body = problem(api(cast.alice).get(address), 409)
    assert body["detail"] == "This photo is being prepared: try again in a moment."
    problem(api(cast.charlie).get(address), 404)

    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    listed = api(cast.alice).get(f"tickets/{ticket.number}/").json()["files"]
    assert [(f["name"], f["content_type"], f["state"]) for f in listed] == [
        ("IMG_2041.jpg", "image/jpeg", "ready")
    ]
    served = api(cast.alice).get(address)
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")
    problem(api(cast.charlie).get(address), 404)
