from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.registry.territory import TerritoryImportError, import_territory


class Command(BaseCommand):
    help = (
        "Import the communes, EPCI and EPT of the given départements from the INSEE geographic code "
        "(npm package @etalab/decoupage-administratif). Idempotent: re-running changes nothing; a "
        "newer release updates names, populations and EPCI membership in place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("departements", nargs="+", metavar="CODE", help="département codes, e.g. 78 92")
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="the data/ folder of @etalab/decoupage-administratif (default: the 78/92 extract "
            "shipped in data/territory)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"] or settings.TERRITORY_DATA_DIR
        try:
            report = import_territory(options["departements"], source=Path(source))
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from exc
        per_dep = ", ".join(f"{code}: {n}" for code, n in sorted(report.communes_per_departement.items()))
        self.stdout.write(f"Départements: {report.departements}")
        self.stdout.write(f"EPCI and EPT: {report.epci}")
        self.stdout.write(f"Communes ({per_dep}): {report.communes}")
        if not report.changed:
            self.stdout.write(self.style.SUCCESS("Already up to date: nothing changed."))
