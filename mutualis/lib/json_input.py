"""JSON sent to the product, read strictly: the numbers a database can store, the depth a
person or a program can mean.

Python's `json` reads `1e400` as infinity (no database column or JSON document stores it:
a site's name became "inf", an id an overflow, an entity a failed constraint), NaN and
Infinity literals that are not JSON at all, and nests until the interpreter's recursion
limit, then fails with a RecursionError. Found by probing the write APIs with hostile
bodies; each of these ended in a server error. Here they are a ValueError, which every
caller turns into a 400 naming the problem.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Far deeper than any document of the product (an NGSI-LD entity with sub-attributes holding
# a GeoJSON polygon is about ten), far below the interpreter's recursion limit.
MAX_DEPTH = 100


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259, section 6)")


# As many digits as the largest double has (about 1.8e308): a longer integer is no value any
# column or document of the product holds. int() itself refuses more than 4,300 digits,
# with advice for the server's programmer (sys.set_int_max_str_digits) that reached clients.
MAX_INTEGER_DIGITS = 309


def _whole(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise ValueError(
            f"the number {text[:20]}… has {digits} digits; numbers have at most {MAX_INTEGER_DIGITS}"
        )
    return int(text)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large to store")
    return number


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` (parsed JSON) nests lists and objects more than `limit` deep; walked
    without recursion, so that the check itself cannot overflow."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def strict_loads(data: str | bytes) -> Any:
    """`json.loads`, refusing non-finite numbers, integers beyond MAX_INTEGER_DIGITS,
    NaN/Infinity, nesting beyond MAX_DEPTH and bytes that are not strictly in their encoding
    with a ValueError (also raised for invalid JSON, as json.loads does)."""
    if isinstance(data, bytes | bytearray):
        # json.loads decodes bytes with "surrogatepass": the UTF-8 bytes of a lone surrogate
        # (ED A0 80), which are no UTF-8 (RFC 3629 §3), became a string no database stores,
        # past every check for the escape \ud800 (a 500 when written). Decoded strictly, it
        # is a UnicodeDecodeError, a ValueError like any unreadable body.
        data = data.decode(json.detect_encoding(data))
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite, parse_int=_whole)
    except RecursionError:
        raise ValueError(f"the JSON nests lists and objects more than {MAX_DEPTH} deep") from None
    if too_deep(value):
        raise ValueError(f"the JSON nests lists and objects more than {MAX_DEPTH} deep")
    return value


class StrictJSONParser(JSONParser):
    """DRF's JSON parser reading with `strict_loads` (the API's default JSON parser)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            return strict_loads(stream.read().decode(encoding))
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
