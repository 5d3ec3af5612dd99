"""The NGSI-LD query language (ETSI GS CIM 009 v1.8, 4.9) and the scope query language (4.19).

`parse_q(text, ctx)` turns the `q` of a query or a subscription into a `Query` whose
`matches(entity)` tests an entity in the internal form (see `ngsild/__init__.py`). Attribute
and sub-attribute names are expanded through the @context once, at parse time, so matching
never looks at a context and a parsed query can be kept (subscriptions) and reused.

What the grammar of 4.9 accepts here:

    Query      = Term / "(" Query ")" combined with ";" (AND) and "|" (OR); AND binds tighter
    Term       = Path                          ; the attribute (or member) exists
               / Path Op Value                 ; == != > >= < <=
               / Path ("==" / "!=") List       ; "x","y": any of the values
               / Path ("==" / "!=") Range      ; 1..10: inclusive bounds
               / Path ("~=" / "!~=") Pattern   ; a regular expression, quoted or not
    Path       = Name *("." Name) [ "[" Name *("." Name) "]" / 1*("[" Name "]") ]
    Value      = Number / "quoted string" / true / false / DateTime / Date / Time / URI

`a.b` is the sub-attribute b of the attribute a, `a.observedAt`, `a.unitCode`, `a.datasetId`,
`a.createdAt` and `a.modifiedAt` are the core members of a's instances, `a[b.c]` (or `a[b][c]`)
is the member c of the member b inside the compound value of a. A Relationship compares its
object, a LanguageProperty its strings (`a[fr]`: the French one), a VocabProperty its IRI (a
quoted term is also expanded as a vocabulary term), a ListProperty its items. When the value
is an array, a term holds when one of its items satisfies it. A multi-attribute (several
datasetIds) satisfies a term when one of its instances does.

Errors are `BadRequestData` "Invalid q: <reason> at position N: <excerpt>", N counting
characters from 1. The parser bounds its own cost (length, nesting, list size), so no input
can make it fail otherwise or run for long.

Patterns use Python's `re` syntax and are searched anywhere in a string (anchor with ^ and
$). Because `re` backtracks without a timeout, a pattern is refused when it nests
repetitions (`(a+)+`, `(a|b)*`) or has more than one unbounded repetition (`*`, `+`, `{n,}`:
use `{1,100}`), and a pattern keeping an unbounded repetition without a leading ^ searches
only the first MAX_SEARCHED_LENGTH characters of a value.

Not supported: full IRIs containing "." as attribute names (the "." is the path separator;
use a term of the @context instead), and the `!` negation of NGSI-LD 1.9.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, Protocol

from .errors import BadRequestData, NgsiLdError

if TYPE_CHECKING:
    from .context import ActiveContext

# A URL rarely exceeds 8 KB anyway; the bound keeps parsing and matching costs predictable for
# the queries stored in subscriptions too.
MAX_QUERY_LENGTH = 4096
# Deeper nesting has no practical use and would only let a client exhaust the recursion.
MAX_NESTING = 20
MAX_LIST_VALUES = 100
# Python's `re` has no timeout. A short pattern without nested repetition and with one
# unbounded repetition at most costs, per value, the square of the length searched at worst
# (about 20 ms for MAX_SEARCHED_LENGTH characters); see `_count_unbounded`.
MAX_PATTERN_LENGTH = 200
MAX_UNBOUNDED_REPEATS = 1
# Such a pattern, when not anchored with "^", searches only the first characters of a value:
# names, addresses and identifiers are far shorter, long texts are searched in their start.
MAX_SEARCHED_LENGTH = 1000

# The members of an attribute instance that `a.<member>` designates (4.9) instead of a
# sub-attribute: NGSI-LD core keywords, never expanded.
CORE_MEMBERS = frozenset({"observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt"})

_NAME = re.compile(r"[^\s.\[\]()=!<>~;|\",']+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"]+")
_FRACTION = re.compile(r"\.(\d+)")
# Longest operators first, so that "!~=" is not read as "!" followed by "~=".
_OPERATORS = ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<")
_ORDERING = frozenset({">", ">=", "<", "<="})


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


def _parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 DateTime or Date as an aware UTC datetime; naive values are taken as UTC
    (4.6.3: NGSI-LD times are UTC)."""
    if _DATE.fullmatch(text):
        text += "T00:00:00"
    elif not _DATETIME.fullmatch(text):
        return None
    # `fromisoformat` of Python 3.11 wants at most 6 fractional digits.
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_time(text: str) -> time | None:
    if not _TIME.fullmatch(text):
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
        return target if math.isfinite(target) else None
    if kind == "boolean":
        return target if isinstance(target, bool) else None
    if not isinstance(target, str):
        return None
    if kind == "datetime":
        return _parse_datetime(target)
    if kind == "time":
        return _parse_time(target)
    return target


