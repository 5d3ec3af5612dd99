"""Files are judged by their content: a program renamed .pdf is refused."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.servicedesk.attachments import check_upload, check_uploads, clean_name

MB = 1_000_000


def office(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODS = office({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("capture.PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
        ("iphone.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32, "image/heic"),
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
