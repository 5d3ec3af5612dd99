"""Attached files: what is accepted, judged by content, not by name.

A file is accepted when its first bytes (and, for office documents, the inside of the ZIP
container) match one of the allowed kinds *and* its extension names that same kind: an
executable renamed `.pdf` is refused, and so is a PDF named `.docx`. Accepted: photos
(JPEG, PNG, GIF, WebP, HEIC), PDF, office documents (Word, Excel, PowerPoint, in Office Open
XML, OpenDocument or the older binary formats), plain text and CSV. Photos are kept without
what their metadata says of who took them, where and with what (photo_metadata); a HEIC
photo (an iPhone's own format) is kept as a JPEG photo, named .jpg (photo_reencoding), but
not here: converting one takes about a second, so it is only checked from its header, kept
aside as sent and converted by a job (services/files.py). A photo that cannot be decoded,
or of too many pixels, is refused saying what to send instead.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .photo_metadata import without_metadata
from .photo_reencoding import MAX_PIXELS, PhotoTooLargeError, PhotoUnreadableError, check_heic

_T = TypeVar("_T")


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: frozenset[str]
    label: object  # a name or a lazy translation
    inline: bool = False  # shown in the browser rather than downloaded


JPEG = Kind("image/jpeg", frozenset({"jpg", "jpeg"}), "JPEG", inline=True)
PNG = Kind("image/png", frozenset({"png"}), "PNG", inline=True)
GIF = Kind("image/gif", frozenset({"gif"}), "GIF", inline=True)
WEBP = Kind("image/webp", frozenset({"webp"}), "WebP", inline=True)
HEIC = Kind("image/heic", frozenset({"heic", "heif", "hif"}), "HEIC")
PDF = Kind("application/pdf", frozenset({"pdf"}), "PDF")
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"docx"}), "Word"
)
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"xlsx"}), "Excel")
PPTX = Kind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    frozenset({"pptx"}),
    "PowerPoint",
)
ODT = Kind("application/vnd.oasis.opendocument.text", frozenset({"odt"}), "OpenDocument")
ODS = Kind("application/vnd.oasis.opendocument.spreadsheet", frozenset({"ods"}), "OpenDocument")
ODP = Kind("application/vnd.oasis.opendocument.presentation", frozenset({"odp"}), "OpenDocument")
LEGACY_OFFICE = Kind("application/x-ole-storage", frozenset({"doc", "xls", "ppt"}), "Office 97-2003")
TEXT = Kind("text/plain", frozenset({"txt", "log"}), gettext_lazy("text"))
CSV = Kind("text/csv", frozenset({"csv"}), "CSV")

# HEIC is accepted (kept as JPEG) but not listed: the form's file box then leaves it out,
# and an iPhone's or a Mac's Safari converts the photo to JPEG itself, sparing the server
# the decoding (about a second for a 12-megapixel photo).
ALLOWED_EXTENSIONS = sorted(
    ext
    for kind in (JPEG, PNG, GIF, WEBP, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, LEGACY_OFFICE, TEXT, CSV)
    for ext in kind.extensions
)
_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: Kind
    data: bytes
    sha256: str
    # The name it was sent with, when it is converted (a HEIC photo kept as JPEG).
    converted_from: str = ""

    @property
    def to_convert(self) -> bool:
        """A HEIC photo, checked from its header only: `data` is the file as sent, `name`
        the JPEG's it will become; a job converts it once it is kept."""
        return self.kind is HEIC


