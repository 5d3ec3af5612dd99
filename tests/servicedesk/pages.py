"""Helpers of the service desk's page tests: English pages, real files, ready tickets.

Page tests read the English source texts (the person's language set to English), so they
check what the pages say without depending on the French catalogue's wording.
"""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from mutualis.people.models import User
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Ticket
from tests.conftest import Cast

from .conftest import Desk


def in_english(as_user, user: User) -> Client:  # type: ignore[no-untyped-def]
    """The test client logged in as `user`, whose pages are in English."""
    user.language = "en"
    user.save(update_fields=["language"])
    return as_user(user)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small, valid PNG image (grey pixels), built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_exif() -> Image.Exif:
    """What a phone writes into a photo: its make, which way it was held, where it was."""
    exif = Image.Exif()
    exif[0x010F] = "Fairphone"
    exif[ORIENTATION] = 6  # held upright: the picture is to be turned a quarter
    exif[GPS_IFD] = {1: "N", 2: (48.0, 48.0, 17.0), 3: "E", 4: (2.0, 7.0, 50.0)}
    return exif


def picture() -> Image.Image:
    """A small picture with some detail (a gradient), for lossless comparisons."""
    return Image.radial_gradient("L").convert("RGB").resize((64, 48))


def jpeg_with_location() -> bytes:
    """A JPEG photo as a phone sends it: EXIF with the place, and a comment."""
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", exif=phone_exif(), quality=90)
    data = buffer.getvalue()
    return data[:2] + b"\xff\xfe\x00\x14Rue de la Paroisse" + data[2:]


XMP_WITH_PLACE = b"<x:xmpmeta><exif:GPSLatitude>48,48.28N</exif:GPSLatitude></x:xmpmeta>"
RED = (255, 0, 0)


def heic_with_location() -> bytes:
    """An iPhone's HEIC photo, made with pillow-heif: a 64×48 picture whose top left corner
    (as the sensor saw it) is red, taken with the phone held upright: its EXIF says so
    (orientation 6) and the container's rotation property (irot) too, as an iPhone writes
    them. The EXIF also holds the device and the place; an XMP item the place again."""
    shot = Image.new("RGB", (64, 48), "white")
    shot.paste(RED, (0, 0, 16, 12))
    buffer = io.BytesIO()
    pillow_heif.from_pillow(shot).save(buffer, exif=phone_exif().tobytes(), xmp=XMP_WITH_PLACE, quality=90)
    return buffer.getvalue()


def heic_that_cannot_be_decoded() -> bytes:
    """heic_with_location whose coded picture is blanked: its container is whole (the
    quick check at upload lets it through), its HEVC stream decodes to nothing."""
    sent = heic_with_location()
    start = sent.index(b"mdat") + 4
    return sent[:start] + bytes(len(sent) - start)


def shown_upright(photo: Image.Image) -> bool:
    """The picture of heic_with_location as the phone showed it: turned a quarter clockwise,
    48×64, its red corner at the top right."""
    rgb = photo.convert("RGB")
    return (
        rgb.size == (48, 64) and _near(rgb.getpixel((44, 3)), RED) and _near(rgb.getpixel((3, 3)), (255,) * 3)
    )


def _near(pixel: object, colour: tuple[int, ...]) -> bool:
    """Equal to `colour` but for what lossy compression changes (a few levels)."""
    return isinstance(pixel, tuple) and all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


def photo(name: str = "ecran.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def program_named_pdf() -> SimpleUploadedFile:
    """A Windows program renamed to look like a PDF."""
    return SimpleUploadedFile("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "application/pdf")


def broken_screen(cast: Cast, desk: Desk, *, by: User | None = None, title: str = "Écran fissuré") -> Ticket:
    """A ticket declared by alice (or `by`) at the collège about its tablet."""
    return services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title=title,
        description="Tombée en classe.",
        answers=[
            {"key": "usable", "label": "Utilisable ?", "kind": "yes_no", "value": "no", "display": "Non"}
        ],
        assets=[desk.tablet],
        by=by or cast.alice,
    )


def camera(cast: Cast, desk: Desk, *, title: str = "Caméra du parking") -> Ticket:
    """A ticket declared by alice at the fire station."""
    return services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title=title, by=cast.alice
    )


def ticket_html(client: Client, ticket: Ticket) -> str:
    """The ticket's page as `client`'s person gets it (asserted found)."""
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()
