"""Files are judged by their content: a program renamed .pdf is refused."""

import hashlib
import io
import struct
import zipfile
import zlib

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from mutualis.servicedesk.attachments import check_upload, check_uploads, clean_name
from mutualis.servicedesk.photo_metadata import without_metadata
from mutualis.servicedesk.photo_reencoding import PhotoUnreadableError, heic_as_jpeg

from .pages import (
    GPS_IFD,
    ORIENTATION,
    XMP_WITH_PLACE,
    heic_that_cannot_be_decoded,
    heic_with_location,
    jpeg_with_location,
    phone_exif,
    picture,
    shown_upright,
)

MB = 1_000_000


def office(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def saved(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, image_format)
    return buffer.getvalue()


DOCX = office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODS = office({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", saved("JPEG"), "image/jpeg"),
        ("capture.PNG", saved("PNG"), "image/png"),
        ("anime.gif", saved("GIF"), "image/gif"),
        ("photo.webp", saved("WEBP"), "image/webp"),
        ("devis.pdf", b"%PDF-1.7\n%...", "application/pdf"),
        ("rapport.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("tableau.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
        ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "application/x-ole-storage"),
        ("journal.txt", "Écran noir depuis lundi".encode(), "text/plain"),
        ("liste.csv", b"tag;etat\nTAB-1;HS\n", "text/csv"),
    ],
)
def test_accepted_files(name: str, data: bytes, content_type: str) -> None:
    checked = check_upload(SimpleUploadedFile(name, data), max_bytes=MB)
    assert checked.kind.content_type == content_type
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("facture.pdf", b"MZ\x90\x00" + b"\x00" * 64, "un programme Windows"),
        ("photo.jpg", b"%PDF-1.4 ...", "PDF"),
        ("rapport.docx", office({"evil.exe": b"MZ"}), "une archive ZIP"),
        ("script.sh", b"#!/bin/sh\nrm -rf /", "ne peut pas être joint"),
        ("setup.exe", b"MZ" + b"\x00" * 64, "ne peut pas être joint"),
        ("image.png", b"\x7fELF\x02\x01", "un programme Linux"),
    ],
)
def test_disguised_or_forbidden_files_are_refused_with_what_they_are(
    name: str, data: bytes, says: str
) -> None:
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, data), max_bytes=MB)
    assert says in error.value.messages[0]


def test_size_and_count_limits() -> None:
    big = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff" + b"\x00" * (2 * MB))
    with pytest.raises(ValidationError, match="jusqu’à 1 Mo"):
        check_upload(big, max_bytes=MB)
    files = [SimpleUploadedFile(f"p{i}.txt", b"ok") for i in range(6)]
    with pytest.raises(ValidationError, match="Au plus 5 fichiers"):
        check_uploads(files, max_bytes=MB, max_count=5)
    with pytest.raises(ValidationError, match="est vide"):
        check_upload(SimpleUploadedFile("vide.txt", b""), max_bytes=MB)


def test_one_bad_file_refuses_them_all() -> None:
    files = [SimpleUploadedFile("ok.txt", b"ok"), SimpleUploadedFile("bad.pdf", b"MZ" + b"\x00" * 10)]
    with pytest.raises(ValidationError) as error:
        check_uploads(files, max_bytes=MB, max_count=5)
    assert len(error.value.messages) == 1


def test_names_lose_their_folders_and_control_characters() -> None:
    assert clean_name("C:\\Users\\x\\photo.jpg") == "photo.jpg"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("rapport\x00\n.pdf") == "rapport.pdf"
    assert clean_name(".htaccess") == "htaccess"
    assert clean_name("a" * 300 + ".pdf").endswith(".pdf")


def test_a_text_that_happens_to_start_with_mz_is_still_text() -> None:
    checked = check_upload(SimpleUploadedFile("notes.txt", b"MZ-Technologies: devis"), max_bytes=MB)
    assert checked.kind.content_type == "text/plain"


def test_a_size_over_the_limit_is_said_with_a_french_decimal_comma() -> None:
    big = SimpleUploadedFile("plan.jpg", b"\xff\xd8\xff" + b"\x00" * (2_400_000))
    with pytest.raises(ValidationError) as error:
        check_upload(big, max_bytes=MB)
    assert error.value.messages[0].startswith("« plan.jpg » fait 2,4 Mo ; les fichiers jusqu’à 1 Mo")


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def test_a_jpeg_loses_its_place_device_comments_and_second_pictures_not_its_pixels() -> None:
    sent = jpeg_with_location()
    # A phone's second picture (depth map, preview) after the first, with its own EXIF.
    trailing = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00GPS-2\xff\xd9"
    checked = check_upload(SimpleUploadedFile("photo.jpg", sent + trailing), max_bytes=MB)
    kept = checked.data
    exif = Image.open(io.BytesIO(kept)).getexif()
    assert exif.get_ifd(GPS_IFD) == {}
    assert dict(exif) == {ORIENTATION: 6}  # which way up, and nothing else
    for said in (b"Fairphone", b"Rue de la Paroisse", b"GPS-2"):
        assert said not in kept
    assert pixels(kept) == pixels(sent)
    assert checked.sha256 == hashlib.sha256(kept).hexdigest()


