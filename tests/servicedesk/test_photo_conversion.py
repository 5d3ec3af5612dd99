"""HEIC photos converted by a background job, not in the request.

A member declaring an incident from a phone sends its photos as HEIC: decoding one of 12
megapixels and writing it again as JPEG takes about half a second of a core, three of them
held the page for 3.6 s. The request now checks the file from its header only and keeps the
original aside, never served; the job `servicedesk.convert_photo` writes the JPEG without
its metadata, and deletes the original.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from mutualis.jobs import Job, JobState, enqueue, run_pending
from mutualis.servicedesk.models import Attachment, Ticket
from tests.conftest import Cast

from .conftest import Desk
from .pages import heic_that_cannot_be_decoded, heic_with_location, in_english, shown_upright
from .test_pages_declare import answers, form_url

CONVERT = "servicedesk.convert_photo"
PENDING = "Photo being prepared"


def declare_with(client, desk: Desk, photos: dict[str, bytes]):  # type: ignore[no-untyped-def]
    sent = [SimpleUploadedFile(name, data, "image/heic") for name, data in photos.items()]
    response = client.post(form_url(desk), answers(desk, files=sent))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def stored(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def file_url(ticket: Ticket, attachment: Attachment) -> str:
    return f"/tickets/{ticket.number}/files/{attachment.pk}/"


@pytest.mark.django_db
def test_three_heic_photos_are_kept_aside_and_converted_by_a_job_not_the_request(
    cast: Cast, desk: Desk, as_user, django_capture_on_commit_callbacks
) -> None:
    client = in_english(as_user, cast.alice)
    sent = heic_with_location()
    declare_with(client, desk, {f"IMG_204{n}.HEIC": sent for n in range(3)})

    ticket = Ticket.objects.get()
    photos = list(ticket.attachments.order_by("pk"))
    # The request returned before any conversion: one job queued per photo, each photo
    # still the HEIC file as sent, kept aside.
    jobs = Job.objects.filter(name=CONVERT)
    assert sorted((job.kwargs["attachment_id"], job.state, job.operator_id) for job in jobs) == [
        (photo.pk, JobState.QUEUED, cast.operator.pk) for photo in photos
    ]
    originals = []
    for photo in photos:
        assert (photo.state, photo.content_type) == ("pending", "image/heic")
        assert photo.name.endswith(".jpg")
        assert photo.file.name.startswith("pending/")
        assert stored(photo.file.name).read_bytes() == sent
        originals.append(stored(photo.file.name))

    # Until then: said in words, no link, and the original is never served (it holds the place).
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert page.count(PENDING) == 6  # in the list of files and in the history
    french = as_user(cast.olivia).get(f"/tickets/{ticket.number}/").content.decode()  # staff, in French
    assert french.count("Photo en cours de préparation") == 6
    client = in_english(as_user, cast.alice)
    for photo in photos:
        assert file_url(ticket, photo) not in page
        early = client.get(file_url(ticket, photo))
        assert early.status_code == 409
        assert "This photo is being prepared" in early.content.decode()
        assert b"Fairphone" not in early.content
    for outsider in (cast.charlie, cast.oscar):
        assert as_user(outsider).get(file_url(ticket, photos[0])).status_code == 404

    client = as_user(cast.alice)  # the outsiders were logged in on the same test client
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    assert set(Job.objects.filter(name=CONVERT).values_list("state", flat=True)) == {JobState.DONE}

    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert PENDING not in page
    for n, photo in enumerate(photos):
        photo.refresh_from_db()
        assert (photo.state, photo.name, photo.content_type) == (
            "ready",
            f"IMG_204{n}.jpg",
            "image/jpeg",
        )
        served = client.get(file_url(ticket, photo))
        kept = b"".join(served.streaming_content)  # type: ignore[attr-defined]
        assert served["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(kept))
        assert dict(image.getexif()) == {}  # no place, no device
        assert b"Fairphone" not in kept
        assert b"48,48.28N" not in kept
        assert shown_upright(image)
        assert photo.size == len(kept)
        assert file_url(ticket, photo) in page
        assert f"File attached: IMG_204{n}.jpg (the HEIC photo “IMG_204{n}.HEIC”, converted to JPEG)." in page
    assert not any(original.exists() for original in originals)
    assert not [path for path in stored("pending").rglob("*") if path.is_file()]
    for outsider in (cast.charlie, cast.oscar):
        assert as_user(outsider).get(file_url(ticket, photos[0])).status_code == 404


@pytest.mark.django_db
def test_the_conversion_run_twice_gives_the_same_photo(
    cast: Cast, desk: Desk, as_user, django_capture_on_commit_callbacks
) -> None:
    declare_with(in_english(as_user, cast.alice), desk, {"IMG_2041.HEIC": heic_with_location()})
    photo = Attachment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    photo.refresh_from_db()
    first = (photo.file.name, photo.sha256, photo.size, photo.state)
    # At least once, not exactly once: the same job run again (a lost lease) changes nothing.
    enqueue(CONVERT, attachment_id=photo.pk, operator_id=cast.operator.pk)
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    assert list(Job.objects.filter(name=CONVERT).values_list("state", flat=True)) == [JobState.DONE] * 2
    photo.refresh_from_db()
    assert (photo.file.name, photo.sha256, photo.size, photo.state) == first
    assert [path for path in stored("").rglob("*") if path.is_file()] == [stored(photo.file.name)]


@pytest.mark.django_db(transaction=True)
def test_a_photo_that_passed_the_quick_check_but_cannot_be_decoded_is_marked_failed(
    cast: Cast, desk: Desk, as_user
) -> None:
    """Its container is whole, its picture is not: the job finds it out. The photo is said
    to have failed, with what to do, to the declarer and to staff; the original is deleted;
    the job ends failed, counted by jobs_status and shown in the back-office."""
    client = in_english(as_user, cast.alice)
    declare_with(client, desk, {"IMG_2041.HEIC": heic_that_cannot_be_decoded()})
    ticket = Ticket.objects.get()
    photo = Attachment.objects.get()
    original = stored(photo.file.name)
    assert original.exists()

    start = timezone.now()
    for hours in range(3):  # its attempts, retried with their backoff
        run_pending(now=start + timedelta(hours=hours))
    job = Job.objects.get(name=CONVERT)
    assert (job.state, job.attempts) == (JobState.FAILED, 3)
    assert "PhotoConversionFailed" in job.last_error
    photo.refresh_from_db()
    assert (photo.state, photo.failure) == ("failed", "unreadable")
    assert not original.exists()
    assert not photo.file

    reason = "“IMG_2041.HEIC” cannot be read as a HEIC photo: it may be damaged or cut short."
    for reader in (cast.alice, cast.olivia):
        page = in_english(as_user, reader).get(f"/tickets/{ticket.number}/").content.decode()
        assert reason in page
        assert file_url(ticket, photo) not in page
    gone = as_user(cast.alice).get(file_url(ticket, photo))
    assert gone.status_code == 410
    assert reason in gone.content.decode()
    assert as_user(cast.charlie).get(file_url(ticket, photo)).status_code == 404

    out = io.StringIO()
    call_command("jobs_status", stdout=out)
    row = next(line for line in out.getvalue().splitlines() if line.startswith(CONVERT))
    queued, running, failed_recently, failed = row.split()[1:5]
    assert (queued, running, failed_recently, failed) == ("0", "0", "1", "1")
    listed = in_english(as_user, cast.adam).get("/backoffice/jobs/job/?state__exact=failed").content.decode()
    assert CONVERT in listed
    assert re.search(r"PhotoConversionFailed: .*unreadable", listed)


@pytest.mark.django_db
def test_a_cut_short_heic_is_refused_in_the_form_keeping_what_was_typed(
    cast: Cast, desk: Desk, as_user
) -> None:
    sent = SimpleUploadedFile("IMG_2041.HEIC", heic_with_location()[:-40], "image/heic")
    response = in_english(as_user, cast.alice).post(
        form_url(desk), answers(desk, title="Vitre fendue", description="Tombée de la table.", files=[sent])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "“IMG_2041.HEIC” cannot be read as a HEIC photo: it may be damaged or cut short." in page
    assert 'value="Vitre fendue"' in page
    assert "Tombée de la table." in page
    assert not Ticket.objects.exists()
    assert not Job.objects.filter(name=CONVERT).exists()


@pytest.mark.django_db
def test_a_declaration_sent_again_after_its_photo_was_converted_is_still_known(
    cast: Cast, desk: Desk, as_user, django_capture_on_commit_callbacks
) -> None:
    """The phone sends the same declaration twice (a flaky network): the second finds the
    first by the photo as sent, though its JPEG has another digest by then."""
    client = in_english(as_user, cast.alice)
    first = declare_with(client, desk, {"IMG_2041.HEIC": heic_with_location()})
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    again = declare_with(client, desk, {"IMG_2041.HEIC": heic_with_location()})
    assert again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert Job.objects.filter(name=CONVERT).count() == 1