def _equals(target: Any, literal: Literal) -> bool:
    if literal.vocab is not None and target == literal.vocab:
        return True
    value = _coerce(target, literal.kind)
    return value is not None and value == literal.value


def _compare(target: Any, op: str, literal: Literal) -> bool:
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


# --- The query tree ------------------------------------------------------------------------------


class _Predicate(Protocol):
    def __call__(self, item: Any, /) -> bool: ...


@dataclass(frozen=True)
class _All:
    parts: tuple[_Predicate, ...]

    def __call__(self, item: Any, /) -> bool:
        return all(part(item) for part in self.parts)


@dataclass(frozen=True)
class _Any:
    parts: tuple[_Predicate, ...]

    def __call__(self, item: Any, /) -> bool:
        return any(part(item) for part in self.parts)


@dataclass(frozen=True)
class _Term:
    """One QueryTerm of 4.9 on an entity in the internal form."""

    path: AttrPath
    op: str | None = None  # None: existence
    values: tuple[Literal, ...] = ()  # one value, or the list of "any of"
    bounds: tuple[Literal, Literal] | None = None  # a range
    pattern: _Pattern | None = None

    def __call__(self, entity: Any, /) -> bool:
        attrs = entity.get("attrs") if isinstance(entity, dict) else None
        instances = attrs.get(self.path.attribute) if isinstance(attrs, dict) else None
        if not isinstance(instances, list):
            return False
        # 4.9: a multi-attribute satisfies the term when one of its instances does.
        return any(self._instance_matches(instance) for instance in instances if isinstance(instance, dict))

    def _instance_matches(self, instance: dict[str, Any]) -> bool:
        candidates = self.path.candidates(instance)
        if not candidates:
            return False
        if self.op is None:
            return True
        # "!=" and "!~=" hold when the value exists and no item satisfies "==" / "~=".
        if self.op == "!=":
            return not any(self._equal(candidate) for candidate in candidates)
        if self.op == "!~=":
            return not any(self._search(candidate) for candidate in candidates)
        if self.op == "==":
            return any(self._equal(candidate) for candidate in candidates)
        if self.op == "~=":
            return any(self._search(candidate) for candidate in candidates)
        literal = self.values[0]
        return any(_compare(candidate, self.op, literal) for candidate in candidates)

    def _equal(self, candidate: Any) -> bool:
        if self.bounds is not None:
            low, high = self.bounds
            return _compare(candidate, ">=", low) and _compare(candidate, "<=", high)
        return any(_equals(candidate, literal) for literal in self.values)

    def _search(self, candidate: Any) -> bool:
        return (
            isinstance(candidate, str) and self.pattern is not None and bool(self.pattern.search(candidate))
        )


@dataclass(frozen=True)
class Query:
    """A parsed `q` (4.9)."""

    text: str
    attribute_iris: frozenset[str]  # the attributes named (first path segment, expanded)
    _root: _Predicate

    def matches(self, entity: dict[str, Any]) -> bool:
        return self._root(entity)


@dataclass(frozen=True)
class ScopeQuery:
    """A parsed `scopeQ` (4.19)."""

    text: str
    _root: _Predicate

    def matches(self, scopes: list[str] | None) -> bool:
        return self._root(scopes or [])


# --- Parsing -------------------------------------------------------------------------------------


