"""`mutualis datahub_demo`: the data hub's demo sensors and their history (see the package datahub/demo)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mutualis.datahub.demo import DEFAULT_DAYS, DEFAULT_SEED, DemoHubSummary, build
from mutualis.demo.builder import DEMO_SLUG
from mutualis.demo.progress import Progress
from mutualis.registry.models import Operator

MAX_SCALE = 4.0
# Two months of 15-minute readings is what a demo of the temporal API needs; beyond a year
# the run stops being quick and the partitions stop being few.
MAX_DAYS = 366


def scale_factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number, e.g. 0.2 or 1.") from exc
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"The scale must be above 0 and at most {MAX_SCALE:g}.")
    return value


def day_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days, e.g. 30.") from exc
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"The history must cover 1 to {MAX_DAYS} days.")
    return value


class Command(BaseCommand):
    help = (
        "Create the data hub's demo: about 150 sensors (air quality, noise, traffic counters, street "
        "lights, river and flood sensors, EV chargers, energy meters of public buildings) in about 15 "
        "member communes of the demo operator, as registry assets and NGSI-LD entities (Smart Data "
        "Models) in each member's tenant, with their history up to now. Run `mutualis demo_data` "
        "first. Running it again replaces the hub's demo data; the same --seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=scale_factor,
            default=1.0,
            help=f"Multiply the number of communes with sensors (default 1.0: 15 communes, at most {MAX_SCALE:g}).",
        )
        parser.add_argument(
            "--days",
            type=day_count,
            default=DEFAULT_DAYS,
            help=f"Days of history before now (default {DEFAULT_DAYS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed of the random generator (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--operator",
            default=DEMO_SLUG,
            help=f"Slug of the operator whose member communes get the sensors (default {DEMO_SLUG!r}).",
        )

    def handle(self, *args: Any, scale: float, days: int, seed: int, operator: str, **options: Any) -> None:
        found = Operator.objects.filter(slug=operator).first()
        if found is None:
            raise CommandError(
                f"No operator with slug {operator!r}. Create the demo operator first: mutualis demo_data."
            )
        # Progress goes to stderr, plain (Django would colour all of stderr as errors).
        progress = Progress(lambda line: self.stderr.write(line, style_func=str))
        summary = build(
            operator=found, now=timezone.now(), progress=progress, scale=scale, days=days, seed=seed
        )
        self._report(summary)

    def _report(self, summary: DemoHubSummary) -> None:
        if not summary.entities:
            self.stdout.write("No commune member of this operator has a site: no sensor was created.")
            return
        self.stdout.write(
            f"Data hub demo ready in {summary.seconds:.1f} s: {summary.sensors} sensors in "
            f"{len(summary.communes)} communes, {summary.assets_created} new assets, "
            f"{summary.history_rows:,} history rows from {summary.first:%Y-%m-%d %H:%M} "
            f"to {summary.last:%Y-%m-%d %H:%M} UTC."
        )
        self.stdout.write(f"\nCommunes: {', '.join(summary.communes)}")
        self.stdout.write("\nEntities per type:")
        for name, count in sorted(summary.entities.items(), key=lambda item: (-item[1], item[0])):
            self.stdout.write(f"  {name:<24} {count:>6}")
