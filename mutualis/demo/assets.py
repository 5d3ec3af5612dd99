"""Writing a fleet fast: the rules of `registry.services.register_asset`, in bulk.

`register_asset` checks and saves one asset with the first line of its history; at
37,000 assets that is a minute of queries. Here the same rules hold by construction (the
model is of the asset's type, the parent stands at a site of the same member, the warranty
ends after the acquisition, tags are unique per operator) and rows are written in a few
hundred inserts: parents first, then the rest, then every line of history. Later status
changes follow `ASSET_TRANSITIONS`, checked as each history is drawn.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mutualis.people.models import User
from mutualis.registry.models import Asset, AssetStatus, AssetStatusChange, Site
from mutualis.registry.models.assets import ASSET_TRANSITIONS

from .catalogue import ASSET_TYPE_SPECS, ModelSpec
from .context import DemoContext
from .draw import day_between, working_time

SERIAL_TOKEN = re.compile(r"\{([ADH])(\d+)\}")
SERIAL_ALPHABETS = {
    "A": "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789",
    "D": "0123456789",
    "H": "0123456789ABCDEF",
}
WRITE_CHUNK = 2000

REPAIR_NOTES = (
    "Écran cassé",
    "Batterie défectueuse",
    "Ne démarre plus",
    "Panne matérielle",
    "Connectique abîmée",
)
LOST_NOTES = ("Déclaré perdu par l’établissement", "Vol signalé, plainte déposée")
RETIRED_NOTES = ("Fin de vie", "Irréparable, remplacé", "Obsolète")
STOCK_NOTES = ("Réaffectation en attente", "Retour en stock après départ de l’utilisateur")

Line = tuple[str, str, dt.datetime, str, bool]  # from, to, when, note, by a technician


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Window:
    """When a batch was bought: a delivery between `start` and `end`."""

    start: dt.date
    end: dt.date


class Fleet:
    """Collects assets batch by batch, then writes them with their histories."""

    def __init__(self, ctx: DemoContext, technicians: Sequence[User]) -> None:
        self.ctx = ctx
        self.technicians = list(technicians)
        self.parents: list[Asset] = []
        self.assets: list[Asset] = []
        self.histories: dict[int, list[Line]] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self.earliest = add_months(ctx.today, -8 * 12)

    def add(
        self,
        site: Site,
        type_code: str,
        count: int,
        window: Window,
        label: Callable[[int], str],
        *,
        parent: Asset | None = None,
        models: Sequence[ModelSpec] = (),
        is_parent: bool = False,
    ) -> list[Asset]:
        """`count` assets of one purchase: one model, one unit price, one delivery."""
        if count <= 0:
            return []
        rng, ctx = self.ctx.rng, self.ctx
        spec = ASSET_TYPE_SPECS[type_code]
        model = rng.choice(list(models or spec.models))
        asset_type = ctx.reference.asset_types[type_code]
        asset_model = ctx.reference.model_for(type_code, model)
        cost = Decimal(f"{rng.uniform(*model.price):.2f}")
        start = max(window.start, self.earliest)
        delivered = ctx.clamp(day_between(rng, start, max(start, ctx.clamp(window.end))))
        departement = site.commune.departement.code
        made = []
        for index in range(count):
            acquired = ctx.clamp(delivered + dt.timedelta(days=rng.randint(0, 10)))
            history = self.life(acquired, spec.lifetime_months)
            key = (spec.tag_prefix, departement)
            number = self.counters[key] = self.counters.get(key, 0) + 1
            asset = Asset(
                operator_id=site.operator_id,
                site=site,
                asset_type=asset_type,
                model=asset_model,
                inventory_tag=f"{spec.tag_prefix}-{departement}-{number:06d}",
                serial_number=self.serial(model.serial),
                label=label(index),
                status=history[-1][1],
                status_changed_at=history[-1][2],
                acquired_on=acquired,
                acquisition_cost=cost,
                warranty_ends_on=add_months(acquired, model.warranty_months),
                parent=parent,
            )
            self.histories[id(asset)] = history
            (self.parents if is_parent else self.assets).append(asset)
            made.append(asset)
        return made

    def serial(self, pattern: str) -> str:
        choices = self.ctx.rng.choices
        return SERIAL_TOKEN.sub(lambda m: "".join(choices(SERIAL_ALPHABETS[m[1]], k=int(m[2]))), pattern)

    def life(self, acquired: dt.date, lifetime_months: int) -> list[Line]:
        """The status history of one asset: mostly one line, sometimes a few more."""
        rng, today = self.ctx.rng, self.ctx.today
        first = self.ctx.clamp(acquired + dt.timedelta(days=rng.randint(2, 21)))
        last = today - dt.timedelta(days=1)
        later = day_between(rng, first + dt.timedelta(days=20), last) if (last - first).days > 60 else None
        old = add_months(acquired, lifetime_months) < today
        roll = rng.random()
        service, stock = AssetStatus.IN_SERVICE, AssetStatus.IN_STOCK
        # About 88 % in service, 5 % in stock, 3 % in repair, 2 % lost, 2 % retired; assets
        # past their expected lifetime are retired more often.
        if later is None or roll < 0.82 - (0.10 if old else 0):
            start = stock if roll < 0.03 else service
            return [("", start, working_time(rng, first), "", False)]
        then = day_between(rng, later + dt.timedelta(days=2), later + dt.timedelta(days=40))
        steps: list[tuple[str, str]] = []
        if roll < 0.87:
            if roll < 0.845 and then < today:
                steps = [(service, "Retour de réparation")]
            steps = [(AssetStatus.IN_REPAIR, rng.choice(REPAIR_NOTES)), *steps]
        elif roll < 0.885:
            steps = [(AssetStatus.LOST, rng.choice(LOST_NOTES))]
        elif roll < 0.91 or old:
            steps = [(AssetStatus.RETIRED, rng.choice(RETIRED_NOTES))]
        elif roll < 0.94:
            steps = [(stock, rng.choice(STOCK_NOTES))]
        else:
            return [
                ("", stock, working_time(rng, first), "", False),
                (stock, service, working_time(rng, later), "Mise en service", True),
            ]
        lines: list[Line] = [("", service, working_time(rng, first), "", False)]
        for (status, note), day in zip(steps, (later, then), strict=False):
            previous = lines[-1][1]
            if status not in ASSET_TRANSITIONS[previous]:
                raise AssertionError(f"The demo drew an illegal transition {previous} -> {status}.")
            lines.append((previous, status, working_time(rng, day), note, True))
        return lines

    def save(self) -> int:
        """Write parents, then the other assets, then all history lines; return the count."""
        total = len(self.parents) + len(self.assets)
        done = 0
        progress = self.ctx.progress
        progress.count("Assets", 0, total)
        for rows in (self.parents, self.assets):
            for start in range(0, len(rows), WRITE_CHUNK):
                chunk = rows[start : start + WRITE_CHUNK]
                Asset.objects.bulk_create(chunk, batch_size=1000)
                done += len(chunk)
                progress.count("Assets", done, total)
        rng = self.ctx.rng
        changes = [
            AssetStatusChange(
                asset_id=asset.pk,
                from_status=before,
                to_status=after,
                changed_at=when,
                changed_by=rng.choice(self.technicians) if by_technician and self.technicians else None,
                note=note,
            )
            for asset in (*self.parents, *self.assets)
            for before, after, when, note, by_technician in self.histories[id(asset)]
        ]
        for start in range(0, len(changes), WRITE_CHUNK * 2):
            AssetStatusChange.objects.bulk_create(changes[start : start + WRITE_CHUNK * 2], batch_size=1000)
            progress.count("Status history", min(start + WRITE_CHUNK * 2, len(changes)), len(changes))
        return total