class _Parser(ABC):
    """Recursive descent over the boolean structure shared by q (4.9) and scopeQ (4.19):
    ";" (AND) binds tighter than "|" (OR), parentheses group."""

    label = "q"

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, reason: str, pos: int | None = None) -> BadRequestData:
        at = self.pos if pos is None else pos
        excerpt = self.text[at : at + 30] or "(end of text)"
        return BadRequestData(f"Invalid {self.label}: {reason} at position {at + 1}: {excerpt!r}")

    def parse(self) -> _Predicate:
        if not isinstance(self.text, str):
            raise BadRequestData(f"Invalid {self.label}: expected a string, not {type(self.text).__name__}.")
        if not self.text.strip():
            raise BadRequestData(f"Invalid {self.label}: the query is empty.")
        if len(self.text) > MAX_QUERY_LENGTH:
            raise BadRequestData(
                f"Invalid {self.label}: the query has {len(self.text)} characters, more than the {MAX_QUERY_LENGTH} allowed."
            )
        root = self.disjunction()
        self.skip_spaces()
        if self.pos < len(self.text):
            if self.text[self.pos] == ")":
                raise self.fail('unbalanced ")"')
            raise self.fail('expected ";", "|" or the end of the query')
        return root

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_spaces()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def disjunction(self) -> _Predicate:
        parts = [self.conjunction()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _Any(tuple(parts))

    def conjunction(self) -> _Predicate:
        parts = [self.primary()]
        while self.peek() == ";":
            self.pos += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else _All(tuple(parts))

    def primary(self) -> _Predicate:
        char = self.peek()
        if char == "(":
            if self.depth >= MAX_NESTING:
                raise self.fail(f"parentheses nested more than {MAX_NESTING} deep")
            opening = self.pos
            self.pos += 1
            self.depth += 1
            inner = self.disjunction()
            self.depth -= 1
            if self.peek() != ")":
                raise self.fail(f'unclosed "(" (opened at position {opening + 1})')
            self.pos += 1
            return inner
        if char in ("", ";", "|", ")"):
            raise self.fail("expected a query term")
        return self.term()

    @abstractmethod
    def term(self) -> _Predicate:
        """One term of the language, at `self.pos`."""


class _QParser(_Parser):
    def __init__(self, text: str, ctx: ActiveContext):
        super().__init__(text)
        self.ctx = ctx
        self.attributes: set[str] = set()

    def name(self, what: str) -> str:
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail(f"expected {what}")
        self.pos = match.end()
        return match.group()

    def path(self) -> AttrPath:
        names = [self.name("an attribute name")]
        while self.pos < len(self.text) and self.text[self.pos] == ".":
            self.pos += 1
            names.append(self.name('a sub-attribute name after "."'))
        members: list[str] = []
        if self.pos < len(self.text) and self.text[self.pos] == "[":
            # 4.9 compound values: `a[b.c]`, also written `a[b][c]`.
            while self.pos < len(self.text) and self.text[self.pos] == "[":
                self.pos += 1
                members.append(self.name('a member name after "["'))
                while self.pos < len(self.text) and self.text[self.pos] == ".":
                    self.pos += 1
                    members.append(self.name('a member name after "."'))
                if self.pos >= len(self.text) or self.text[self.pos] != "]":
                    raise self.fail('expected "]" to close the member path')
                self.pos += 1
        core = names[-1] if len(names) > 1 and names[-1] in CORE_MEMBERS else None
        if core is not None:
            names.pop()
            if members:
                raise self.fail(f"{core} has no members to select with [...]")
        attribute = self.ctx.expand_term(names[0])
        self.attributes.add(attribute)
        return AttrPath(
            attribute=attribute,
            sub=tuple(self.ctx.expand_term(name) for name in names[1:]),
            core=core,
            members=tuple(members),
        )

    def term(self) -> _Predicate:
        path = self.path()
        self.skip_spaces()
        if self.pos >= len(self.text) or self.text[self.pos] in ";|)":
            return _Term(path)  # 4.9: a bare attribute: it exists
        op = next((op for op in _OPERATORS if self.text.startswith(op, self.pos)), None)
        if op is None:
            if self.text[self.pos] == "=":
                raise self.fail('"=" is not an operator, use "=="')
            raise self.fail(
                'expected an operator (== != > >= < <= ~= !~=), ";", "|" or ")" after the attribute path'
            )
        self.pos += len(op)
        self.skip_spaces()
        if op in ("~=", "!~="):
            return _Term(path, op, pattern=self.pattern())
        start = self.pos
        end = self.value_end(start)
        self.pos = end
        raw = self.text[start:end].rstrip()
        if not raw:
            raise self.fail(f'missing value after "{op}"', start)
        items = self.split_outside_quotes(raw, ",", start)
        if len(items) > 1:
            if op not in ("==", "!="):
                raise self.fail(f'a list of values is only allowed with "==" and "!=", not "{op}"', start)
            if len(items) > MAX_LIST_VALUES:
                raise self.fail(f"more than {MAX_LIST_VALUES} values in the list", start)
            for text, at in items:
                if len(self.split_outside_quotes(text, "..", at)) > 1:
                    raise self.fail("a list of values cannot hold a range", at)
            return _Term(path, op, values=tuple(self.literal(text, at) for text, at in items))
        bounds = self.split_outside_quotes(raw, "..", start)
        if len(bounds) == 2:
            if op not in ("==", "!="):
                raise self.fail(f'a range is only allowed with "==" and "!=", not "{op}"', start)
            low, high = (self.literal(text, at) for text, at in bounds)
            if low.kind != high.kind or low.kind not in ("number", "string", "datetime", "time"):
                raise self.fail(
                    "a range needs two numbers, strings, DateTimes, Dates or Times of the same kind", start
                )
            return _Term(path, op, bounds=(low, high))
        if len(bounds) > 2:
            raise self.fail('a range has exactly two bounds ("low..high")', start)
        literal = self.literal(raw, start)
        if op in _ORDERING and literal.kind in ("boolean", "uri"):
            what = (
                "a boolean"
                if literal.kind == "boolean"
                else 'an unquoted URI (quote it to compare as a string: "…")'
            )
            raise self.fail(f'"{op}" cannot compare {what}', start)
        return _Term(path, op, values=(literal,))

    def value_end(self, start: int) -> int:
        """Where a value ends: the first ";", "|" or ")" outside double quotes."""
        pos, quoted = start, False
        while pos < len(self.text):
            char = self.text[pos]
            if quoted and char == "\\":
                pos += 2
                continue
            if char == '"':
                quoted = not quoted
            elif not quoted and char in ";|)":
                return pos
            pos += 1
        if quoted:
            raise self.fail("unterminated quoted string", self.text.rfind('"', start))
        return pos

    def split_outside_quotes(self, raw: str, separator: str, offset: int) -> list[tuple[str, int]]:
        parts: list[tuple[str, int]] = []
        pos, begin, quoted = 0, 0, False
        while pos < len(raw):
            if quoted and raw[pos] == "\\":
                pos += 2
                continue
            if raw[pos] == '"':
                quoted = not quoted
            elif not quoted and raw.startswith(separator, pos):
                parts.append((raw[begin:pos], offset + begin))
                pos += len(separator)
                begin = pos
                continue
            pos += 1
        parts.append((raw[begin:], offset + begin))
        return parts

    def literal(self, raw: str, at: int) -> Literal:
        """One Value of 4.9."""
        stripped = raw.strip()
        at += len(raw) - len(raw.lstrip())
        if not stripped:
            raise self.fail("missing value", at)
        if stripped.startswith('"'):
            text, end = self.unquote(stripped, at)
            if end != len(stripped):
                raise self.fail("unexpected text after the closing quote", at + end)
            return Literal("string", text, vocab=self.vocab(text))
        if stripped in ("true", "false"):
            return Literal("boolean", stripped == "true")
        if _NUMBER.fullmatch(stripped):
            number = float(stripped) if any(c in stripped for c in ".eE") else int(stripped)
            if not math.isfinite(number):
                raise self.fail("number out of range", at)
            return Literal("number", number)
        if _DATE.fullmatch(stripped) or _DATETIME.fullmatch(stripped):
            moment = _parse_datetime(stripped)
            if moment is None:
                raise self.fail("invalid DateTime or Date", at)
            return Literal("datetime", moment)
        if _TIME.fullmatch(stripped):
            clock = _parse_time(stripped)
            if clock is None:
                raise self.fail("invalid Time", at)
            return Literal("time", clock)
        if _URI.fullmatch(stripped):
            return Literal("uri", stripped, vocab=self.vocab(stripped))
        raise self.fail(
            'a text value must be quoted (name=="text"); not a number, boolean, DateTime or URI', at
        )

    def unquote(self, raw: str, at: int) -> tuple[str, int]:
        """The content of the string opening `raw` and the index after its closing quote.
        Only \\" and \\\\ are escapes; other backslashes stay (regular expressions need them)."""
        out: list[str] = []
        pos = 1
        while pos < len(raw):
            char = raw[pos]
            if char == "\\" and pos + 1 < len(raw) and raw[pos + 1] in '"\\':
                out.append(raw[pos + 1])
                pos += 2
                continue
            if char == '"':
                return "".join(out), pos + 1
            out.append(char)
            pos += 1
        raise self.fail("unterminated quoted string", at)

    def vocab(self, text: str) -> str | None:
        try:
            expanded = self.ctx.expand_vocab(text)
        except NgsiLdError:
            return None  # a text that is no vocabulary term simply has no IRI
        return expanded if expanded != text else None

    def pattern(self) -> _Pattern:
        """The RegExp of 4.9: a quoted string, or bare text up to ";" or "|" outside the
        pattern's own parentheses (so `a~=(x|y)` keeps its alternation)."""
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos] == '"':
            source, length = self.unquote(self.text[start:], start)
            self.pos = start + length
        else:
            depth = 0
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if char == "\\":
                    self.pos += 2
                    continue
                if char == "(":
                    depth += 1
                elif char == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif char in ";|" and depth == 0:
                    break
                self.pos += 1
            self.pos = min(self.pos, len(self.text))
            source = self.text[start : self.pos].rstrip()
        if not source:
            raise self.fail("missing regular expression", start)
        if len(source) > MAX_PATTERN_LENGTH:
            raise self.fail(f"regular expression longer than {MAX_PATTERN_LENGTH} characters", start)
        source = _REDUNDANT_TAIL.sub("", _REDUNDANT_HEAD.sub(r"\1", source, count=1), count=1)
        try:
            unbounded = _count_unbounded(source)
        except ValueError as refusal:
            raise self.fail(f"regular expression refused: {refusal}", start) from None
        try:
            regex = re.compile(source)
        except (re.error, OverflowError, RecursionError) as error:
            raise self.fail(f"invalid regular expression ({error})", start) from None
        # An unanchored search retries at every position: with one unbounded repetition the
        # cost grows with the square of the value's length, hence the bound.
        anchored = bool(_ANCHORED.match(source))
        return _Pattern(regex, limit=MAX_SEARCHED_LENGTH if unbounded and not anchored else None)


