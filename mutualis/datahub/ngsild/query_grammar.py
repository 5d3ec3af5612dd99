"""The boolean structure shared by the NGSI-LD query language `q` (4.9) and the scope query
language `scopeQ` (4.19): terms combined with ";" (AND) and "|" (OR), AND binding tighter,
parentheses grouping. Each language's parser (`query.py`, `scope_query.py`) reads its own
terms; errors are `BadRequestData` "Invalid q: <reason> at position N: <excerpt>"."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import BadRequestData

# A URL rarely exceeds 8 KB anyway; the bound keeps parsing and matching costs predictable for
# the queries stored in subscriptions too.
MAX_QUERY_LENGTH = 4096
# Deeper nesting has no practical use and would only let a client exhaust the recursion.
MAX_NESTING = 20


class Predicate(Protocol):
    def __call__(self, item: Any, /) -> bool: ...


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Predicate, ...]

    def __call__(self, item: Any, /) -> bool:
        return all(part(item) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Predicate, ...]

    def __call__(self, item: Any, /) -> bool:
        return any(part(item) for part in self.parts)


class Parser(ABC):
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

    def parse(self) -> Predicate:
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

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def conjunction(self) -> Predicate:
        parts = [self.primary()]
        while self.peek() == ";":
            self.pos += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def primary(self) -> Predicate:
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
    def term(self) -> Predicate:
        """One term of the language, at `self.pos`."""
