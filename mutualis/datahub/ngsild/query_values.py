"""Values and paths of the NGSI-LD query language (ETSI GS CIM 009 v1.8, 4.9): the literals
a `q` compares with, how a stored value is brought to a literal's kind, and where a term
looks inside an entity in the internal form (see `ngsild/__init__.py` and `query.py`)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

# The members of an attribute instance that `a.<member>` designates (4.9) instead of a
# sub-attribute: NGSI-LD core keywords, never expanded.
CORE_MEMBERS = frozenset({"observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt"})

NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?")
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"]+")
_FRACTION = re.compile(r"\.(\d+)")


# --- Literals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A value written in a query. Dates are held as midnight-UTC datetimes: a Date compares
    with DateTime values as the start of that day."""

    kind: str  # "number" | "string" | "boolean" | "datetime" | "time" | "uri"
    value: Any
    # A quoted string or URI read as a vocabulary term (@vocab), to compare with VocabProperty
    # values, which the hub keeps expanded.
    vocab: str | None = None


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 DateTime or Date as an aware UTC datetime; naive values are taken as UTC
    (4.6.3: NGSI-LD times are UTC)."""
    if DATE.fullmatch(text):
        text += "T00:00:00"
    elif not DATETIME.fullmatch(text):
        return None
    # `fromisoformat` of Python 3.11 wants at most 6 fractional digits.
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # OverflowError: year 1 east of UTC, or year 9999 west of it, has no UTC instant.
        # A literal is then refused; a stored string such a time compares as no DateTime
        # (before, it failed every query of its tenant).
        return None


def parse_time(text: str) -> time | None:
    if not TIME.fullmatch(text):
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.removesuffix("Z"), count=1)
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _coerce(target: Any, kind: str) -> Any:
    """The target value in the domain of a literal's kind, or None when they cannot compare
    (a number never equals a string, a boolean is not a number)."""
    if isinstance(target, dict) and "@value" in target:
        # A typed JSON-LD value such as {"@type": "DateTime", "@value": "…"} (4.6.3).
        target = target["@value"]
    if kind == "number":
        if isinstance(target, bool) or not isinstance(target, int | float):
            return None
        # An integer is finite however long (entities keep integers beyond a double whole,
        # and Python compares them with floats exactly); math.isfinite() of one beyond
        # ±1.8e308 raised OverflowError, failing every query that met it.
        return None if isinstance(target, float) and not math.isfinite(target) else target
    if kind == "boolean":
        return target if isinstance(target, bool) else None
    if not isinstance(target, str):
        return None
    if kind == "datetime":
        return parse_datetime(target)
    if kind == "time":
        return parse_time(target)
    return target


def equals(target: Any, literal: Literal) -> bool:
    if literal.vocab is not None and target == literal.vocab:
        return True
    value = _coerce(target, literal.kind)
    return value is not None and value == literal.value


def compare(target: Any, op: str, literal: Literal) -> bool:
    value = _coerce(target, literal.kind)
    if value is None:
        return False
    if op == ">":
        return bool(value > literal.value)
    if op == ">=":
        return bool(value >= literal.value)
    if op == "<":
        return bool(value < literal.value)
    return bool(value <= literal.value)


# --- Paths into an entity ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttrPath:
    """Where a term looks: an attribute, sub-attributes, a core member or value members."""

    attribute: str  # expanded IRI
    sub: tuple[str, ...] = ()  # expanded sub-attribute IRIs
    core: str | None = None  # one of CORE_MEMBERS
    members: tuple[str, ...] = ()  # keys inside the (compound) value, as written

    def candidates(self, instance: dict[str, Any]) -> list[Any] | None:
        """The values of this path in one attribute instance, arrays flattened; None when the
        path does not exist there."""
        node: Any = instance
        for iri in self.sub:
            node = node.get(iri)
            if not isinstance(node, dict):
                return None
        if self.core is not None:
            member = node.get(self.core)
            return None if member is None else list(_flatten(member))
        value = _instance_value(node, by_language=bool(self.members))
        if value is None:
            return None
        for key in self.members:
            value = [item[key] for item in _flatten(value) if isinstance(item, dict) and key in item]
            if not value:
                return None
        return list(_flatten(value))


def _instance_value(instance: dict[str, Any], *, by_language: bool) -> Any:
    """What a term compares for each kind of attribute (4.5)."""
    kind = instance.get("type", "Property")
    if kind == "Relationship":
        return instance.get("object")
    if kind == "LanguageProperty":
        language_map = instance.get("languageMap")
        if not isinstance(language_map, dict):
            return None
        # `a[fr]` picks a language; a bare `a` compares every string of the map.
        return language_map if by_language else list(language_map.values())
    if kind == "VocabProperty":
        return instance.get("vocab")
    if kind == "ListProperty":
        return instance.get("valueList")
    if kind == "JsonProperty":
        return instance.get("json")
    return instance.get("value")


def _flatten(value: Any, depth: int = 0) -> Iterator[Any]:
    # Stored values come from JSON, so the bound only guards against pathological nesting.
    if isinstance(value, list) and depth < 16:
        for item in value:
            yield from _flatten(item, depth + 1)
    else:
        yield value
