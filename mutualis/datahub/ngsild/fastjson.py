"""JSON on the hub's hot path: orjson where it gives the same result as `json`, `json` for
the rest.

Measured on a batch of a thousand entities (docs/benchmarks-history.md): parsing the request,
reading the rows' attributes and writing them back cost tens of milliseconds with `json`,
a few with orjson. orjson is stricter than `json` in a few corners (NaN and Infinity
literals, integers beyond 64 bits, lone surrogates): there, `json` decides, so that what
the hub accepts and the errors it gives do not change.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from mutualis.lib.json_input import strict_loads


def loads(data: bytes | str) -> Any:
    """`json.loads(data)`, faster; raises what `json.loads` raises (a ValueError).

    NaN and Infinity, which `json` alone would accept, are refused: they are not JSON, and
    no value of the hub may hold them (orjson would write them back as null)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # What orjson refuses, `json` reads strictly (numbers too large for a double, nesting
        # beyond the product's limit: mutualis.lib.json_input) or refuses with its message.
        return strict_loads(data)


def dumps(value: Any) -> str:
    """Compact JSON text of `value` (no spaces), as `json.dumps(value, separators=(",", ":"),
    ensure_ascii=False)` writes it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: a key that is not a string, a huge integer…
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
