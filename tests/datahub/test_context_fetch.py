"""Remote @contexts (NGSI-LD 5.5.7): fetched only from allowed hosts, within a time and a
size limit, cached in the database and in-process; every failure is LdContextNotAvailable.

A real HTTP server on 127.0.0.1 (a random port) plays the remote host.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from mutualis.datahub.models import StoredContext
from mutualis.datahub.ngsild import context, context_fetch
from mutualis.datahub.ngsild.context import active_context
from mutualis.datahub.ngsild.errors import LdContextNotAvailable

pytestmark = pytest.mark.django_db

SPEED = {"@context": {"ex": "http://example.org/", "speed": "ex:speed"}}


class Remote:
    def __init__(self, server: ThreadingHTTPServer, hits: Counter[str]):
        self.server = server
        self.hits = hits

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_address[1]}{path}"


def _handler(hits: Counter[str], base: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/ld+json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            hits[self.path] += 1
            if self.path == "/speed.jsonld":
                self._send(200, json.dumps(SPEED).encode())
            elif self.path == "/nested.jsonld":
                nested = {"@context": [f"{base[0]}/speed.jsonld", {"colour": "http://example.org/colour"}]}
                self._send(200, json.dumps(nested).encode())
            elif self.path == "/slow.jsonld":
                time.sleep(1.0)
                # The client gave up already, as intended: writing may fail.
                with contextlib.suppress(OSError):
                    self._send(200, json.dumps(SPEED).encode())
            elif self.path == "/big.jsonld":
                self._send(200, json.dumps({"@context": {"t": "x" * 5000}}).encode())
            elif self.path == "/big-undeclared.jsonld":
                # No Content-Length: the limit must hold while reading.
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(json.dumps({"@context": {"t": "x" * 5000}}).encode())
                self.close_connection = True
            elif self.path in ("/odd-length.jsonld", "/huge-length.jsonld"):
                # A Content-Length no int() reads ("²" is a digit to str.isdigit()), or past
                # any limit in 30 digits: the first was a ValueError (a 500 on the request
                # naming the context), the second is refused before reading.
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", "²" if self.path == "/odd-length.jsonld" else "9" * 30)
                self.end_headers()
                self.wfile.write(json.dumps(SPEED).encode())
                self.close_connection = True
            elif self.path == "/html":
                self._send(200, b"<html><body>Not a context</body></html>", "text/html")
            elif self.path == "/array.jsonld":
                self._send(200, b"[1, 2, 3]")
            elif self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", base[0].replace("127.0.0.1", "localhost") + "/speed.jsonld")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(404, b'{"error": "not found"}', "application/json")

    return Handler


@pytest.fixture
def remote(settings) -> Iterator[Remote]:  # type: ignore[no-untyped-def]
    hits: Counter[str] = Counter()
    base: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hits, base))
    server.daemon_threads = True
    server.block_on_close = False
    base.append(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.DATAHUB_CONTEXT_TIMEOUT = 0.3
    settings.DATAHUB_CONTEXT_MAX_BYTES = 2000
    context.clear_caches()
    yield Remote(server, hits)
    context.clear_caches()
    server.shutdown()
    server.server_close()


def test_an_allowed_remote_context_is_fetched_once_and_cached(remote: Remote) -> None:
    url = remote.url("/speed.jsonld")
    ctx = active_context([url])
    assert ctx.expand_term("speed") == "http://example.org/speed"
    assert remote.hits["/speed.jsonld"] == 1
    stored = StoredContext.objects.get(url=url)
    assert stored.document == SPEED
    assert stored.expires_at > timezone.now() + timedelta(hours=23)
    # The same context again: the built context itself, no request.
    assert active_context([url]) is ctx
    # Another context naming the same URL: the document from the in-process cache.
    assert active_context([url, {"colour": "http://example.org/colour"}]).expand_term(
        "speed"
    ) == "ex:speed".replace("ex:", "http://example.org/")
    # Another process (empty in-process caches): the database copy.
    context.clear_caches()
    assert active_context([url]).expand_term("speed") == "http://example.org/speed"
    assert remote.hits["/speed.jsonld"] == 1


def test_an_expired_copy_is_fetched_again(remote: Remote) -> None:
    url = remote.url("/speed.jsonld")
    active_context([url])
    StoredContext.objects.filter(url=url).update(expires_at=timezone.now() - timedelta(seconds=1))
    context.clear_caches()
    active_context([url])
    assert remote.hits["/speed.jsonld"] == 2
    assert StoredContext.objects.get(url=url).expires_at > timezone.now()


def test_an_expired_copy_is_served_when_the_origin_fails(remote: Remote) -> None:
    url = remote.url("/gone.jsonld")
    now = timezone.now()
    StoredContext.objects.create(
        url=url,
        document=SPEED,
        fetched_at=now - timedelta(days=2),
        expires_at=now - timedelta(days=1),
        size=10,
    )
    assert active_context([url]).expand_term("speed") == "http://example.org/speed"
    assert remote.hits["/gone.jsonld"] == 1


def test_nested_remote_contexts_are_fetched(remote: Remote) -> None:
    ctx = active_context(remote.url("/nested.jsonld"))
    assert ctx.expand_term("speed") == "http://example.org/speed"
    assert ctx.expand_term("colour") == "http://example.org/colour"
    assert StoredContext.objects.count() == 2


def test_a_host_not_allowed_is_never_asked(remote: Remote, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = ["contexts.example.org"]
    url = remote.url("/speed.jsonld")
    with pytest.raises(LdContextNotAvailable) as caught:
        active_context([url])
    assert url in caught.value.detail
    assert "DATAHUB_CONTEXT_ALLOWED_HOSTS" in caught.value.detail
    assert caught.value.status == 503
    assert remote.hits["/speed.jsonld"] == 0


def test_the_allow_list_knows_domains_and_any(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = [".example.org"]
    assert context_fetch.host_allowed("https://contexts.example.org/a.jsonld")
    assert not context_fetch.host_allowed("https://example.com/a.jsonld")
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = ["*"]
    assert context_fetch.host_allowed("https://anything.test/a.jsonld")
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = []
    assert not context_fetch.host_allowed("https://anything.test/a.jsonld")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow.jsonld", r"no answer within 0\.3 s"),
        ("/big.jsonld", r"too large \(\d+ bytes; the limit is 2000 bytes\)"),
        ("/big-undeclared.jsonld", "too large"),
        ("/huge-length.jsonld", r"too large \(9{30} bytes"),
        ("/missing.jsonld", "HTTP 404"),
        ("/html", "is not JSON"),
        ("/array.jsonld", "not an object"),
        ("/redirect", "redirects to .*localhost.* not allowed"),
    ],
)
def test_failures_name_the_url_and_the_reason(remote: Remote, path: str, reason: str) -> None:
    url = remote.url(path)
    with pytest.raises(LdContextNotAvailable, match=reason) as caught:
        active_context([url])
    assert url in caught.value.detail
    assert not StoredContext.objects.filter(url=url).exists()


def test_only_http_urls_are_fetched(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = ["*"]
    with pytest.raises(LdContextNotAvailable, match="only http"):
        context_fetch.fetch_context("file:///etc/passwd")


def test_shipped_contexts_are_never_fetched(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = []
    for shipped in context_fetch.shipped_contexts():
        for url in shipped.urls:
            assert "@context" in context_fetch.fetch_context(url)
    assert not StoredContext.objects.exists()


def test_a_length_no_number_says_is_not_read_as_one(remote: Remote) -> None:
    """The context is read within its bound as if no length were declared."""
    url = remote.url("/odd-length.jsonld")
    assert "@context" in context_fetch.fetch_context(url)
