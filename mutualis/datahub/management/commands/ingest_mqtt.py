from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.datahub.ingestion.mqtt import IngestWorker, WorkerSettings
from mutualis.registry.models import Operator

log = logging.getLogger("mutualis.datahub.ingestion")


class Command(BaseCommand):
    help = (
        "Ingest sensor observations from an MQTT broker: subscribe with QoS 1 to "
        "<prefix>/<tenant>/observations (compact form) and <prefix>/<tenant>/entities (NGSI-LD), "
        "write them in batches through the hub's verbs, acknowledge once written. Malformed "
        "messages go to the dead-letter store. See docs/ingestion.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        hub = settings.DATAHUB_MQTT
        parser.add_argument("--host", default=hub["HOST"], help="broker host (default: %(default)s)")
        parser.add_argument(
            "--port", type=int, default=hub["PORT"], help="broker port (default: %(default)s)"
        )
        parser.add_argument("--username", default=hub["USERNAME"], help="broker user of the worker")
        parser.add_argument(
            "--password", default=hub["PASSWORD"], help="its password (better: MUTUALIS_MQTT_PASSWORD)"
        )
        parser.add_argument(
            "--prefix", default=hub["PREFIX"], help="first topic level (default: %(default)s)"
        )
        parser.add_argument(
            "--client-id",
            default=hub["CLIENT_ID"],
            help="MQTT client id: the broker keeps its session (default: %(default)s)",
        )
        parser.add_argument("--operator", default="", help="slug of the operator (default: the only one)")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="messages per write (default: %(default)s)"
        )
        parser.add_argument(
            "--batch-wait",
            type=float,
            default=0.2,
            help="seconds a batch waits to fill (default: %(default)s)",
        )
        parser.add_argument(
            "--stats-every",
            type=float,
            default=60.0,
            help="seconds between progress lines (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        operators = Operator.objects.all()
        if options["operator"]:
            operators = operators.filter(slug=options["operator"])
        found = list(operators[:2])
        if len(found) != 1:
            raise CommandError("Name the operator with --operator <slug> (none or several found).")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        worker = IngestWorker(
            operator_id=found[0].pk,
            settings=WorkerSettings(
                host=options["host"],
                port=options["port"],
                username=options["username"],
                password=options["password"],
                prefix=options["prefix"],
                client_id=options["client_id"],
                batch_size=options["batch_size"],
                batch_wait=options["batch_wait"],
            ),
        )

        def on_signal(signum: int, frame: FrameType | None) -> None:
            worker.stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            worker.start()
        except OSError as error:
            raise CommandError(
                f"Cannot reach the MQTT broker at {options['host']}:{options['port']}: {error}"
            ) from None
        self.stdout.write(
            f"Ingesting from {options['host']}:{options['port']} ({options['prefix']}/+/…); Ctrl-C stops."
        )
        last = time.monotonic()

        def report_now() -> bool:
            nonlocal last
            if time.monotonic() - last >= options["stats_every"]:
                last = time.monotonic()
                s = worker.stats
                self.stdout.write(
                    f"{s.messages} messages, {s.observations} values written, {s.rejected} rejected, "
                    f"{s.database_failures} database failures"
                )
            return False

        try:
            worker.run(until=report_now)
        finally:
            worker.stop()
        s = worker.stats
        self.stdout.write(
            f"Stopped: {s.messages} messages, {s.observations} values written, {s.rejected} rejected."
        )
