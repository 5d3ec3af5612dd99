"""What the subscription tests share (no tests here): entities in the internal form, a
payload, and a real HTTP receiver on 127.0.0.1 to deliver notifications to."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
STAMP = "2026-11-23T10:00:00.000Z"


def entity(
    entity_id: str = "urn:ngsi-ld:Sensor:1", *, type_: str = "Sensor", **values: Any
) -> dict[str, Any]:
    """An entity in the hub's internal form, its attributes plain Properties."""
    return {
        "id": entity_id,
        "type": [DEFAULT + type_],
        "createdAt": STAMP,
        "modifiedAt": STAMP,
        "attrs": {DEFAULT + name: [{"type": "Property", "value": value}] for name, value in values.items()},
    }


def subscription_payload(uri: str = "http://127.0.0.1:9/notify", **members: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "Subscription",
        "entities": [{"type": "Sensor"}],
        "notification": {"endpoint": {"uri": uri}},
    }
    payload.update(members)
    return {name: value for name, value in payload.items() if value is not None}


@dataclass
class Received:
    path: str
    headers: Message  # case-insensitive, as HTTP header names are
    body: Any


@dataclass
class Receiver:
    """An HTTP server in a thread: records every POST and answers `status` (with a
    Location header when `location` is set, to answer redirections)."""

    port: int
    host: str = "127.0.0.1"
    status: int = 204
    location: str | None = None
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/notify"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def receiving(port: int = 0, *, host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver(port=port, host=host)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            receiver.received.append(Received(self.path, self.headers, body))
            self.send_response(receiver.status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host, port), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
