"""`mutualis demo_data`: the demo operator at the real scale of the reference operator."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from mutualis.demo.builder import DemoSummary, build_demo, demo_operator, summarise
from mutualis.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from mutualis.demo.plan import MAX_SCALE
from mutualis.demo.progress import Progress
from mutualis.lib.planner_statistics import analyze_now

# The portal the demo shows opened in 2020: a reference date before it makes no sense.
EARLIEST_DAY = dt.date(2021, 1, 1)


def reference_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it YYYY-MM-DD, e.g. 2026-03-15."
        ) from exc
    if day < EARLIEST_DAY:
        raise argparse.ArgumentTypeError(f"The reference date must be {EARLIEST_DAY} or later.")
    return day


def scale_factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number, e.g. 0.02 or 1.") from exc
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"The scale must be above 0 and at most {MAX_SCALE:g}.")
    return value


class Command(BaseCommand):
    help = (
        "Create the demo operator (OPN 78-92) with the communes, EPCI, départements and public "
        "establishments of the Yvelines and the Hauts-de-Seine as members, their sites, ~37,000 "
        "assets and ~800 users, after importing the 78/92 territory reference; then its service desk: "
        "catalogue per kind of site, teams, and two years of tickets (~8,500 in the last one). Without --reset, "
        "an existing demo operator is left as it is. The same --seed and --today give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help="Seed of the random generator (default 2026)."
        )
        parser.add_argument(
            "--today",
            type=reference_day,
            default=None,
            help="Reference date YYYY-MM-DD: acquisitions, memberships and histories end the day "
            "before (default: today).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo operator's data first, then generate it again.",
        )
        parser.add_argument(
            "--scale",
            type=scale_factor,
            default=1.0,
            help=f"Multiply the counts of sites, assets and users (default 1.0, at most {MAX_SCALE:g}; "
            "0.02 for tests). Every kind of member, site, asset and role stays present.",
        )

    def handle(
        self, *args: Any, seed: int, today: dt.date | None, reset: bool, scale: float, **options: Any
    ) -> None:
        existing = demo_operator()
        if existing is not None and not reset:
            self.stdout.write(
                f"The demo operator “{existing}” already exists; nothing changed. "
                "Run with --reset to generate it again."
            )
            self._logins()
            return
        # Progress goes to stderr, plain (Django would colour all of stderr as errors).
        progress = Progress(lambda line: self.stderr.write(line, style_func=str))
        day = today or timezone.localdate()
        operator = build_demo(seed=seed, today=day, scale=scale, progress=progress, replacing=existing)
        # Tens of thousands of rows just written, no statistics yet: the planner would guess
        # (a 3.4 s page on a fresh demo; mutualis.lib.planner_statistics).
        analyze_now()
        progress.say("Planner statistics gathered (ANALYZE)")
        self.stdout.write(
            f"Demo data ready in {progress.elapsed():.1f} s "
            f"(seed {seed}, reference date {day.isoformat()}, scale {scale:g})."
        )
        self._summary(summarise(operator, day))
        self._logins()

    def _summary(self, summary: DemoSummary) -> None:
        self._table("Members", summary.members)
        self._table("Sites", summary.sites)
        self._table("Assets", summary.assets, f"{summary.status_changes:,} status changes")
        self._table("Memberships", summary.roles, f"{summary.users:,} users")
        desk = summary.desk
        self._table("Service desk catalogue", desk.catalogue)
        self._table("Tickets per 12 months", desk.tickets_per_year)
        timeline = (
            f"{desk.comments:,} comments ({desk.internal_notes:,} internal notes), {desk.events:,} events"
        )
        self._table("Tickets by state", desk.states, timeline)

    def _table(self, title: str, counts: dict[str, int], note: str = "") -> None:
        extra = f", {note}" if note else ""
        self.stdout.write(f"\n{title}: {sum(counts.values()):,}{extra}")
        for label, count in counts.items():
            self.stdout.write(f"  {label:<40} {count:>8,}")

    def _logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password {DEMO_PASSWORD}):")
        for role, email in DEMO_LOGINS:
            self.stdout.write(f"  {email:<48} {role}")
