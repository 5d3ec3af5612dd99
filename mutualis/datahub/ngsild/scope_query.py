"""The NGSI-LD scope query language (ETSI GS CIM 009 v1.8, 4.19): `scopeQ`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .query_grammar import Parser, Predicate


@dataclass(frozen=True)
class ScopeQuery:
    """A parsed `scopeQ` (4.19)."""

    text: str
    _root: Predicate

    def matches(self, scopes: list[str] | None) -> bool:
        return self._root(scopes or [])


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


class _ScopeParser(Parser):
    label = "scopeQ"

    def term(self) -> Predicate:
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