@dataclass(frozen=True)
class _Pattern:
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


def parse_q(text: str, ctx: ActiveContext) -> Query:
    """Parse an NGSI-LD `q` (4.9); attribute names are expanded through `ctx`."""
    parser = _QParser(text, ctx)
    root = parser.parse()
    return Query(text=text, attribute_iris=frozenset(parser.attributes), _root=root)


# --- scopeQ (4.19) --------------------------------------------------------------------------------

_SCOPE_LEVEL = re.compile(r"[^\s/;|()+#]+")


def _scope_matcher(levels: tuple[str, ...]) -> Callable[[Any], bool]:
    """4.19: "+" matches exactly one level, a final "#" the scope itself and any descendant."""
    descendants = bool(levels) and levels[-1] == "#"
    fixed = levels[:-1] if descendants else levels

    def level_match(pattern: str, level: str) -> bool:
        return pattern in ("+", level)

    def one(scope: object) -> bool:
        if not isinstance(scope, str) or not scope.startswith("/"):
            return False
        parts = scope[1:].split("/") if scope != "/" else []
        if len(parts) < len(fixed) or (not descendants and len(parts) != len(fixed)):
            return False
        return all(level_match(pattern, level) for pattern, level in zip(fixed, parts, strict=False))

    def matcher(scopes: Any) -> bool:
        return any(one(scope) for scope in _iter_scopes(scopes))

    return matcher


