"""Whole numbers read from what people and clients type: query strings, URNs, file cells.

`str.isdigit()` also accepts "²" and other scripts' digits, which `int()` refuses or reads
differently, and `int()` refuses more than 4,300 digits (CPython's guard against quadratic
conversion), where a database column holds 18. A number read from outside goes through
`whole_number`: ASCII digits only, of a bounded length, or None.
"""

from __future__ import annotations

# Every number of this many digits fits a PostgreSQL bigint (up to 9.2 × 10^18) and SQLite's
# integers: longer ones are no id, cursor or page of ours.
MAX_DIGITS = 18


def whole_number(text: str, *, signed: bool = False, max_digits: int = MAX_DIGITS) -> int | None:
    """`text` as a whole number (a leading "-" only when `signed`), or None when it is not
    one of at most `max_digits` ASCII digits."""
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)
