from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import signal
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from types import FrameType
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.datahub.management.operators import operator_from_option
from mutualis.datahub.simulator import Simulator, load_sensors


class Command(BaseCommand):
    help = (
        "Simulate the territory's sensors: realistic readings (daily cycles, rush hours, rain, "
        "faults and silences) for every sensor entity of the operator, published over MQTT "
        "(<prefix>/<tenant>/observations) or posted to /ingest/v1/observations, at a chosen rate. "
        "Run `mutualis ingest_mqtt` beside it for MQTT. See docs/ingestion.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        hub = settings.DATAHUB_MQTT
        parser.add_argument(
            "--via", choices=["mqtt", "http"], default="mqtt", help="transport (default: mqtt)"
        )
        parser.add_argument(
            "--rate", type=float, default=50.0, help="readings per second (default: %(default)s)"
        )
        parser.add_argument(
            "--duration", type=float, default=0.0, help="seconds to run (default: until Ctrl-C, or --count)"
        )
        parser.add_argument("--count", type=int, default=0, help="stop after this many readings")
        parser.add_argument(
            "--batch", type=int, default=20, help="readings per message (default: %(default)s)"
        )
        parser.add_argument("--sensors", type=int, default=0, help="use only the first N sensors")
        parser.add_argument("--operator", default="", help="slug of the operator (default: the only one)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--host", default=hub["HOST"], help="MQTT broker host")
        parser.add_argument("--port", type=int, default=hub["PORT"], help="MQTT broker port")
        parser.add_argument("--username", default=hub["USERNAME"])
        parser.add_argument("--password", default=hub["PASSWORD"])
        parser.add_argument("--prefix", default=hub["PREFIX"], help="first topic level")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/ingest/v1/observations", help="HTTP ingestion endpoint"
        )
        parser.add_argument("--token", default="", help="API token for HTTP (operator staff: every tenant)")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_from_option(options["operator"])
        if options["rate"] <= 0 or options["batch"] < 1:
            raise CommandError("--rate must be positive and --batch at least 1.")
        if options["via"] == "http" and not options["token"]:
            raise CommandError("--via http needs --token (an API token allowed to write).")
        rng = random.Random(options["seed"])  # noqa: S311 (simulated readings, not secrets)
        sensors = load_sensors(operator.pk, rng, limit=options["sensors"] or None)
        if not sensors:
            raise CommandError(
                "No sensor entity of a known Smart Data Model: run `mutualis datahub_demo` first."
            )
        simulator = Simulator(sensors=sensors, rng=rng)
        self.stdout.write(
            f"Simulating {len(sensors)} sensors over {options['via']} at {options['rate']:g} readings/s"
        )
        send = self._mqtt_sender(options) if options["via"] == "mqtt" else self._http_sender(options)
        stopping = {"now": False}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping["now"] = True

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            sent, elapsed = self._run(simulator, send, options, stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"Sent {sent} readings in {elapsed:.1f} s ({sent / max(elapsed, 1e-9):.0f}/s).")

    def _run(
        self, simulator: Simulator, send: Any, options: dict[str, Any], stopping: dict[str, bool]
    ) -> tuple[int, float]:
        started = time.monotonic()
        sent = 0
        interval = options["batch"] / options["rate"]
        next_send = time.monotonic()
        while not stopping["now"]:
            by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for tenant, reading in simulator.readings(dt.datetime.now(dt.UTC)):
                by_tenant[tenant].append(reading)
            for tenant, readings in by_tenant.items():
                for i in range(0, len(readings), options["batch"]):
                    chunk = readings[i : i + options["batch"]]
                    time.sleep(max(0.0, next_send - time.monotonic()))
                    send(tenant, chunk)
                    next_send += interval * len(chunk) / options["batch"]
                    sent += len(chunk)
                    if options["count"] and sent >= options["count"]:
                        stopping["now"] = True
                        break
                if stopping["now"]:
                    break
            if options["duration"] and time.monotonic() - started >= options["duration"]:
                break
            # Two rounds never share a timestamp (the history's key): wait a millisecond at least.
            time.sleep(0.002)
        return sent, time.monotonic() - started

    def _mqtt_sender(self, options: dict[str, Any]) -> Callable[[str, list[dict[str, Any]]], None]:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"mutualis-sim-{secrets.token_hex(4)}"
        )
        if options["username"]:
            client.username_pw_set(options["username"], options["password"] or None)
        try:
            client.connect(options["host"], options["port"])
        except OSError as error:
            raise CommandError(
                f"Cannot reach the MQTT broker at {options['host']}:{options['port']}: {error}"
            ) from None
        client.loop_start()
        prefix = options["prefix"]

        def send(tenant: str, readings: list[dict[str, Any]]) -> None:
            info = client.publish(f"{prefix}/{tenant}/observations", json.dumps(readings), qos=1)
            info.wait_for_publish(timeout=30)

        return send

    def _http_sender(self, options: dict[str, Any]) -> Callable[[str, list[dict[str, Any]]], None]:
        def send(tenant: str, readings: list[dict[str, Any]]) -> None:
            request = urllib.request.Request(  # noqa: S310 (the operator's own endpoint, given on the command line)
                options["url"],
                data=json.dumps(readings).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {options['token']}",
                    "NGSILD-Tenant": "" if tenant == "_" else tenant,
                },
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as error:
                # Refused readings are kept as dead letters by the hub; say so and go on.
                self.stderr.write(f"HTTP {error.code}: {error.read()[:300]!r}")
            except urllib.error.URLError as error:
                raise CommandError(f"Cannot reach {options['url']}: {error.reason}") from None

        return send
