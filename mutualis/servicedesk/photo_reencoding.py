"""Photos decoded and saved again, for those whose metadata cannot be dropped as blocks.

Two kinds of photo come here (photo_metadata handles all others without decoding them):

- HEIC photos (an iPhone's own format, sent as such by e-mail, from the Files app, the API):
  their EXIF, with the GPS position, and their XMP are items of an ISOBMFF container
  (ISO/IEC 23008-12) that could be blanked in place, but few can look at a HEIC file (no
  browser but Safari, Windows only with a paid extension). So they are decoded (libheif,
  bundled with pillow-heif) and kept as JPEG, which everyone reading the ticket can open.
- JPEG, PNG, WebP and GIF files whose block structure photo_metadata cannot follow (a
  writer's odd padding, a length that does not add up): what could be dropped is then not
  known, so the picture is decoded and saved again in its own format, from its pixels only.

Either way the new file is written from the pixels alone, so nothing the sender's device or
software wrote (place, time, device, thumbnails, comments) can come along; only the colour
profile is carried over, and which way up the picture is, applied to the pixels. The
cost is one lossy re-encoding (quality 90) and the time to decode: 0.5 to 1 s and 150 MB
of memory for a 12-megapixel HEIC photo of 2 to 3 MB on the reference machine, too long to
hold a page for (three photos held a declaration for 3.6 s). So an upload only checks a
HEIC photo from its header (`check_heic`, well under a millisecond), and the job
`servicedesk.convert_photo` converts it (services/files.py).
A file that cannot be decoded is refused (`PhotoUnreadableError`), and so is a picture of
more pixels than `MAX_PIXELS` (`PhotoTooLargeError`), checked from its header before any
pixel is decoded: a small file can declare a huge picture (a decompression bomb).
"""

from __future__ import annotations

import io
import struct
from typing import Any

import pillow_heif
from PIL import Image, ImageOps

# 80 megapixels, 240 MB once decoded (3 bytes a pixel): above the largest phone photos
# (48 MP on an iPhone, 50 MP on others' high-resolution modes), and below Pillow's own
# limit (Image.MAX_IMAGE_PIXELS, 89.5 MP), over which it warns as it opens a file.
MAX_PIXELS = 80_000_000
QUALITY = 90

# The Pillow format each content type is decoded as, and written back as.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
# What is kept of a decoded picture's `info`: how its colours are to be read, which of
# them is transparent (a palette's), its resolution. Nothing that names a place, a time or
# a device.
_KEPT_INFO = ("icc_profile", "transparency", "dpi")


class PhotoUnreadableError(Exception):
    """The file says it is a photo, but it cannot be decoded: it is refused."""


class PhotoTooLargeError(Exception):
    """The picture has more pixels than MAX_PIXELS: it is refused before being decoded."""


def check_heic(data: bytes) -> None:
    """What can be known of a HEIC photo without decoding it, in well under a millisecond:
    its boxes are whole (not cut short), libheif reads its container and finds a primary
    picture, of at most MAX_PIXELS. A file that passes may still fail to decode (its coded
    picture damaged): heic_as_jpeg says so later."""
    if not _boxes_whole(data):
        raise PhotoUnreadableError
    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        size = heif.size
    except Exception as exc:  # a parser fed a hostile file fails in many ways: all refuse it
        raise PhotoUnreadableError from exc
    _check_pixels(size)


def _boxes_whole(data: bytes) -> bool:
    """Whether the file's top-level boxes (ISO/IEC 14496-12 4.2: a 32-bit size and a type,
    a size of 1 meaning a 64-bit size follows, 0 running to the end of the file) end
    exactly where the file does: a photo cut short in transfer ends inside its last box."""
    pos, end = 0, len(data)
    while pos < end:
        if pos + 8 > end:
            return False
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        if size == 1:
            if pos + 16 > end:
                return False
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            if size < 16:
                return False
        elif size == 0:
            return True
        elif size < 8:
            return False
        pos += size
    return pos == end


def heic_as_jpeg(data: bytes) -> bytes:
    """A HEIC (or HEIF) photo as a JPEG photo of its primary picture, without metadata."""
    try:
        # Only the primary picture is decoded (to_pillow) and kept: not the depth maps,
        # auxiliary pictures and thumbnails the file may also hold.
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        _check_pixels(heif.size)
        # libheif applies the file's own orientation (its irot and imir properties) as it
        # decodes, and pillow-heif then sets the EXIF orientation to 1, so that nothing is
        # turned twice: the pixels come out the right way up.
        image = heif.to_pillow()
        icc_profile = image.info.get("icc_profile")
        if image.mode not in ("RGB", "L"):
            image = _flattened(image)
        return _saved(image, "JPEG", {"icc_profile": icc_profile})
    except PhotoTooLargeError:
        raise
    except Exception as exc:  # a decoder fed a hostile file fails in many ways: all refuse it
        raise PhotoUnreadableError from exc


def reencoded(content_type: str, data: bytes) -> bytes:
    """A JPEG, PNG, WebP or GIF photo decoded and written again in its own format, its
    orientation applied to its pixels, without metadata."""
    pillow_format = _PILLOW_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as opened:
            _check_pixels(opened.size)
            if getattr(opened, "n_frames", 1) > 1:
                # An animation whose blocks cannot be followed: its frames, delays and loop
                # would have to be rebuilt one by one; rare enough to be refused instead.
                raise PhotoUnreadableError
            opened.load()
            options: dict[str, Any] = {key: opened.info[key] for key in _KEPT_INFO if key in opened.info}
            if pillow_format in ("JPEG", "WEBP"):
                options["quality"] = QUALITY
            return _saved(ImageOps.exif_transpose(opened), pillow_format, options)
    except (PhotoTooLargeError, PhotoUnreadableError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooLargeError from exc
    except Exception as exc:  # a decoder fed a hostile file fails in many ways: all refuse it
        raise PhotoUnreadableError from exc


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise PhotoTooLargeError


def _flattened(image: Image.Image) -> Image.Image:
    """The picture in RGB, what JPEG holds: a transparent one laid on white, as a browser
    shows it on a page."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _saved(image: Image.Image, pillow_format: str, options: dict[str, Any]) -> bytes:
    # Pillow writes some of a picture's `info` (XMP, EXIF, comments) when it saves it: the
    # picture is saved from a copy with none of it, only what `options` names.
    clean = image.copy()
    clean.info = {}
    buffer = io.BytesIO()
    clean.save(buffer, pillow_format, **{key: value for key, value in options.items() if value is not None})
    return buffer.getvalue()
