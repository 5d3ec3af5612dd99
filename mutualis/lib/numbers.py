"""Numbers read from what people and clients type or send: query strings, URNs, file cells,
JSON values.

`str.isdigit()` also accepts "²" and other scripts' digits, which `int()` refuses or reads
differently, and `int()` refuses more than 4,300 digits (CPython's guard against quadratic
conversion), where a database column holds 18. A number read from outside goes through
`whole_number`: ASCII digits only, of a bounded length, or None.
"""

from __future__ import annotations

import math

# Every number of this many digits fits a PostgreSQL bigint (up to 9.2 × 10^18) and SQLite's
# integers: longer ones are no id, cursor or page of ours.
MAX_DIGITS = 18
# The largest integer a PostgreSQL bigint or an SQLite INTEGER holds, so the largest id.
MAX_ID = 2**63 - 1


def whole_number(text: str, *, signed: bool = False, max_digits: int = MAX_DIGITS) -> int | None:
    """`text` as a whole number (a leading "-" only when `signed`), or None when it is not
    one of at most `max_digits` ASCII digits."""
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def length_over(declared: str, limit: int) -> bool:
    """Whether a declared length (an HTTP Content-Length, read from outside) says more than
    `limit` bytes: ASCII digits only ("²" is a digit to isdigit() and no number to int()),
    and beyond MAX_DIGITS digits past any limit (int() refuses 4,300). Anything else is not a
    length, and says nothing: the reading that follows keeps its own bound."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    return len(declared) > MAX_DIGITS or int(declared) > limit


def fits_an_id(number: int) -> bool:
    """Whether the database can compare `number` with an id column. A JSON integer may be
    far larger: Django guards `pk=` against it, not `pk__in=`, where SQLite's driver raised
    OverflowError (a 500) for a list of ids holding 2^63."""
    return -MAX_ID - 1 <= number <= MAX_ID


def is_double(number: float) -> bool:
    """Whether `number` (an int or a float) is a finite double. JSON allows integers beyond
    ±1.8e308, which `mutualis.lib.json_input` reads whole up to 309 digits: math.isfinite()
    of one raises OverflowError, where a check of "finite" was meant to say no."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False