def test_a_progressive_jpeg_with_a_colour_profile_keeps_the_profile() -> None:
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", exif=phone_exif(), progressive=True, icc_profile=b"profil ICC" * 8)
    sent = buffer.getvalue()
    kept = check_upload(SimpleUploadedFile("photo.jpeg", sent), max_bytes=MB).data
    image = Image.open(io.BytesIO(kept))
    assert image.info["icc_profile"] == b"profil ICC" * 8
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert pixels(kept) == pixels(sent)


def test_png_and_webp_lose_their_exif_texts_and_xmp() -> None:
    texts = PngImagePlugin.PngInfo()
    texts.add_text("Location", "48.8049 N 2.1204 E")
    png = io.BytesIO()
    picture().save(png, "PNG", exif=phone_exif(), pnginfo=texts)
    webp = io.BytesIO()
    picture().save(webp, "WEBP", exif=phone_exif(), xmp=b"<x:xmpmeta>48.8049 N</x:xmpmeta>", lossless=True)
    for name, sent in (("capture.png", png.getvalue()), ("photo.webp", webp.getvalue())):
        kept = check_upload(SimpleUploadedFile(name, sent), max_bytes=MB).data
        assert b"Fairphone" in sent
        assert b"Fairphone" not in kept
        assert b"48.8049" not in kept
        image = Image.open(io.BytesIO(kept))
        assert dict(image.getexif()) == {ORIENTATION: 6}
        assert pixels(kept) == pixels(sent)


def test_a_photo_whose_blocks_cannot_be_followed_is_saved_again_from_its_pixels() -> None:
    """Two stray bytes after its EXIF: a decoder reads on, the blocks cannot be sorted. It
    was kept as sent, the place with it; it is now written again from its pixels alone."""
    sent = jpeg_with_location()
    app1 = sent.index(b"\xff\xe1")
    (length,) = struct.unpack(">H", sent[app1 + 2 : app1 + 4])
    odd = sent[: app1 + 2 + length] + b"\x00\x00" + sent[app1 + 2 + length :]
    assert Image.open(io.BytesIO(odd)).getexif().get_ifd(GPS_IFD)  # the place, readable
    kept = check_upload(SimpleUploadedFile("photo.jpg", odd), max_bytes=MB).data
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}  # no place, no device; the orientation applied:
    assert image.size == (48, 64)
    assert b"Fairphone" not in kept
    assert b"Rue de la Paroisse" not in kept
    assert without_metadata("application/pdf", b"%PDF-1.7 /GPS") == b"%PDF-1.7 /GPS"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "JPEG"),  # a length of zero
        ("capture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "PNG"),
        ("anime.gif", b"GIF89a" + b"\x00" * 32, "GIF"),
        ("IMG_2041.HEIC", heic_with_location()[:-40], "HEIC"),  # cut short
    ],
)
def test_a_photo_that_cannot_be_decoded_is_refused_saying_what_to_do(
    name: str, data: bytes, kind: str
) -> None:
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, data), max_bytes=MB)
    assert error.value.code == "unreadable"
    assert error.value.messages[0] == (
        f"« {name} » ne peut pas être lu comme une photo {kind} : il est peut-être abîmé ou "
        "incomplet. Ouvrez-le sur votre appareil et enregistrez-le de nouveau (ou faites-en une "
        "capture d’écran), puis joignez le nouveau fichier."
    )


