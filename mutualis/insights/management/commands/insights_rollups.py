"""`mutualis insights_rollups --rebuild`: copy every ticket again into the narrow table the
dashboard's heavy panels read (insights.ticket_facts), after a bulk load that wrote the
tickets without the verbs; `--check` counts the tickets whose copy differs."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.insights import ticket_facts


class Command(BaseCommand):
    help = (
        "Rebuild (--rebuild) or check (--check) incidentology's copies of the tickets; "
        "the verbs keep them current, bulk loads call --rebuild."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="copy every ticket again (idempotent)")
        parser.add_argument("--check", action="store_true", help="count the tickets whose copy differs")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["rebuild"] or options["check"]):
            raise CommandError("Say --rebuild or --check.")
        using = options["database"]
        if options["rebuild"]:
            started = time.perf_counter()
            count = ticket_facts.rebuild(using=using)
            self.stdout.write(f"{count} tickets copied in {time.perf_counter() - started:.1f} s.")
        if options["check"]:
            started = time.perf_counter()
            wrong = ticket_facts.differences(using=using)
            self.stdout.write(
                f"{wrong} tickets differ from their copies ({time.perf_counter() - started:.1f} s)."
            )
            if wrong:
                raise CommandError("The copies are stale: run --rebuild.")
