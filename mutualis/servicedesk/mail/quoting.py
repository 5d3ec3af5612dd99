"""What a person wrote in a reply, without the history their mail program quoted below it.

Kept: the text above the first of these marks; dropped: the mark and all below it.
- our own line, identity.REPLY_ABOVE, first line of every notification (quoted or not);
- an attribution line, "Le <date>, <nom> a écrit :" (Gmail, Thunderbird, Apple Mail in
  French) or "On <date>, <name> wrote:", possibly wrapped over two lines; it must hold a
  digit (the date), so that a sentence like "Le technicien a écrit :" is not one;
- a separator, "-----Message d'origine-----", "-----Original Message-----", Zimbra's
  "----- Mail original -----";
- Outlook's header block, "De : … / Envoyé : … / À : … / Objet : …" (or From/Sent/To/
  Subject), with the line of underscores Outlook puts above it;
then, from what remains: the ">"-quoted lines at the end, the signature after a "-- "
line (RFC 3676 §4.3; "--" too, as some programs strip the space), and a last line like
"Envoyé de mon iPhone".
"""

from __future__ import annotations

import re

from .identity import REPLY_ABOVE

_ATTRIBUTION = [
    re.compile(r"^\s*Le\s.{3,250}\sa\s+écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*On\s.{3,250}\swrote\s*:\s*$", re.IGNORECASE),
]
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(message d['’]origine|original message|mail original|message original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?\s*(De|From)\s*:\s*\*?\s*\S", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^\s*\*?\s*(Envoyé|Sent|Date)\s*:", re.IGNORECASE)
_HEADER_OTHER = re.compile(r"^\s*\*?\s*(À|A|To|Cc|Objet|Subject)\s*:", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")
_SIGNATURE = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"^\s*(Envoyé de mon|Envoyé depuis|Sent from my|Get Outlook for|Obtenir Outlook pour)\b.{0,60}$",
    re.IGNORECASE,
)


def _is_attribution(line: str, following: str | None) -> bool:
    candidates = [line]
    if following is not None:
        candidates.append(f"{line.rstrip()} {following.strip()}")
    return any(
        pattern.match(text) and re.search(r"\d", text) for text in candidates for pattern in _ATTRIBUTION
    )


def _is_outlook_header(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = lines[index + 1 : index + 6]
    return any(_HEADER_DATE.match(line) for line in following) and any(
        _HEADER_OTHER.match(line) for line in following
    )


def _history_starts(lines: list[str]) -> int:
    """The index of the first line of quoted history, or len(lines) when there is none."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue  # no mark is a blank line (and what follows one is found on its own line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if REPLY_ABOVE in line or _SEPARATOR.match(line) or _is_attribution(line, following):
            return index
        if _is_outlook_header(lines, index):
            above = index
            while above > 0 and (not lines[above - 1].strip() or _UNDERSCORES.match(lines[above - 1])):
                above -= 1
            return above
    return len(lines)


def _trim_end(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def strip_quoted(text: str) -> str:
    """The text a person wrote, without quoted history and signature (module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _trim_end(lines[: _history_starts(lines)])
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line):
            lines = _trim_end(lines[:index])
            break
    if lines and _SENT_FROM.match(lines[-1]):
        lines = _trim_end(lines[:-1])
    # Sliced once: popping the first line each time made a message of blank lines
    # quadratic (1.6 MB of line breaks took eight minutes).
    first = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    lines = lines[first:]
    return "\n".join(line.rstrip() for line in lines)
