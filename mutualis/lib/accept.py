"""The media ranges of an HTTP Accept header (RFC 9110 12.5.1), read once for both APIs."""

from __future__ import annotations


def accept_ranges(header: str) -> list[tuple[float, int, str]]:
    """(-quality, position, media range) of each range with a quality above 0, best first
    (the earlier of equal qualities first); an unreadable quality counts as 0."""
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        quality = 1.0
        for parameter in parts[1:]:
            key, _sep, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, position, media))
    return sorted(ranges)
