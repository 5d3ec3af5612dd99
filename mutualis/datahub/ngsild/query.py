"""The NGSI-LD query language (ETSI GS CIM 009 v1.8, 4.9), and the entry point of scopeQ (4.19).

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

Patterns are Python regular expressions, bounded in cost (`query_patterns.py`). The pieces:
`query_values.py` (literals, paths), `query_grammar.py` (";", "|", parentheses, shared with
`scope_query.py` for scopeQ, 4.19), `query_patterns.py` (regular expressions).

Not supported: full IRIs containing "." as attribute names (the "." is the path separator;
use a term of the @context instead), and the `!` negation of NGSI-LD 1.9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mutualis.lib.numbers import is_double

from .errors import NgsiLdError
from .query_grammar import MAX_NESTING, MAX_QUERY_LENGTH, Parser, Predicate
from .query_patterns import MAX_PATTERN_LENGTH, MAX_SEARCHED_LENGTH, Pattern, compile_pattern
from .query_values import (
    CORE_MEMBERS,
    DATE,
    DATETIME,
    NUMBER,
    TIME,
    URI,
    AttrPath,
    Literal,
    compare,
    equals,
    parse_datetime,
    parse_time,
)
from .scope_query import ScopeQuery, parse_scope_q

if TYPE_CHECKING:
    from .context import ActiveContext

# What other modules import from here (the pieces moved to query_*.py stay reachable).
__all__ = [
    "MAX_NESTING",
    "MAX_PATTERN_LENGTH",
    "MAX_QUERY_LENGTH",
    "MAX_SEARCHED_LENGTH",
    "AttrPath",
    "Literal",
    "Query",
    "ScopeQuery",
    "parse_q",
    "parse_scope_q",
]

MAX_LIST_VALUES = 100

_NAME = re.compile(r"[^\s.\[\]()=!<>~;|\",']+")
# Longest operators first, so that "!~=" is not read as "!" followed by "~=".
_OPERATORS = ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<")
_ORDERING = frozenset({">", ">=", "<", "<="})


# --- The query tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    """One QueryTerm of 4.9 on an entity in the internal form."""

    path: AttrPath
    op: str | None = None  # None: existence
    values: tuple[Literal, ...] = ()  # one value, or the list of "any of"
    bounds: tuple[Literal, Literal] | None = None  # a range
    pattern: Pattern | None = None

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
        return any(compare(candidate, self.op, literal) for candidate in candidates)

    def _equal(self, candidate: Any) -> bool:
        if self.bounds is not None:
            low, high = self.bounds
            return compare(candidate, ">=", low) and compare(candidate, "<=", high)
        return any(equals(candidate, literal) for literal in self.values)

    def _search(self, candidate: Any) -> bool:
        return (
            isinstance(candidate, str) and self.pattern is not None and bool(self.pattern.search(candidate))
        )


@dataclass(frozen=True)
class Query:
    """A parsed `q` (4.9)."""

    text: str
    attribute_iris: frozenset[str]  # the attributes named (first path segment, expanded)
    _root: Predicate

    def matches(self, entity: dict[str, Any]) -> bool:
        return self._root(entity)


# --- Parsing -------------------------------------------------------------------------------------


class _QParser(Parser):
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

    def term(self) -> Predicate:
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
        if NUMBER.fullmatch(stripped):
            number = float(stripped) if any(c in stripped for c in ".eE") else int(stripped)
            # is_double: math.isfinite() of an integer of 309 digits raised OverflowError.
            if not is_double(number):
                raise self.fail("number out of range", at)
            return Literal("number", number)
        if DATE.fullmatch(stripped) or DATETIME.fullmatch(stripped):
            moment = parse_datetime(stripped)
            if moment is None:
                raise self.fail("invalid DateTime or Date", at)
            return Literal("datetime", moment)
        if TIME.fullmatch(stripped):
            clock = parse_time(stripped)
            if clock is None:
                raise self.fail("invalid Time", at)
            return Literal("time", clock)
        if URI.fullmatch(stripped):
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

    def pattern(self) -> Pattern:
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
        try:
            return compile_pattern(source)
        except ValueError as refusal:
            raise self.fail(str(refusal), start) from None


def parse_q(text: str, ctx: ActiveContext) -> Query:
    """Parse an NGSI-LD `q` (4.9); attribute names are expanded through `ctx`."""
    parser = _QParser(text, ctx)
    root = parser.parse()
    return Query(text=text, attribute_iris=frozenset(parser.attributes), _root=root)
