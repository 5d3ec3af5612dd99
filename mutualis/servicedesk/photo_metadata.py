"""Taking what a photo says about its taker out of it before it is kept.

A phone writes into each photo where it was taken (EXIF GPS), when, with which device
(make, model, serial number), often a thumbnail of the uncropped picture, and editing
software adds its own notes (XMP, IPTC, comments). A ticket's files are read by the
operator's staff and by everyone of the member who follows the ticket: none of that is
theirs to read. So the metadata blocks of JPEG, PNG, WebP and GIF files are dropped without
decoding the picture (no loss of quality, and a photo is stored as sent otherwise), keeping
what the picture needs to be shown right: its colour profile, which way up it is (the EXIF
orientation, written back alone) and how an animation loops.

HEIC photos are not handled here: photo_reencoding turns them into JPEG.

Structures followed: JPEG markers (ITU-T T.81 B.1, B.2.4), the EXIF APP1 segment and its
TIFF header (CIPA DC-008 4.5, 4.6), PNG chunks (PNG 2nd ed. 5.3, 11.3), WebP's RIFF
container (RFC 9649 2.7), GIF89a's blocks (GIF89a specification, sections 17 to 27). A file
whose structure cannot be followed is not kept as sent, since what could be dropped is then
not known, metadata with the place included: it is decoded and written again from its
pixels (photo_reencoding), or refused when it cannot be decoded either.
"""

from __future__ import annotations

import struct
import zlib

from .photo_reencoding import reencoded

