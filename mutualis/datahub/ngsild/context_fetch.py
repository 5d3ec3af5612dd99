"""Getting JSON-LD @context documents (NGSI-LD 5.5.7, 6.3.5, 5.13).

Where a document comes from, in order:

1. the documents shipped in `mutualis/datahub/contexts/` (the core context and the Smart
   Data Models vocabularies the product uses): never fetched, so that the hub works with
   the network closed and no client waits on GitHub;
2. the contexts this broker hosts itself (5.13.2: added by POST /jsonldContexts, or
   created implicitly to name a client's inline @context in a Link header), kept in
   `StoredContext` under their own URL;
3. for any other URL, an allow-list (`DATAHUB_CONTEXT_ALLOWED_HOSTS`, empty by default:
   fetching arbitrary URLs for any client would let them make the hub call internal
   addresses), then the in-process cache, then `StoredContext` until it expires
   (`DATAHUB_CONTEXT_CACHE_SECONDS`), then the network with a timeout
   (`DATAHUB_CONTEXT_TIMEOUT`) and a size limit (`DATAHUB_CONTEXT_MAX_BYTES`).

Every failure is an `LdContextNotAvailable` (503, 5.5.2) naming the URL and the reason.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mutualis.datahub.models import StoredContext
from mutualis.lib.json_input import strict_loads
from mutualis.lib.numbers import length_over

from .errors import LdContextNotAvailable

logger = logging.getLogger(__name__)

CONTEXTS_DIR = Path(__file__).resolve().parent.parent / "contexts"
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_CACHE_SECONDS = 24 * 3600
# Hosted contexts live until deleted; the model needs an expiry, so a date no one reaches.
HOSTED_EXPIRY = datetime(9999, 1, 1, tzinfo=UTC)
ACCEPT = "application/ld+json, application/json;q=0.9"


@dataclass(frozen=True)
class ShippedContext:
    """One document of `contexts/index.json`: its file and every URL it answers for (the
    first is the canonical one)."""

    local_id: str
    file: str
    urls: tuple[str, ...]
    title: str

    @property
    def url(self) -> str:
        return self.urls[0]


@functools.cache
def shipped_contexts() -> tuple[ShippedContext, ...]:
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    return tuple(
        ShippedContext(
            local_id=entry["id"], file=entry["file"], urls=tuple(entry["urls"]), title=entry["title"]
        )
        for entry in index["contexts"]
    )


@functools.cache
def _shipped_by_url() -> dict[str, ShippedContext]:
    return {url: shipped for shipped in shipped_contexts() for url in shipped.urls}


def shipped_context(url_or_id: str) -> ShippedContext | None:
    """The shipped document answering for this URL (or local id), if any."""
    found = _shipped_by_url().get(url_or_id)
    if found is None:
        found = next((shipped for shipped in shipped_contexts() if shipped.local_id == url_or_id), None)
    return found


@functools.cache
def shipped_document(local_id: str) -> Any:
    """The parsed document; shared by every caller, so never to be mutated."""
    shipped = shipped_context(local_id)
    if shipped is None:
        raise KeyError(local_id)
    return json.loads((CONTEXTS_DIR / shipped.file).read_text(encoding="utf-8"))


# --- settings -------------------------------------------------------------------------


def fetch_timeout() -> float:
    return float(getattr(settings, "DATAHUB_CONTEXT_TIMEOUT", DEFAULT_TIMEOUT))


def max_bytes() -> int:
    return int(getattr(settings, "DATAHUB_CONTEXT_MAX_BYTES", DEFAULT_MAX_BYTES))


def cache_seconds() -> int:
    return int(getattr(settings, "DATAHUB_CONTEXT_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def host_allowed(url: str) -> bool:
    """`DATAHUB_CONTEXT_ALLOWED_HOSTS`: host names ("example.org"), domain suffixes
    (".example.org"), or "*" for any host."""
    allowed = [entry.lower() for entry in getattr(settings, "DATAHUB_CONTEXT_ALLOWED_HOSTS", []) or []]
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    for entry in allowed:
        if entry == "*" or entry == host or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


# --- hosted contexts (5.13.2) -----------------------------------------------------------


def hosted_url(local_id: str) -> str:
    """The absolute URL this broker serves a hosted context at."""
    return settings.SITE_URL + reverse("ngsild:context-detail", kwargs={"context_id": local_id})


def hosted_prefix() -> str:
    return hosted_url("x")[:-1]


def is_hosted(url: str) -> bool:
    return url.startswith(hosted_prefix())


def host_context(*, local_id: str, document: Any, now: datetime | None = None) -> StoredContext:
    """Store a document this broker serves itself at `hosted_url(local_id)` (idempotent)."""
    now = now or timezone.now()
    body = json.dumps(document, ensure_ascii=False)
    stored, _created = StoredContext.objects.get_or_create(
        url=hosted_url(local_id),
        defaults={
            "document": document,
            "fetched_at": now,
            "expires_at": HOSTED_EXPIRY,
            "size": len(body.encode()),
        },
    )
    return stored


# --- the in-process cache ---------------------------------------------------------------

_lock = threading.Lock()
_memory: dict[str, tuple[Any, datetime]] = {}
# Remote documents are few (a handful of vocabularies); the bound only guards against a
# client cycling through URLs to grow the process.
MEMORY_ENTRIES = 256


def _remember(url: str, document: Any, expires_at: datetime) -> None:
    with _lock:
        if len(_memory) >= MEMORY_ENTRIES:
            _memory.pop(next(iter(_memory)))
        _memory[url] = (document, expires_at)


def forget(url: str | None = None) -> None:
    """Drop one URL (or everything) from the in-process cache (after a DELETE, in tests)."""
    with _lock:
        if url is None:
            _memory.clear()
        else:
            _memory.pop(url, None)


# --- fetching ---------------------------------------------------------------------------


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an allowed host, so that an allowed server cannot send
    the hub to an address the allow-list keeps it away from."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not host_allowed(newurl) or urlsplit(newurl).scheme not in ("http", "https"):
            fp.close()
            raise LdContextNotAvailable(
                f"The @context at {req.full_url} redirects to {newurl}, whose host is not allowed "
                "(DATAHUB_CONTEXT_ALLOWED_HOSTS)."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str) -> tuple[Any, int]:
    limit = max_bytes()
    timeout = fetch_timeout()
    opener = urllib.request.build_opener(_CheckedRedirects)
    request = urllib.request.Request(url, headers={"Accept": ACCEPT, "User-Agent": "Mutualis-datahub"})  # noqa: S310 (scheme checked by the caller)
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and length_over(declared, limit):
                raise LdContextNotAvailable(
                    f"The @context at {url} is too large ({declared} bytes; the limit is {limit} bytes)."
                )
            data = response.read(limit + 1)
    except LdContextNotAvailable:
        raise
    except urllib.error.HTTPError as error:
        error.close()
        raise LdContextNotAvailable(
            f"The @context at {url} could not be retrieved: HTTP {error.code} {error.reason}."
        ) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise LdContextNotAvailable(
                f"The @context at {url} could not be retrieved: no answer within {timeout:g} s."
            ) from None
        raise LdContextNotAvailable(f"The @context at {url} could not be retrieved: {reason}.") from None
    except TimeoutError:
        raise LdContextNotAvailable(
            f"The @context at {url} could not be retrieved: no answer within {timeout:g} s."
        ) from None
    except (OSError, ValueError) as error:
        raise LdContextNotAvailable(f"The @context at {url} could not be retrieved: {error}.") from None
    if len(data) > limit:
        raise LdContextNotAvailable(f"The @context at {url} is too large (over the limit of {limit} bytes).")
    try:
        document = strict_loads(data)
    except ValueError:  # not JSON, or JSON no document of ours holds (1e400, nesting past the limit)
        raise LdContextNotAvailable(
            f"The document at {url} is not JSON, so not a JSON-LD @context."
        ) from None
    if not isinstance(document, dict):
        raise LdContextNotAvailable(
            f"The document at {url} is JSON but not an object; a JSON-LD @context document is an object."
        )
    return document, len(data)


def fetch_context(url: str, *, now: datetime | None = None) -> Any:
    """The JSON document at `url` (an object, usually with "@context"); see the module doc
    for where it comes from. Raises LdContextNotAvailable."""
    shipped = _shipped_by_url().get(url)
    if shipped is not None:
        return shipped_document(shipped.local_id)
    now = now or timezone.now()
    if is_hosted(url):
        hosted = StoredContext.objects.filter(url=url).first()
        if hosted is None:
            raise LdContextNotAvailable(f"The @context at {url} is not (or no longer) hosted by this broker.")
        return hosted.document
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise LdContextNotAvailable(f"The @context {url} cannot be retrieved: only http(s) URLs are fetched.")
    if not host_allowed(url):
        raise LdContextNotAvailable(
            f"The @context at {url} is not available: this broker only fetches contexts from allowed hosts "
            "(DATAHUB_CONTEXT_ALLOWED_HOSTS); use a shipped context or ask the operator to allow the host."
        )
    with _lock:
        remembered = _memory.get(url)
    if remembered is not None and remembered[1] > now:
        return remembered[0]
    stored = StoredContext.objects.filter(url=url).first()
    if stored is not None and stored.expires_at > now:
        _remember(url, stored.document, stored.expires_at)
        return stored.document
    try:
        document, size = _download(url)
    except LdContextNotAvailable:
        if stored is None:
            raise
        # A stale copy is better than failing every request while the origin is down.
        logger.warning(
            "Serving the expired copy of the @context at %s: the origin failed.", url, exc_info=True
        )
        return stored.document
    expires_at = now + timedelta(seconds=cache_seconds())
    StoredContext.objects.update_or_create(
        url=url, defaults={"document": document, "fetched_at": now, "expires_at": expires_at, "size": size}
    )
    _remember(url, document, expires_at)
    return document
