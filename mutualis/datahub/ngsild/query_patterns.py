"""Regular expressions of the NGSI-LD query language (4.9, `~=` and `!~=`), kept cheap.

Patterns use Python's `re` syntax and are searched anywhere in a string (anchor with ^ and
$). Because `re` backtracks without a timeout, a pattern is refused when it nests
repetitions (`(a+)+`, `(a|b)*`) or has more than one unbounded repetition (`*`, `+`, `{n,}`:
use `{1,100}`), and a pattern keeping an unbounded repetition without a leading ^ searches
only the first MAX_SEARCHED_LENGTH characters of a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadRequestData

# Python's `re` has no timeout. A short pattern without nested repetition and with one
# unbounded repetition at most costs, per value, the square of the length searched at worst
# (about 20 ms for MAX_SEARCHED_LENGTH characters); see `_count_unbounded`.
MAX_PATTERN_LENGTH = 200
MAX_UNBOUNDED_REPEATS = 1
# Such a pattern, when not anchored with "^", searches only the first characters of a value:
# names, addresses and identifiers are far shorter, long texts are searched in their start.
MAX_SEARCHED_LENGTH = 1000


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    limit: int | None  # search only this many first characters of a value

    def search(self, text: str) -> bool:
        return self.regex.search(text if self.limit is None else text[: self.limit]) is not None


# A search finds the same values with or without a leading or trailing ".*" (it may match
# nothing), and without them `.*lampe.*` costs no backtracking.
_REDUNDANT_HEAD = re.compile(r"^(\(\?[aiLmsux]+\))?\.\*(?![*+?{])")
_REDUNDANT_TAIL = re.compile(r"(?<!\\)\.\*$")
# Anchored at the start of the value (no MULTILINE flag): `re` tries a single position.
_ANCHORED = re.compile(r"(\(\?[aiLsux]+\))?\^")
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")
# Past this count, a {m,n} repetition backtracks like an unbounded one.
_BOUNDED_REPEAT_MAX = 100


def _skip_class(source: str, pos: int) -> int:
    """The index after the character class opening at `pos` ("[")."""
    pos += 1
    if pos < len(source) and source[pos] == "^":
        pos += 1
    if pos < len(source) and source[pos] == "]":
        pos += 1  # a leading "]" is literal
    while pos < len(source) and source[pos] != "]":
        pos += 2 if source[pos] == "\\" else 1
    return pos + 1


def _repetition_at(source: str, pos: int) -> tuple[int, bool] | None:
    """The repetition operator at `pos`, as (length, unbounded), or None. "?" is left out:
    at most one more try, it cannot make backtracking explode on its own."""
    if pos >= len(source):
        return None
    if source[pos] in "*+":
        return 1, True
    braces = _BRACES.match(source, pos)
    if braces is None or (not braces.group(1) and not braces.group(3)):
        return None  # "{" without a count is a literal brace in Python's syntax
    low, comma, high = braces.groups()
    if comma and not high:
        return braces.end() - pos, True
    return braces.end() - pos, int(high or low) > _BOUNDED_REPEAT_MAX


def _count_unbounded(source: str) -> int:
    """How many unbounded repetitions the pattern has; ValueError (the reason) when its
    backtracking could explode.

    Python's `re` backtracks: a repeated group that itself repeats or alternates (`(a+)+`,
    `(a|aa)*`) takes exponential time on a crafted value, two unbounded repetitions that
    can consume the same characters (`[a-z]+[a-z]+1`) take cubic time. Both are refused;
    what people write (`^Rue`, `(?i)paris`, `.*lampe.*`, `(Nord|Sud)`, `\\d{1,5}-\\d+`) passes.
    """
    # Per open group: does it contain a repetition or an alternation?
    risky = [False]
    unbounded = 0
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            pos = _skip_class(source, pos)
            continue
        if char == "(":
            risky.append(False)
            pos += 1
            if pos < len(source) and source[pos] == "?":
                pos += 1  # (?:…) (?i) (?P<name>…): the "?" is syntax, not a repetition
            continue
        repetition = _repetition_at(source, pos)
        if char == ")":
            inner = risky.pop() if len(risky) > 1 else False
            repetition = _repetition_at(source, pos + 1)
            if repetition and inner:
                raise ValueError(
                    "a repeated group contains a repetition or an alternation, as in (a+)+ or (a|b)*"
                )
            risky[-1] = risky[-1] or inner
            pos += 1
        elif repetition:
            risky[-1] = True
            unbounded += repetition[1]
            if unbounded > MAX_UNBOUNDED_REPEATS:
                raise ValueError(
                    f"more than {MAX_UNBOUNDED_REPEATS} unbounded repetition (*, +, {{n,}}); "
                    f"use a bounded one such as {{1,{_BOUNDED_REPEAT_MAX}}}"
                )
            pos += repetition[0]
        else:
            if char in "|?":
                risky[-1] = True
            pos += 1
    return unbounded


def compile_pattern(source: str) -> Pattern:
    """The pattern, compiled with its search bound; ValueError with the reason when it is
    refused or invalid."""
    source = _REDUNDANT_TAIL.sub("", _REDUNDANT_HEAD.sub(r"\1", source, count=1), count=1)
    try:
        unbounded = _count_unbounded(source)
    except ValueError as refusal:
        raise ValueError(f"regular expression refused: {refusal}") from None
    try:
        regex = re.compile(source)
    except (re.error, OverflowError, RecursionError) as error:
        raise ValueError(f"invalid regular expression ({error})") from None
    # An unanchored search retries at every position: with one unbounded repetition the
    # cost grows with the square of the value's length, hence the bound.
    anchored = bool(_ANCHORED.match(source))
    return Pattern(regex, limit=MAX_SEARCHED_LENGTH if unbounded and not anchored else None)


def compile_id_pattern(source: str, *, name: str) -> re.Pattern[str]:
    """An idPattern (5.7.2, 5.2.8) compiled; BadRequestData naming `name` when it is no
    regular expression: `re` refuses some with re.error, a repetition count beyond its
    limit (`a{99999999999}`) with OverflowError and groups nested too deep with
    RecursionError, both of which were 500s."""
    try:
        return re.compile(source)
    except (re.error, OverflowError, RecursionError) as error:
        raise BadRequestData(f"{name} {source!r} is not a valid regular expression: {error}.") from None
