"""The MQTT ingestion worker: subscribe, batch, write, then acknowledge.

Topic scheme (docs/ingestion.md): `<prefix>/<tenant>/observations` carries the compact
form, `<prefix>/<tenant>/entities` NGSI-LD entity fragments; `<tenant>` is the NGSILD-Tenant
name, "_" for the operator's shared space. The worker subscribes to both with QoS 1.

No message is lost: the worker keeps a persistent session (MQTT 5, clean start off, a
session expiry) and acknowledges a message (PUBACK) only after the transaction holding its
observations has committed. If the database fails, the batch stays unacknowledged and is
written again once the database answers; if the worker dies, the broker delivers the
unacknowledged messages again to the next one. Writing an observation twice is a no-op
(the history's unique key), so a redelivery creates no duplicate. A message that makes the
write fail whatever the database's health (a value it refuses, a defect of the hub) is kept
as a dead letter by `ingest_batch` instead of holding up the stream.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .receive import ENTITIES, OBSERVATIONS, Message, ingest_batch

log = logging.getLogger(__name__)

# How many unacknowledged messages the broker may send us at once (MQTT 5 Receive Maximum):
# the batch size cannot exceed it, since the broker waits for acknowledgements beyond it.
RECEIVE_MAXIMUM = 2000
# How long the broker keeps our session (and the messages for us) while we are away.
SESSION_EXPIRY_SECONDS = 7 * 24 * 3600


@dataclass
class WorkerSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    prefix: str = "mutualis"
    client_id: str = "mutualis-ingest"
    batch_size: int = 1000
    batch_wait: float = 0.2  # at most this long (seconds) for a batch to fill
    # A batch also ends when no message came for this long: a burst (a gateway's upload) is
    # written as soon as it has arrived rather than after the whole `batch_wait`, while a
    # steady stream still fills batches (measured: the end-to-end time of the bench's 100
    # messages fell by the 0.2 s the worker used to sit waiting).
    batch_lull: float = 0.02
    retry_wait: float = 1.0  # first wait after a database failure (doubles, up to 30 s)


@dataclass
class WorkerStats:
    messages: int = 0
    observations: int = 0
    rejected: int = 0
    # Of the rejected, those received again (a redelivery): counted on their dead letter.
    repeated: int = 0
    batches: int = 0
    database_failures: int = 0
    acknowledged: int = 0
    started_at: float = field(default_factory=time.monotonic)


def topic_parts(topic: str, prefix: str) -> tuple[str, str] | None:
    """(tenant name, kind) of a topic of the scheme, or None."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != prefix or parts[2] not in (OBSERVATIONS, ENTITIES) or not parts[1]:
        return None
    return parts[1], parts[2]


class IngestWorker:
    def __init__(
        self,
        *,
        operator_id: int,
        settings: WorkerSettings,
        ingest: Callable[..., object] = ingest_batch,
    ):
        self.operator_id = operator_id
        self.settings = settings
        self.ingest = ingest
        self.stats = WorkerStats()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connected = threading.Event()
        # Set when the broker has confirmed the subscriptions (SUBACK).
        self.subscribed = threading.Event()
        self.stopping = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if settings.username:
            self.client.username_pw_set(settings.username, settings.password or None)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)

    # -- MQTT callbacks (paho's network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        prefix = self.settings.prefix
        client.subscribe([(f"{prefix}/+/{OBSERVATIONS}", 1), (f"{prefix}/+/{ENTITIES}", 1)])
        self.connected.set()
        log.info("Connected to %s:%s, subscribed to %s/+/…", self.settings.host, self.settings.port, prefix)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        failed = [code for code in reason_codes if code.is_failure]
        if failed:
            log.error("The broker refused the subscription: %s", failed)
            return
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if not self.stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(message)

    # -- life
    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect(
            self.settings.host, self.settings.port, keepalive=30, clean_start=False, properties=properties
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _next_batch(self) -> list[mqtt.MQTTMessage]:
        batch: list[mqtt.MQTTMessage] = []
        deadline = None
        size = min(self.settings.batch_size, RECEIVE_MAXIMUM)
        while len(batch) < size:
            if deadline is None:
                timeout = 0.5
            else:
                timeout = min(max(deadline - time.monotonic(), 0), self.settings.batch_lull)
            try:
                batch.append(self.inbox.get(timeout=timeout))
            except queue.Empty:
                if batch or self.stopping.is_set():
                    break
                continue
            if deadline is None:
                deadline = time.monotonic() + self.settings.batch_wait
        return batch

    def _messages(self, batch: list[mqtt.MQTTMessage]) -> list[Message]:
        out = []
        for raw in batch:
            parts = topic_parts(raw.topic, self.settings.prefix)
            tenant_name, kind = parts if parts else ("", "unknown")
            out.append(
                Message(tenant_name=tenant_name, kind=kind, payload=bytes(raw.payload), topic=raw.topic)
            )
        return out

    def process(self, batch: list[mqtt.MQTTMessage]) -> None:
        """Write one batch, retrying while the database fails; acknowledge it once written."""
        messages = self._messages(batch)
        wait = self.settings.retry_wait
        while True:
            try:
                close_old_connections()
                report = self.ingest(operator_id=self.operator_id, messages=messages)
                break
            except DatabaseError as error:
                # Nothing of the batch was committed; the messages stay unacknowledged.
                self.stats.database_failures += 1
                log.warning(
                    "Database unavailable (%s); batch of %d kept, retry in %.0f s", error, len(batch), wait
                )
                for connection in connections.all():
                    # A broken connection is replaced on the next attempt.
                    with contextlib.suppress(DatabaseError):
                        connection.close()
                if self.stopping.wait(wait):
                    return
                wait = min(wait * 2, 30.0)
        for raw in batch:
            self.client.ack(raw.mid, raw.qos)
        self.stats.acknowledged += len(batch)
        self.stats.batches += 1
        self.stats.messages += report.messages  # type: ignore[attr-defined]
        self.stats.observations += report.observations  # type: ignore[attr-defined]
        self.stats.rejected += report.rejected  # type: ignore[attr-defined]
        self.stats.repeated += report.repeated  # type: ignore[attr-defined]

    def run(self, *, until: Callable[[], bool] | None = None) -> None:
        """Process batches until `stop()` is called (or `until()` says so)."""
        try:
            while not self.stopping.is_set() and not (until and until()):
                batch = self._next_batch()
                if batch:
                    self.process(batch)
        finally:
            # The connections this thread opened are its own to close.
            connections.close_all()