def png_declaring(width: int, height: int) -> bytes:
    """A few bytes of PNG whose header announces a picture of width × height, and whose
    chunks then stop short: what a decompression bomb looks like until it is decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"\x00\x00\x10\x00IDAT" + b"\x78\x9c" * 8


def heic_declaring(width: int, height: int) -> bytes:
    """A real HEIC photo of 64×64 pixels whose image size property (ispe) announces
    width × height."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 64), "white")).save(buffer, quality=50)
    ispe = b"ispe\x00\x00\x00\x00"
    data = buffer.getvalue()
    assert data.count(ispe + struct.pack(">II", 64, 64)) == 1
    return data.replace(ispe + struct.pack(">II", 64, 64), ispe + struct.pack(">II", width, height))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # 81 megapixels: just over the limit, under Pillow's own (89.5).
        ("plan.png", png_declaring(9000, 9000)),
        # 400 megapixels, over what Pillow refuses to open.
        ("plan.png", png_declaring(20000, 20000)),
        ("IMG_2041.HEIC", heic_declaring(12000, 9000)),
    ],
)
def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(name: str, data: bytes) -> None:
    assert len(data) < 2000
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, data), max_bytes=MB)
    assert error.value.code == "too_many_pixels"
    assert error.value.messages[0] == (
        f"« {name} » est une image de plus de 80 mégapixels, plus que ce qui peut être lu ici. "
        "Envoyez-en une copie de plus faible résolution (les téléphones proposent une taille "
        "réduite quand on partage une photo par e-mail)."
    )


def frames(data: bytes) -> list[bytes]:
    image = Image.open(io.BytesIO(data))
    seen = []
    for index in range(image.n_frames):
        image.seek(index)
        seen.append(image.convert("RGB").tobytes())
    return seen


def test_a_gif_loses_its_comments_and_xmp_not_its_frames_or_loop() -> None:
    buffer = io.BytesIO()
    first, second = picture(), picture().rotate(180)
    first.save(
        buffer,
        "GIF",
        save_all=True,
        append_images=[second],
        loop=0,
        duration=200,
        comment=b"Rue de la Paroisse",
    )
    made = buffer.getvalue()
    # XMP in an application extension (XMP part 3, 1.1.2): the packet, then the "magic
    # trailer" of 258 bytes that a reader walking the sub-blocks skips through.
    xmp = b"<x:xmpmeta><exif:GPSLatitude>48,48.28N</exif:GPSLatitude></x:xmpmeta>"
    extension = b"\x21\xff\x0bXMP DataXMP" + xmp + b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    colours = 3 << ((made[10] & 7) + 1)  # the global colour table, after the 13-byte header
    sent = made[: 13 + colours] + extension + made[13 + colours :]
    assert Image.open(io.BytesIO(sent)).info["comment"] == b"Rue de la Paroisse"

    kept = check_upload(SimpleUploadedFile("ecran.gif", sent), max_bytes=MB).data
    for said in (b"Rue de la Paroisse", b"XMP DataXMP", b"48,48.28N"):
        assert said in sent
        assert said not in kept
    image = Image.open(io.BytesIO(kept))
    assert "comment" not in image.info
    assert (image.info["loop"], image.info["duration"], image.n_frames) == (0, 200, 2)
    assert frames(kept) == frames(sent)


@pytest.mark.parametrize("name", ["IMG_2041.HEIC", "IMG_2041.heif", "IMG_2041.jpg"])
def test_a_heic_photo_is_checked_from_its_header_and_left_to_convert(name: str) -> None:
    """Converting takes about a second: the upload only checks the header and hands the
    file on as sent, to be kept as IMG_2041.jpg once a job has converted it."""
    sent = heic_with_location()
    checked = check_upload(SimpleUploadedFile(name, sent), max_bytes=MB)
    assert (checked.name, checked.kind.content_type, checked.converted_from) == (
        "IMG_2041.jpg",
        "image/heic",
        name,
    )
    assert checked.to_convert
    assert checked.data == sent
    assert checked.sha256 == hashlib.sha256(sent).hexdigest()


def test_a_heic_photo_is_converted_to_a_jpeg_the_right_way_up_without_its_metadata() -> None:
    """An iPhone's own format, which few computers open: kept as JPEG, turned as the phone
    showed it, with nothing of its EXIF (the place, the device) or XMP."""
    sent = heic_with_location()
    assert b"Fairphone" in sent
    assert XMP_WITH_PLACE in sent
    kept = heic_as_jpeg(sent)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "xmp" not in image.info
    assert shown_upright(image)
    for said in (b"Fairphone", b"48,48.28N", b"Exif"):
        assert said not in kept


def test_a_heic_photo_whose_picture_is_damaged_passes_the_header_check_not_the_conversion() -> None:
    damaged = heic_that_cannot_be_decoded()
    assert check_upload(SimpleUploadedFile("IMG_2041.HEIC", damaged), max_bytes=MB).to_convert
    with pytest.raises(PhotoUnreadableError):
        heic_as_jpeg(damaged)


def test_a_heic_photo_named_as_another_kind_is_refused_as_disguised() -> None:
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("devis.pdf", heic_with_location()), max_bytes=MB)
    assert error.value.messages[0].startswith(
        "« devis.pdf » n’est pas un vrai fichier PDF : son contenu est un fichier HEIC."
    )
