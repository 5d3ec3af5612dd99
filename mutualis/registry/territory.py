"""Import the INSEE geographic code (communes, EPCI, départements) into the registry.

Reads the JSON files of the npm package `@etalab/decoupage-administratif` (or the 78/92
extract shipped in data/territory, same shapes). Idempotent: a row is written only when
a value changed, so re-running the same release reports "0 created, 0 updated"; a later
release updates names, populations and EPCI membership in place (rows are matched by
INSEE code / SIREN, never deleted), so members and sites keep their links. A commune that
disappeared (merged into a commune nouvelle) is marked `is_current=False`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from .models import Commune, Departement, Epci


class TerritoryImportError(Exception):
    """The import cannot run; the message says why and what to do."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    def __str__(self) -> str:
        text = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.retired:
            text += _(", %(retired)d no longer current") % {"retired": self.retired}
        return text


@dataclass
class TerritoryReport:
    departements: Counts = field(default_factory=Counts)
    epci: Counts = field(default_factory=Counts)
    communes: Counts = field(default_factory=Counts)
    communes_per_departement: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.retired for c in (self.departements, self.epci, self.communes))


def normalise_departement_code(code: str) -> str:
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def _read_json(source: Path, name: str) -> list[dict[str, Any]]:
    path = source / name
    if not path.exists():
        raise TerritoryImportError(
            _("%(path)s is missing: --source must be the data folder of @etalab/decoupage-administratif.")
            % {"path": path}
        )
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise TerritoryImportError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": exc}
        ) from exc
    if not isinstance(data, list):
        raise TerritoryImportError(_("%(path)s does not hold a list of records.") % {"path": path})
    return data


def _read_positions(source: Path) -> dict[str, tuple[Decimal, Decimal, str]]:
    path = source / "positions.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["code"]: (Decimal(row["latitude"]), Decimal(row["longitude"]), row["source"])
            for row in csv.DictReader(fh)
        }


def _sync(obj: Any, values: dict[str, Any]) -> bool:
    """Set `values` on `obj`; True when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def import_territory(codes: list[str], *, source: Path) -> TerritoryReport:
    """Import the communes of the départements `codes`, their EPCI and EPT, from `source`."""
    wanted = [normalise_departement_code(c) for c in codes]
    if not wanted:
        raise TerritoryImportError(_("Name at least one département, e.g. 78 92."))
    all_departements = {d["code"]: d for d in _read_json(source, "departements.json")}
    unknown = [c for c in wanted if c not in all_departements]
    if unknown:
        raise TerritoryImportError(
            _("Unknown département code(s): %(codes)s. Département codes look like 01, 2A, 78, 974.")
            % {"codes": ", ".join(unknown)}
        )
    communes = [
        c
        for c in _read_json(source, "communes.json")
        if c.get("departement") in wanted and c.get("type") == "commune-actuelle"
    ]
    found = {c["departement"] for c in communes}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise TerritoryImportError(
            _(
                "No communes for département(s) %(codes)s in %(source)s. The shipped extract only has 78 "
                "and 92; for others, pass --source with the data folder of the full "
                "@etalab/decoupage-administratif package (see data/territory/SOURCE.md)."
            )
            % {"codes": ", ".join(missing), "source": source}
        )
    codes_wanted = {c["code"] for c in communes}
    grouping_rows = _read_json(source, "epci.json")
    if (source / "ept.json").exists():  # published since the 2023 releases only
        grouping_rows += _read_json(source, "ept.json")
    groupings = [
        (row, row.get("type") or "EPT")
        for row in grouping_rows
        if any(m.get("code") in codes_wanted for m in row.get("membres", []))
    ]
    positions = _read_positions(source)

    report = TerritoryReport()
    with transaction.atomic():
        departements = _import_departements([all_departements[c] for c in wanted], report.departements)
        epcis = _import_epci(groupings, report.epci)
        epci_of: dict[str, Epci] = {}
        ept_of: dict[str, Epci] = {}
        for row, kind in groupings:
            target = ept_of if kind == "EPT" else epci_of
            for member in row.get("membres", []):
                target[member["code"]] = epcis[row["code"]]
        _import_communes(communes, departements, epci_of, ept_of, positions, report.communes)
        # Communes of these départements that the release no longer lists were merged away.
        gone = Commune.objects.filter(departement__code__in=wanted, is_current=True).exclude(
            code__in=codes_wanted
        )
        report.communes.retired = gone.update(is_current=False)
    for c in communes:
        report.communes_per_departement[c["departement"]] = (
            report.communes_per_departement.get(c["departement"], 0) + 1
        )
    return report


def _import_departements(rows: list[dict[str, Any]], counts: Counts) -> dict[str, Departement]:
    existing = {d.code: d for d in Departement.objects.filter(code__in=[r["code"] for r in rows])}
    for row in rows:
        values = {
            "name": row["nom"],
            "region_code": row.get("region", ""),
            "chef_lieu_code": row.get("chefLieu", ""),
            "is_current": True,
        }
        dep = existing.get(row["code"])
        if dep is None:
            existing[row["code"]] = Departement.objects.create(code=row["code"], **values)
            counts.created += 1
        elif _sync(dep, values):
            dep.save()
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


def _import_epci(groupings: list[tuple[dict[str, Any], str]], counts: Counts) -> dict[str, Epci]:
    existing = {e.code: e for e in Epci.objects.filter(code__in=[r["code"] for r, _k in groupings])}
    for row, kind in groupings:
        values = {
            "name": row["nom"],
            "kind": kind,
            "financing": row.get("modeFinancement", "") or "",
            "population": row.get("populationTotale"),
            "commune_count": len(row.get("membres", [])),
            "is_current": True,
        }
        epci = existing.get(row["code"])
        if epci is None:
            existing[row["code"]] = Epci.objects.create(code=row["code"], **values)
            counts.created += 1
        elif _sync(epci, values):
            epci.save()
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


def _pk(obj: Epci | None) -> int | None:
    return obj.pk if obj is not None else None


def _import_communes(
    rows: list[dict[str, Any]],
    departements: dict[str, Departement],
    epci_of: dict[str, Epci],
    ept_of: dict[str, Epci],
    positions: dict[str, tuple[Decimal, Decimal, str]],
    counts: Counts,
) -> None:
    existing = {c.code: c for c in Commune.objects.filter(code__in=[r["code"] for r in rows])}
    to_create: list[Commune] = []
    to_update: list[Commune] = []
    for row in rows:
        values: dict[str, Any] = {
            "name": row["nom"],
            "departement_id": departements[row["departement"]].pk,
            "siren": row.get("siren", "") or "",
            "population": row.get("population"),
            "postal_codes": sorted(row.get("codesPostaux", [])),
            "epci_id": _pk(epci_of.get(row["code"])),
            "ept_id": _pk(ept_of.get(row["code"])),
            "is_current": True,
        }
        if row["code"] in positions:
            lat, lon, where = positions[row["code"]]
            values.update(latitude=lat, longitude=lon, position_source=where)
        commune = existing.get(row["code"])
        if commune is None:
            to_create.append(Commune(code=row["code"], **values))
        elif _sync(commune, values):
            to_update.append(commune)
        else:
            counts.unchanged += 1
    Commune.objects.bulk_create(to_create, batch_size=500)
    fields = ["name", "departement", "siren", "population", "postal_codes", "epci", "ept", "is_current"]
    if positions:
        fields += ["latitude", "longitude", "position_source"]
    Commune.objects.bulk_update(to_update, fields, batch_size=500)
    counts.created += len(to_create)
    counts.updated += len(to_update)
