"""Full-text search that works on both databases.

PostgreSQL (production): a stored `tsvector` column built with the French configuration
(stemming: "écrans cassés" finds "écran cassé"), matched with `websearch_to_tsquery` and a
GIN index. SQLite (the embedded default): the same normalised text matched word by word
with LIKE. Text is normalised before both (lower case, accents removed) so that "ecran"
finds "écran" on either database without PostgreSQL's unaccent extension.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import connection, models
from django.db.models import Func, Lookup, Q, QuerySet, Value

SEARCH_CONFIG = "french"
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: what is indexed and searched."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


class SearchVectorField(models.TextField):
    """A `tsvector` on PostgreSQL; an unused, empty text column elsewhere."""

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class ToVector(Func):
    function = "to_tsvector"
    template = f"%(function)s('{SEARCH_CONFIG}', %(expressions)s)"
    output_field = SearchVectorField()


@SearchVectorField.register_lookup
class Matches(Lookup):
    """`field__matches="écran cassé -vitre"`: the web-search syntax people know."""

    lookup_name = "matches"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ websearch_to_tsquery('{SEARCH_CONFIG}', {rhs})", (*lhs_params, *rhs_params)


def vector_of(text: str) -> ToVector | None:
    """The value to store in a SearchVectorField for `text` (None where unused)."""
    return ToVector(Value(normalise(text))) if connection.vendor == "postgresql" else None


def search(
    queryset: QuerySet[Any], query: str, *, vector_fields: list[str], text_fields: list[str]
) -> QuerySet[Any]:
    """Rows whose indexed text matches every word of `query` in any of the given fields."""
    query = normalise(query)
    if not query:
        return queryset
    if connection.vendor == "postgresql":
        condition = Q()
        for name in vector_fields:
            condition |= Q(**{f"{name}__matches": query})
        return queryset.filter(condition)
    # The same syntax, roughly: every word must appear, a word written -word must not.
    for term in query.split():
        excluded = term.startswith("-")
        for word in _WORD.findall(term):
            condition = Q()
            for name in text_fields:
                condition |= Q(**{f"{name}__contains": word})
            queryset = queryset.exclude(condition) if excluded else queryset.filter(condition)
    return queryset
