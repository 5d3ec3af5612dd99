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


# The accented letters of Latin-1 (the registry's names: French, the odd Spanish or German
# one) and the plain lower-case letter `normalise` makes of each. PostgreSQL lower-cases by
# the database's locale, which may be C (ASCII letters only): the capitals are listed too.
_ACCENTED = "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖŒÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
_PLAIN = "aaaaaaæceeeeiiiinoooooœuuuuyaaaaaaceeeeiiiinooooouuuuyy"  # letter for letter
# For SQLite's GLOB: each plain letter, and every letter that folds to it.
_VARIANTS: dict[str, str] = {}
for _letter, _plain in zip(_ACCENTED, _PLAIN, strict=True):
    _VARIANTS.setdefault(_plain, _plain + _plain.upper())
    _VARIANTS[_plain] += _letter
_GLOB_SPECIAL = frozenset("*?[]")
# A name is written with a straight apostrophe or a typographic one (word processors and
# phones put ’): "L'Étang-la-Ville" and "L’Étang-la-Ville" are the same name to whoever
# searches it, so `folded_contains` treats them alike, in the text typed and in the column.
_APOSTROPHES = "’‘ʼ"
_STRAIGHT = str.maketrans(dict.fromkeys(_APOSTROPHES, "'"))
# The straight apostrophe for each of them, doubled: it goes inside an SQL string literal.
_SQL_STRAIGHT = "''" * len(_APOSTROPHES)


def _glob_pattern(folded: str) -> str:
    """A GLOB pattern matching any text that contains `folded` (a `normalise`d string)
    written in any case and with any accents: "ecole" → *[eEÈÉÊËèéêë][cCÇç][oO…][lL][eE…]*."""
    parts = []
    for char in folded:
        if char in _VARIANTS:
            parts.append(f"[{_VARIANTS[char]}]")
        elif char.isascii() and char.isalpha():
            parts.append(f"[{char}{char.upper()}]")
        elif char == "'":
            parts.append(f"['{_APOSTROPHES}]")
        elif char in _GLOB_SPECIAL:
            parts.append(f"[{char}]")
        else:
            parts.append(char)
    return "*" + "".join(parts) + "*"


@models.CharField.register_lookup
@models.TextField.register_lookup
class FoldedContains(Lookup):
    """`name__folded_contains="ecole"`: a name containing the typed text whatever the case
    and the accents of either ("ecole", "ÉCOLE" and "école" all find "École Jules Ferry"), as
    the full-text search compares its words (`normalise`). PostgreSQL folds the column with
    translate() and compares with LIKE; SQLite, whose lower() knows only ASCII, matches the
    column as it is against a GLOB pattern listing each letter's variants (a C function, as
    fast as LIKE, where a Python function per row took ten times as long on the demo's
    37,000 pieces of equipment)."""

    lookup_name = "folded_contains"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} GLOB %s", (*lhs_params, _glob_pattern(_typed(self.rhs)))

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        typed = connection.ops.prep_for_like_query(_typed(self.rhs))
        return (
            f"translate(lower({lhs}), '{_ACCENTED}{_APOSTROPHES}', '{_PLAIN}{_SQL_STRAIGHT}') LIKE %s",
            (*lhs_params, f"%{typed}%"),
        )


def _typed(rhs: Any) -> str:
    """The text typed, as `normalise` folds it, with straight apostrophes only."""
    return normalise(str(rhs)).translate(_STRAIGHT)


def folded_contains(field: str, typed: str) -> Q:
    """Rows whose `field` contains `typed`, whatever the case and the accents of either."""
    return Q(**{f"{field}__folded_contains": typed})


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