ORIENTATION_TAG = 0x0112
_SOI, _EOI, _SOS, _APP0, _APP1, _APP2, _APP14, _COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
# PNG chunks of text and time: where editors and phones write places, authors, dates.
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04
_GIF_IMAGE, _GIF_EXTENSION, _GIF_TRAILER = 0x2C, 0x21, 0x3B
# GIF extensions kept: the graphic control (a frame's delay and transparency) and the plain
# text drawn on the picture (GIF89a 23, 25); comments (24) and unknown labels are dropped.
_GIF_KEPT_LABELS = frozenset({0xF9, 0x01})
# Application extensions (GIF89a 26) kept, by identifier and authentication code: an
# animation's loop count (NETSCAPE2.0, and ANIMEXTS1.0, its other name) and the colour
# profile (ICCRGBG1012). Any other, XMP ("XMP DataXMP") first, is dropped.
_GIF_KEPT_APPLICATIONS = frozenset({b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"})


class _UnfollowableError(Exception):
    """The file's structure is not what its kind says: its blocks cannot be sorted."""


def without_metadata(content_type: str, data: bytes) -> bytes:
    """`data` without its metadata blocks, for the kinds of photo that carry them in a
    structure followed here; any other content (not a photo) is returned unchanged. A photo
    whose structure cannot be followed is decoded and written again without them, or
    refused: photo_reencoding.PhotoUnreadableError, PhotoTooLargeError."""
    if content_type == "image/heic":
        raise ValueError("a HEIC photo is converted to JPEG: photo_reencoding.heic_as_jpeg")
    strip = {"image/jpeg": _jpeg, "image/png": _png, "image/webp": _webp, "image/gif": _gif}.get(content_type)
    if strip is None:
        return data
    try:
        return strip(data)
    except _UnfollowableError:
        return reencoded(content_type, data)


def orientation(tiff: bytes) -> int | None:
    """The orientation (1 to 8) in EXIF data (a TIFF header and its first directory, with
    or without the "Exif" prefix of JPEG's APP1), or None."""
    if tiff.startswith(b"Exif\x00\x00"):
        tiff = tiff[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return None
    (first,) = struct.unpack(order + "I", tiff[4:8])
    if first + 2 > len(tiff):
        return None
    (count,) = struct.unpack(order + "H", tiff[first : first + 2])
    for index in range(count):
        start = first + 2 + 12 * index
        entry = tiff[start : start + 12]
        if len(entry) < 12:
            return None
        tag, kind, _count = struct.unpack(order + "HHI", entry[:8])
        if tag == ORIENTATION_TAG and kind == 3:  # SHORT
            (value,) = struct.unpack(order + "H", entry[8:10])
            return value if 1 <= value <= 8 else None
    return None


def _orientation_only(value: int) -> bytes:
    """EXIF data holding the orientation alone: a big-endian TIFF header, one directory of
    one entry, no next directory."""
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, ORIENTATION_TAG, 3, 1, value, 0, 0)


def _jpeg_keeps(marker: int, body: bytes) -> bool:
    """The segments before the picture that are kept: all but the application segments
    and comments, except JFIF (APP0), the colour profile (APP2 "ICC_PROFILE") and Adobe's
    colour transform (APP14), which the picture needs to be decoded right."""
    if marker == _COM:
        return False
    if 0xE0 <= marker <= 0xEF:
        return marker in (_APP0, _APP14) or (marker == _APP2 and body.startswith(b"ICC_PROFILE\x00"))
    return True


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise _UnfollowableError
    kept: list[bytes] = [b"\xff\xd8"]
    turned: int | None = None
    pos, size = 2, len(data)
    while True:
        if pos >= size or data[pos] != 0xFF:
            raise _UnfollowableError
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker (B.1.1.2)
            pos += 1
        if pos >= size:
            raise _UnfollowableError
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            # What follows the end of the picture (a phone's second pictures, with their
            # own metadata, announced in an APP2 "MPF" segment) is dropped with it.
            kept.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker in (0x01, _SOI):  # markers without a length
            kept.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > size:
            raise _UnfollowableError
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > size:
            raise _UnfollowableError
        body = data[pos + 2 : pos + length]
        segment = bytes((0xFF, marker)) + data[pos : pos + length]
        pos += length
        if marker == _APP1 and body.startswith(b"Exif\x00\x00") and turned is None:
            turned = orientation(body)
        if not _jpeg_keeps(marker, body):
            continue
        kept.append(segment)
        if marker == _SOS:
            # The coded picture runs up to the next marker that is neither a stuffed 0xFF
            # (FF 00) nor a restart (FF D0-D7).
            start = pos
            while True:
                found = data.find(b"\xff", pos)
                if found < 0 or found + 1 >= size:  # cut short: kept as far as it goes
                    kept.append(data[start:])
                    return _with_orientation(kept, turned)
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos = found + 2
                    continue
                kept.append(data[start:found])
                pos = found
                break
    return _with_orientation(kept, turned)


def _with_orientation(kept: list[bytes], turned: int | None) -> bytes:
    if turned is not None and turned != 1:
        exif = b"Exif\x00\x00" + _orientation_only(turned)
        app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        # Right after the start of image, or after JFIF's APP0 which must come first.
        at = 2 if len(kept) > 1 and kept[1].startswith(b"\xff\xe0") else 1
        kept.insert(at, app1)
    return b"".join(kept)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise _UnfollowableError
    kept: list[bytes] = [_PNG_SIGNATURE]
    turned: int | None = None
    pos, size = len(_PNG_SIGNATURE), len(data)
    while True:
        if pos + 12 > size:
            raise _UnfollowableError
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size:
            raise _UnfollowableError
        if kind == b"eXIf":
            turned = orientation(data[pos + 8 : pos + 8 + length])
        if kind not in _PNG_DROPPED:
            kept.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if len(kept) < 2 or kept[1][4:8] != b"IHDR":
        raise _UnfollowableError
    if turned is not None and turned != 1:
        kept.insert(2, _png_chunk(b"eXIf", _orientation_only(turned)))  # before the picture (11.3.6)
    return b"".join(kept)


def _webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _UnfollowableError
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data):
        raise _UnfollowableError
    kept: list[bytes] = []
    turned: int | None = None
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise _UnfollowableError
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        chunk_end = pos + 8 + length + (length & 1)  # chunks are padded to an even size
        if chunk_end > end:
            raise _UnfollowableError
        if kind == b"EXIF":
            turned = orientation(data[pos + 8 : pos + 8 + length])
        elif kind != b"XMP ":
            kept.append(data[pos:chunk_end])
        pos = chunk_end
    if kept and kept[0][:4] == b"VP8X" and len(kept[0]) >= 9:
        # The extended format's header says which of these chunks follow (RFC 9649 2.7.1).
        flags = kept[0][8] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
        if turned is not None and turned != 1:
            flags |= _WEBP_EXIF_FLAG
            exif = _orientation_only(turned)
            kept.append(b"EXIF" + struct.pack("<I", len(exif)) + exif)
        kept[0] = kept[0][:8] + bytes((flags,)) + kept[0][9:]
    body = b"".join(kept)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _gif_blocks_end(data: bytes, pos: int) -> int:
    """Where the data sub-blocks starting at `pos` end: each is its size in one byte then
    that many bytes, up to an empty one (GIF89a 15)."""
    size = len(data)
    while True:
        if pos >= size:
            raise _UnfollowableError
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos


def _gif_table_size(flags: int) -> int:
    """The size of the colour table a descriptor's flags announce (GIF89a 18, 20)."""
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _gif(data: bytes) -> bytes:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise _UnfollowableError
    pos, size = 13 + _gif_table_size(data[10]), len(data)  # header, screen, global colours
    kept: list[bytes] = [data[:pos]]
    while True:
        if pos >= size:
            raise _UnfollowableError
        introducer = data[pos]
        if introducer == _GIF_TRAILER:
            # As after a JPEG's end: whatever follows the trailer is dropped with it.
            kept.append(bytes((_GIF_TRAILER,)))
            break
        if introducer == _GIF_IMAGE:
            if pos + 10 > size:
                raise _UnfollowableError
            # Descriptor, local colours, the LZW code size, then the picture's blocks.
            end = _gif_blocks_end(data, pos + 10 + _gif_table_size(data[pos + 9]) + 1)
            kept.append(data[pos:end])
        elif introducer == _GIF_EXTENSION:
            if pos + 2 > size:
                raise _UnfollowableError
            label, end = data[pos + 1], _gif_blocks_end(data, pos + 2)
            # An application's first block holds its 8-byte identifier and 3-byte code.
            application = data[pos + 3 : pos + 14] if data[pos + 2] == 11 else b""
            if label in _GIF_KEPT_LABELS or (label == 0xFF and application in _GIF_KEPT_APPLICATIONS):
                kept.append(data[pos:end])
        else:
            raise _UnfollowableError
        pos = end
    return b"".join(kept)
