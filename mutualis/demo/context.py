"""What every stage of the generator shares: the seeded generator, the reference date,
the plan, the operator and the territory, read once into memory."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from mutualis.registry.models import Commune, Departement, Epci, Operator

from .catalogue import Reference
from .draw import Identifiers
from .plan import DemoPlan
from .progress import Progress

DEPARTEMENTS = ("78", "92")


@dataclass
class Territory:
    """The communes and groupings of 78 and 92, sorted by code (never by hash order)."""

    communes: list[Commune]
    by_code: dict[str, Commune]
    epcis: dict[str, Epci]
    departements: dict[str, Departement]

    @classmethod
    def load(cls) -> Territory:
        communes = list(
            Commune.objects.current()
            .filter(departement__code__in=DEPARTEMENTS)
            .select_related("departement")
            .order_by("code")
        )
        grouping_ids = {pk for c in communes for pk in (c.epci_id, c.ept_id) if pk is not None}
        epcis = {e.code: e for e in Epci.objects.filter(pk__in=grouping_ids).order_by("code")}
        return cls(
            communes=communes,
            by_code={c.code: c for c in communes},
            epcis=epcis,
            departements={c.departement.code: c.departement for c in communes},
        )

    def named(self, name: str) -> Commune:
        return next(c for c in self.communes if c.name == name)

    def in_departement(self, code: str) -> list[Commune]:
        return [c for c in self.communes if c.departement.code == code]


@dataclass
class DemoContext:
    rng: random.Random
    today: dt.date
    plan: DemoPlan
    operator: Operator
    territory: Territory
    reference: Reference
    progress: Progress
    ids: Identifiers = field(init=False)

    def __post_init__(self) -> None:
        taken = {c.siren for c in self.territory.communes if c.siren} | set(self.territory.epcis)
        self.ids = Identifiers(self.rng, taken)

    def clamp(self, day: dt.date) -> dt.date:
        """`day`, or the day before the reference date when it would be later."""
        return min(day, self.today - dt.timedelta(days=1))

    def years_ago(self, years: int, month: int = 1, day: int = 1) -> dt.date:
        return dt.date(self.today.year - years, month, day)
