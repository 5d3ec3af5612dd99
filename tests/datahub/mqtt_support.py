"""A real MQTT broker for the ingestion tests: Mosquitto at 127.0.0.1:1883 (CI provides it;
`make setup` installs it on a fresh machine). Its absence fails the tests, never skips them.
A test that stops and restarts a broker starts its own (`own_broker`), never the shared one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
def publisher(port: int | None = None) -> Iterator[mqtt.Client]:
    host, default_port = broker_address()
    port = port or default_port
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
    *,
    operator_id: int,
    prefix: str,
    client_id: str,
    ingest: Callable[..., object] | None = None,
    port: int | None = None,
) -> Iterator[IngestWorker]:
    host, default_port = broker_address()
    port = port or default_port
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


class OwnBroker:
    """A Mosquitto of the test's own, on a free port, keeping its sessions on disk across a
    restart (`persistence true`), as a production broker must."""

    def __init__(self, directory: Path):
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {directory}/\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.access(binary, os.X_OK):
            pytest.fail("No mosquitto binary to start a broker of the test's own (make setup installs it).")
        self.process = subprocess.Popen(  # noqa: S603 (a fixed binary and our own config)
            [binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"The test's own Mosquitto did not listen on port {self.port}.")

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its sessions (and the messages they hold) and exits."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def own_broker() -> Iterator[OwnBroker]:
    # In /tmp, readable by the user Mosquitto drops to when started as root.
    directory = Path(tempfile.mkdtemp(prefix="mutualis-mosquitto-"))
    directory.chmod(0o777)  # a throw-away directory the broker's user must write in
    broker = OwnBroker(directory)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)