def _iter_scopes(scopes: Any) -> Iterable[Any]:
    return scopes if isinstance(scopes, list) else [scopes]


class _ScopeParser(_Parser):
    label = "scopeQ"

    def term(self) -> _Predicate:
        start = self.pos
        levels: list[str] = []
        while self.pos < len(self.text) and self.text[self.pos] == "/":
            self.pos += 1
            if levels and levels[-1] == "#":
                raise self.fail('"#" can only be the last level', self.pos - 1)
            char = self.text[self.pos] if self.pos < len(self.text) else ""
            if char in ("+", "#"):
                levels.append(char)
                self.pos += 1
                continue
            match = _SCOPE_LEVEL.match(self.text, self.pos)
            if not match:
                raise self.fail('expected a scope level, "+" or "#" after "/"')
            levels.append(match.group())
            self.pos = match.end()
        if not levels:
            raise self.fail('a scope starts with "/"', start)
        following = self.peek()
        if following not in ("", ";", "|", ")"):
            raise self.fail('expected ";", "|", ")" or the end after the scope')
        return _scope_matcher(tuple(levels))


def parse_scope_q(text: str) -> ScopeQuery:
    """Parse an NGSI-LD `scopeQ` (4.19): `/a/b`, `/a/+`, `/a/#`, combined with ";" and "|"."""
    return ScopeQuery(text=text, _root=_ScopeParser(text).parse())
