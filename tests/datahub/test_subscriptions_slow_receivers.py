"""Receivers that answer too slowly to ever finish: a notification's whole exchange is
bounded, not each wait. Before, a receiver sending a byte every few seconds (under the
socket's timeout each time) held the delivery, and so a worker thread, for hours; past the
job's time limit the thread was abandoned, and a few such subscribers made the worker exit.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone

from mutualis.datahub.subscriptions import delivery, egress
from mutualis.datahub.subscriptions.notify import entities_changed
from mutualis.jobs import run_pending
from tests.datahub.conftest import Hub

from .test_subscriptions_delivery import change, subscribe

# drip(connection, data): send `data` a byte at a time, DRIP seconds apart.
Drip = Callable[[socket.socket, bytes], None]
TIMEOUT = 1.0
DRIP = 0.2  # seconds between two bytes: each wait is far under the timeout


@contextmanager
def dripping(answer: Callable[[socket.socket, Drip], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that reads the request then runs `answer(connection,
    drip)`; yields its port. The answer stops when the client goes away."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                answer(conn, drip)
            except OSError:
                pass  # the client hung up: what the test expects

    def drip(conn: socket.socket, data: bytes) -> None:
        for byte in data:
            if stop.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(DRIP)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(timeout=10)


def _slow_headers(conn: socket.socket, drip: Drip) -> None:
    drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n")


def _slow_body(conn: socket.socket, drip: Drip) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
    drip(conn, b"b" * 200)


def _slow_tls_handshake(conn: socket.socket, drip: Drip) -> None:
    # A TLS record header announcing 16 KiB, then its bytes one by one: the client's
    # handshake waits for the whole record.
    conn.sendall(bytes([0x16, 0x03, 0x03, 0x40, 0x00]))
    drip(conn, b"\x00" * 200)


@pytest.mark.parametrize(
    ("scheme", "answer"),
    [("http", _slow_headers), ("http", _slow_body), ("https", _slow_tls_handshake)],
    ids=["headers", "body", "tls-handshake"],
)
def test_a_dripping_receiver_is_cut_off_at_the_timeout(scheme: str, answer: Callable[..., None]) -> None:
    with dripping(answer) as port:
        started = time.monotonic()
        with pytest.raises(egress.Unreachable, match="no complete answer within 1 s"):
            egress.post(f"{scheme}://127.0.0.1:{port}/notify", b"{}", {}, timeout=TIMEOUT)
        assert time.monotonic() - started < TIMEOUT + 1


def test_a_prompt_receiver_is_not_affected() -> None:
    def prompt(conn: socket.socket, drip: Drip) -> None:
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    with dripping(prompt) as port:
        answer = egress.post(f"http://127.0.0.1:{port}/notify", b"{}", {}, timeout=TIMEOUT)
    assert answer.status == 204


@pytest.mark.django_db(transaction=True)
def test_a_dripping_receiver_is_a_failed_delivery_counted_and_retried(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", TIMEOUT)
    with dripping(_slow_headers) as port:
        subscription = subscribe(hub, f"http://127.0.0.1:{port}/notify")
        entities_changed(hub.tenant_a, [change()], now=timezone.now())
        started = time.monotonic()
        report = run_pending()
        assert time.monotonic() - started < TIMEOUT + 2
    assert (report.retried, report.done) == (1, 0)
    subscription.refresh_from_db()
    assert (subscription.times_sent, subscription.times_failed) == (0, 1)
    assert "no complete answer within 1 s" in subscription.last_failure_reason


def test_a_socket_wait_ending_before_the_watchdog_is_too_slow_all_the_same(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # On a busy machine the watchdog's thread can run after the socket's own timeout (the
    # same budget) has ended a wait: the answer was no less too slow, and says so.
    late = threading.Timer

    def late_timer(interval: float, function: Callable[[], None]) -> threading.Timer:
        return late(interval + 5, function)

    monkeypatch.setattr(egress.threading, "Timer", late_timer)
    with dripping(_slow_tls_handshake) as port:
        started = time.monotonic()
        with pytest.raises(egress.Unreachable, match="no complete answer within 1 s"):
            egress.post(f"https://127.0.0.1:{port}/notify", b"{}", {}, timeout=TIMEOUT)
        assert time.monotonic() - started < TIMEOUT + 1
