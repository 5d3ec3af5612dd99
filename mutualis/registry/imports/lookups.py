"""What rows refer to, fetched once per file into dictionaries: never one query per row.

Every lookup of members, sites and equipment is bounded to the acting operator, so a file
can never name, and an import never touch, another operator's rows: a SIREN of another
operator's member reads as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.utils.translation import gettext as _

from mutualis.registry.models import Commune, Member, MemberKind, Operator

from .columns import normalize
from .rows import CellError, zero_padded

T = TypeVar("T")

# Well under SQLite's limit on query parameters, and PostgreSQL plans short IN lists better.
CHUNK = 900


def in_chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class MemberIndex:
    """The operator's members by SIREN, and by INSEE code: the commune's code for a commune,
    the département's code for a département, the EPCI's SIREN for an EPCI."""

    def __init__(self, operator: Operator) -> None:
        self.operator = operator
        self._by_key: dict[str, Member] = {}
        self._territories: dict[int, dict[str, str]] = {}
        self._by_name: dict[str, list[Member]] = {}
        # In a stable order: a key two members share goes to the first (setdefault below),
        # and the same file must check the same way on every run and database.
        members = list(
            Member.objects.filter(operator=operator)
            .select_related("commune", "departement", "epci")
            .order_by("pk")
        )
        self.by_id = {m.pk: m for m in members}
        for member in members:
            territory = {
                MemberKind.COMMUNE: member.commune,
                MemberKind.DEPARTEMENT: member.departement,
                MemberKind.EPCI: member.epci,
            }.get(MemberKind(member.kind))
            keys = [member.siren, territory.code if territory is not None else ""]
            for key in keys:
                if key:
                    self._by_key.setdefault(key.upper(), member)
            self._by_name.setdefault(normalize(member.name), []).append(member)

    def parse(self, text: str) -> Member:
        key = text.replace(" ", "").upper()
        for candidate in (key, zero_padded(key, 2), zero_padded(key, 5), zero_padded(key, 9)):
            if candidate in self._by_key:
                return self._by_key[candidate]
        # The member's name, as the pages and the exports write it: an exported list,
        # corrected in a spreadsheet, imports back.
        named = self._by_name.get(normalize(text), [])
        if len(named) == 1:
            return named[0]
        if named:
            raise CellError(
                _(
                    "%(count)s members are named “%(value)s” (SIREN %(sirens)s): write the SIREN of the one meant."
                )
                % {
                    "count": len(named),
                    "value": text,
                    "sirens": ", ".join(sorted(m.siren or "?" for m in named)),
                }
            )
        raise CellError(
            _("No member of %(operator)s has the SIREN or INSEE code “%(value)s”.")
            % {"operator": self.operator, "value": text}
        )

    def territory(self, member: Member) -> dict[str, str]:
        """The INSEE codes of the member's communes (code -> name), one query per member."""
        if member.pk not in self._territories:
            self._territories[member.pk] = dict(member.territory_communes().values_list("code", "name"))
        return self._territories[member.pk]


class CommuneIndex:
    """Communes of the territory reference named in the file, by INSEE code."""

    def __init__(self, codes: Iterable[str]) -> None:
        wanted = {zero_padded(c.upper(), 5) for c in codes if c}
        self._by_code: dict[str, Commune] = {}
        for chunk in in_chunks(sorted(wanted)):
            for commune in Commune.objects.filter(code__in=chunk).only(
                "code", "name", "postal_codes", "is_current"
            ):
                self._by_code[commune.code] = commune

    def parse(self, text: str) -> Commune:
        code = zero_padded(text.upper(), 5)
        commune = self._by_code.get(code)
        if commune is None:
            raise CellError(
                _("No commune has the INSEE code “%(value)s” in the territory reference.") % {"value": text}
            )
        if not commune.is_current:
            raise CellError(
                _(
                    "%(code)s (%(name)s) no longer exists: it was merged into another commune; use the current commune's code."
                )
                % {"code": commune.code, "name": commune.name}
            )
        return commune
