from __future__ import annotations

import gc
import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.datahub.ingestion.mqtt import IngestWorker, WorkerSettings
from mutualis.datahub.management.operators import operator_from_option

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
        operator = operator_from_option(options["operator"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        worker = IngestWorker(
            operator_id=operator.pk,
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
        # The process's long-lived objects (Django, the apps) out of the collector's walks,
        # as mutualis/wsgi.py does for the web server.
        gc.freeze()
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
                    f"{s.messages} messages, {s.observations} values written, {s.rejected} rejected "
                    f"({s.repeated} received again), {s.database_failures} database failures"
                )
            return False

        try:
            worker.run(until=report_now)
        finally:
            worker.stop()
        s = worker.stats
        self.stdout.write(
            f"Stopped: {s.messages} messages, {s.observations} values written, {s.rejected} rejected "
            f"({s.repeated} received again)."
        )
