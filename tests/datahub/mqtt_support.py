"""A real MQTT broker for the ingestion tests: Mosquitto at 127.0.0.1:1883 (CI provides it;
`make setup` installs it on a fresh machine). Its absence fails the tests, never skips them."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import DatabaseError

from mutualis.datahub.ingestion.mqtt import IngestWorker, WorkerSettings


def broker_address() -> tuple[str, int]:
    return settings.DATAHUB_MQTT["HOST"], settings.DATAHUB_MQTT["PORT"]


def require_broker() -> None:
    host, port = broker_address()
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        pytest.fail(f"No MQTT broker at {host}:{port} ({error}): start Mosquitto (make setup installs it).")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextmanager
def publisher() -> Iterator[mqtt.Client]:
    host, port = broker_address()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("test-pub"), protocol=mqtt.MQTTv5)
    client.connect(host, port)
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def publish_all(client: mqtt.Client, topic: str, payloads: list[bytes]) -> None:
    infos = [client.publish(topic, payload, qos=1) for payload in payloads]
    for info in infos:
        info.wait_for_publish(timeout=10)
        assert info.is_published()


@contextmanager
def running_worker(
    *, operator_id: int, prefix: str, client_id: str, ingest: Callable[..., object] | None = None
) -> Iterator[IngestWorker]:
    host, port = broker_address()
    worker_settings = WorkerSettings(
        host=host, port=port, prefix=prefix, client_id=client_id, batch_wait=0.05, retry_wait=0.05
    )
    worker = IngestWorker(
        operator_id=operator_id, settings=worker_settings, **({"ingest": ingest} if ingest else {})
    )
    worker.start()
    assert worker.subscribed.wait(10), "the worker could not subscribe at the broker"
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stopping.set()
        thread.join(10)
        worker.stop()


def wait_for(condition: Callable[[], bool], *, timeout: float = 20, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except DatabaseError:
            # SQLite's shared in-memory test database locks a table while the worker's
            # thread writes it: look again a moment later.
            pass
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