def clean_name(name: str) -> str:
    """The file's own name, without any folder a browser or a tool put before it, without
    control characters, at most 200 characters (keeping the extension)."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    base = base.lstrip(".") or "fichier"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base


def _what_it_is(head: bytes) -> str:
    """For the refusal message: what a refused file's content looks like."""
    if head.startswith(b"MZ"):
        return _("a Windows program")
    if head.startswith(b"\x7fELF"):
        return _("a Linux program")
    if head.startswith(b"#!"):
        return _("a script")
    if head.startswith(b"PK\x03\x04"):
        return _("a ZIP archive")
    if head.startswith((b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")):
        return _("a compressed archive")
    return _("an unrecognised kind of file")


# Programs and archives: refused whatever their name, even when their bytes decode as text.
_NEVER = (b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def _sniff(data: bytes) -> Kind | None:
    head = data[:16]
    # "MZ" starts Windows programs, and a few texts: a program has NUL bytes in its header.
    if head.startswith(_NEVER) or (head.startswith(b"MZ") and b"\x00" in data[:64]):
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if b"\x00" not in data[:8192]:
        try:
            data[:65536].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT
    return None


def _sniff_zip(data: bytes) -> Kind | None:
    """Office documents are ZIP files; tell them from any other ZIP by what they hold."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in _OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    return None


def check_upload(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    """Read and check one uploaded file; ValidationError with a sentence saying what to do."""
    name = clean_name(upload.name or "")
    size = upload.size or 0
    if size > max_bytes:
        raise ValidationError(
            _(
                "“%(name)s” is %(size)s MB; files up to %(limit)d MB are accepted. Send a smaller file or a photo of lower resolution."
            )
            # In the reader's own way of writing decimals: "30,4 Mo" in French.
            % {
                "name": name,
                "size": number_format(size / 1_000_000, decimal_pos=1),
                "limit": max_bytes // 1_000_000,
            },
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("“%(name)s” is too large.") % {"name": name}, code="too_large")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    kind = _sniff(data)
    if kind is TEXT and extension == "csv":
        kind = CSV
    if kind is HEIC and extension in HEIC.extensions | JPEG.extensions:
        # Some transfers name a HEIC photo .jpg: it is converted the same.
        _photo(name, HEIC, lambda: check_heic(data))
        return CheckedFile(
            name=f"{name.rpartition('.')[0]}.jpg",
            kind=HEIC,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            converted_from=name,
        )
    if kind is None or extension not in kind.extensions:
        found = _("a %(kind)s file") % {"kind": kind.label} if kind else _what_it_is(data[:16])
        if extension not in ALLOWED_EXTENSIONS:
            message = _(
                "“%(name)s” cannot be attached: accepted are photos, PDF, office documents and text (%(allowed)s)."
            )
        else:
            message = _(
                "“%(name)s” is not a real %(extension)s file: its content is %(found)s. Attach the document itself, saved as %(extension)s."
            )
        raise ValidationError(
            message
            % {
                "name": name,
                "allowed": ", ".join(ALLOWED_EXTENSIONS),
                "extension": extension.upper(),
                "found": found,
            },
            code="disguised" if kind is None or extension in ALLOWED_EXTENSIONS else "type",
        )
    cleaned = _photo(name, kind, lambda: without_metadata(kind.content_type, data))
    return CheckedFile(name=name, kind=kind, data=cleaned, sha256=hashlib.sha256(cleaned).hexdigest())


def photo_refusal(code: str, name: str, kind: Kind) -> str:
    """Why a photo was refused ("too_many_pixels", "unreadable"), said as what the person
    can do about it: at upload, and when its conversion failed later (Attachment.failure)."""
    if code == "too_many_pixels":
        return _(
            "“%(name)s” is a picture of more than %(limit)d megapixels, more than can be read here. Send a copy of lower resolution (phones offer a smaller size when a photo is shared by e-mail)."
        ) % {"name": name, "limit": MAX_PIXELS // 1_000_000}
    return _(
        "“%(name)s” cannot be read as a %(kind)s photo: it may be damaged or cut short. Open it on your device and save it again (or take a screenshot of it), then attach the new file."
    ) % {"name": name, "kind": kind.label}


def _photo(name: str, kind: Kind, clean: Callable[[], _T]) -> _T:
    """`clean()`, its refusals of a photo said as what the person can do about them."""
    try:
        return clean()
    except PhotoTooLargeError:
        raise ValidationError(photo_refusal("too_many_pixels", name, kind), code="too_many_pixels") from None
    except PhotoUnreadableError:
        raise ValidationError(photo_refusal("unreadable", name, kind), code="unreadable") from None


def check_uploads(uploads: list[UploadedFile], *, max_bytes: int, max_count: int) -> list[CheckedFile]:
    """Check every file before keeping any: one refused file, nothing kept."""
    if len(uploads) > max_count:
        raise ValidationError(
            _("At most %(count)d files per message; you sent %(sent)d.")
            % {"count": max_count, "sent": len(uploads)},
            code="too_many",
        )
    errors: list[ValidationError] = []
    checked = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload, max_bytes=max_bytes))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return checked
