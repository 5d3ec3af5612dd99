"""JSON-LD @context handling for the NGSI-LD API (ETSI GS CIM 009 v1.8, 5.5.7 and 6.3.5).

A client's @context is turned ONCE into an `ActiveContext`: pyld's context processing
(JSON-LD 1.1 API, 4.1: prefixes, @vocab, arrays of contexts, remote contexts nested in
remote contexts, protected terms) runs when a context is first seen, and what the hub
needs is kept as plain dictionaries. The objects are cached in-process, keyed by the
canonical JSON of the context as given, so that expanding a term on the hot path (every
attribute of every entity of a 1,000-observation batch) is a dict lookup.

The core context always applies last (5.5.7: it cannot be overridden): a client context
is processed first, then the core one, so a term the core defines always means what the
core says, and unknown terms fall to the core's @vocab, the NGSI-LD default context.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from cachetools import LRUCache
from pyld import jsonld  # type: ignore[import-untyped]  # pyld ships no type information
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

from . import context_fetch
from .errors import BadRequestData, LdContextNotAvailable

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
JSON_LD = "application/ld+json"
# The in-process cache: distinct contexts are few (a handful per client application).
CACHE_SIZE = 256
# Past this many distinct unusual terms (compact IRIs, default-context names) a context
# stops memoizing them, so a client sending random names cannot grow the process.
MEMO_SIZE = 10_000
# Compactions share the memo with expansions under this key prefix (not a valid term).
_COMPACTED = "\x00"


@functools.cache
def _core_urls() -> frozenset[str]:
    core = context_fetch.shipped_context(CORE_CONTEXT_URL)
    return frozenset(core.urls) if core is not None else frozenset({CORE_CONTEXT_URL})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ActiveContext:
    """The terms of one @context (client context + core), ready for the hub's lookups.

    Immutable after construction; `source` is the @context as the client gave it, as a
    list ([] for the core context alone), and must not be modified by callers.
    """

    __slots__ = ("_compact", "_lock", "_memo", "_prefixes", "_terms", "_vocab", "key", "source")

    def __init__(
        self,
        *,
        key: str,
        source: list[Any],
        terms: dict[str, str],
        compact: dict[str, str],
        prefixes: list[tuple[str, str]],
        vocab: str,
    ) -> None:
        self.key = key
        self.source = source
        self._terms = terms  # term → IRI (or keyword), for every term of the context
        self._compact = compact  # IRI → term: client terms take precedence over the core's
        self._prefixes = prefixes  # (IRI, prefix) usable for compact IRIs, longest IRI first
        self._vocab = vocab
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ActiveContext {self.key[:12]} {self.source!r}>"

    # --- expansion (JSON-LD 1.1 API, 5.2 IRI Expansion, vocab=true) ---

    def expand_term(self, term: str) -> str:
        """An attribute, type or sub-attribute name → its IRI. Absolute IRIs come back
        unchanged; compact IRIs use the context's prefixes; unknown terms fall to @vocab
        (https://uri.etsi.org/ngsi-ld/default-context/<term>)."""
        iri = self._terms.get(term)
        if iri is not None:
            return iri
        iri = self._memo.get(term)
        if iri is not None:
            return iri
        iri = self._expand_uncommon(term)
        if len(self._memo) < MEMO_SIZE:
            with self._lock:
                self._memo[term] = iri
        return iri

    def _expand_uncommon(self, term: str) -> str:
        if term.startswith("@"):
            return term
        prefix, colon, suffix = term.partition(":")
        if colon:
            if prefix == "_" or suffix.startswith("//"):
                return term  # a blank node or an absolute IRI (scheme://…)
            prefix_iri = self._prefix_iri(prefix)
            if prefix_iri is not None:
                return prefix_iri + suffix
            return term  # an absolute IRI whose scheme is not a prefix (urn:…, mailto:…)
        return self._vocab + term

    def _prefix_iri(self, prefix: str) -> str | None:
        for iri, name in self._prefixes:
            if name == prefix:
                return iri
        return None

    def expand_vocab(self, value: str) -> str:
        """A VocabProperty value (4.5.20, "@type": "@vocab") → IRI: the same rules as a
        term (a term of the context, a compact IRI, or @vocab-relative)."""
        return self.expand_term(value)

    # --- compaction (JSON-LD 1.1 API, 6.2 IRI Compaction, vocab=true) ---

    def compact_iri(self, iri: str) -> str:
        """IRI → the client's term, else the core's, else a default-context name, else a
        compact IRI with a prefix of the context, else the IRI unchanged."""
        term = self._compact.get(iri)
        if term is not None:
            return term
        compacted = self._memo.get(_COMPACTED + iri)
        if compacted is not None:
            return compacted
        compacted = self._compact_uncommon(iri)
        if len(self._memo) < MEMO_SIZE:
            with self._lock:
                self._memo[_COMPACTED + iri] = compacted
        return compacted

    def _compact_uncommon(self, iri: str) -> str:
        if iri.startswith(self._vocab):
            suffix = iri[len(self._vocab) :]
            # The short name is only safe when it expands back to the same IRI.
            if suffix and ":" not in suffix and suffix not in self._terms:
                return suffix
        for prefix_iri, name in self._prefixes:
            if iri.startswith(prefix_iri) and len(iri) > len(prefix_iri):
                candidate = f"{name}:{iri[len(prefix_iri) :]}"
                if candidate not in self._terms and not iri[len(prefix_iri) :].startswith("//"):
                    return candidate
        return iri

    def compact_vocab(self, iri: str) -> str:
        return self.compact_iri(iri)

    # --- answers (6.3.6) ---

    def response_context(self) -> list[Any] | str:
        """The "@context" of an application/ld+json answer: the client's context followed
        by the core one (the core URL alone for the core context)."""
        if not self.source:
            return CORE_CONTEXT_URL
        answer = list(self.source)
        core = _core_urls()
        if not any(isinstance(item, str) and item in core for item in answer):
            answer.append(CORE_CONTEXT_URL)
        return answer

    @property
    def is_core(self) -> bool:
        return not self.source


# --- building ---------------------------------------------------------------------------


def _load_document(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's document loader: every @context URL, at any depth, goes through the fetcher
    (shipped documents, hosted and cached ones, then the allow-listed network)."""
    return {"contextUrl": None, "documentUrl": url, "document": context_fetch.fetch_context(url)}


def _process(local: list[Any]) -> dict[str, Any]:
    processor = jsonld.JsonLdProcessor()
    # A resolver of our own per build: pyld's default shares a process-wide cache of
    # remote contexts that would bypass the fetcher's allow-list and expiry.
    options: dict[str, Any] = {
        "base": "",
        "documentLoader": _load_document,
        "contextResolver": ContextResolver(LRUCache(maxsize=32), _load_document),
    }
    initial = processor.process_context({}, None, options)
    try:
        return processor.process_context(initial, local, options)
    except jsonld.JsonLdError as error:
        raise _translate(error) from None


def _translate(error: BaseException) -> Exception:
    """A pyld error → the NGSI-LD error to answer: the fetcher's own error when a remote
    context failed (503), else BadRequestData naming what JSON-LD found invalid."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, LdContextNotAvailable):
            return seen
        seen = seen.__cause__ or seen.__context__
    message = error.args[0] if error.args else str(error)
    code = getattr(error, "code", None)
    details = getattr(error, "details", None) or {}
    where = ""
    if isinstance(details, dict):
        for key in ("term", "context", "url"):
            if key in details:
                where = f" ({key}: {_short(details[key])})"
                break
    return BadRequestData(f"Invalid @context: {message}{f' [{code}]' if code else ''}{where}")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:200] + "…"


def _term_maps(active: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    terms: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    for term, definition in active.get("mappings", {}).items():
        if not definition or definition.get("reverse"):
            continue
        iri = definition.get("@id")
        if not isinstance(iri, str):
            continue
        terms[term] = iri
        if definition.get("_prefix") and not iri.startswith("@") and ":" not in term:
            prefixes.append((iri, term))
    # Longest IRI first, so that the most specific prefix makes the compact IRI.
    prefixes.sort(key=lambda item: (-len(item[0]), item[1]))
    return terms, prefixes


def _reverse(terms: dict[str, str], names: list[str]) -> dict[str, str]:
    """IRI → term, choosing as JSON-LD does the shortest, then first in order, term."""
    chosen: dict[str, str] = {}
    for name in sorted(names, key=lambda n: (len(n), n)):
        iri = terms[name]
        if not iri.startswith("@") and iri not in chosen:
            chosen[iri] = name
    return chosen


def _build(key: str, source: list[Any], local: list[Any]) -> ActiveContext:
    active = _process([*local, CORE_CONTEXT_URL])
    terms, prefixes = _term_maps(active)
    core_terms = _core_maps()[0]
    client_names = [name for name in terms if name not in core_terms]
    compact = _reverse(terms, [name for name in terms if name in core_terms])
    # The client's terms win over the core's for the same IRI (e.g. an SDM "location").
    compact.update(_reverse(terms, client_names))
    vocab = active.get("@vocab") or DEFAULT_VOCAB
    return ActiveContext(key=key, source=source, terms=terms, compact=compact, prefixes=prefixes, vocab=vocab)


_core_lock = threading.RLock()
_core_maps_built: tuple[dict[str, str], list[tuple[str, str]]] | None = None
_core_built: ActiveContext | None = None


def _core_maps() -> tuple[dict[str, str], list[tuple[str, str]]]:
    global _core_maps_built
    with _core_lock:
        if _core_maps_built is None:
            _core_maps_built = _term_maps(_process([CORE_CONTEXT_URL]))
        return _core_maps_built


def core_context() -> ActiveContext:
    """The core context alone (what a request without any @context gets)."""
    global _core_built
    with _core_lock:
        if _core_built is None:
            terms, prefixes = _core_maps()
            _core_built = ActiveContext(
                key=hashlib.sha256(b"[]").hexdigest(),
                source=[],
                terms=terms,
                compact=_reverse(terms, list(terms)),
                prefixes=prefixes,
                vocab=DEFAULT_VOCAB,
            )
        return _core_built


_cache_lock = threading.Lock()
_cache: OrderedDict[str, ActiveContext] = OrderedDict()


def clear_caches() -> None:
    """Forget every built context and remote document (tests; after a context DELETE)."""
    with _cache_lock:
        _cache.clear()
    context_fetch.forget()


def _as_list(source: Any) -> list[Any]:
    if source is None:
        return []
    if isinstance(source, (str, dict)):
        return [source]
    if isinstance(source, list):
        return source
    raise BadRequestData(
        f"@context must be a URL, a context object or an array of them, not {type(source).__name__}."
    )


def _check_item(item: Any, position: int) -> None:
    if isinstance(item, dict):
        return
    if isinstance(item, str):
        if urlsplit(item).scheme in ("http", "https"):
            return
        raise BadRequestData(f"@context entry {position} ({item!r}) is not an absolute http(s) URL.")
    raise BadRequestData(
        f"@context entry {position} must be a URL or a context object, not {type(item).__name__}."
    )


def active_context(source: Any) -> ActiveContext:
    """The ActiveContext of a @context value as a client sent it (URL, object, or array).

    Raises BadRequestData for an invalid context and LdContextNotAvailable when a remote
    context cannot be retrieved.
    """
    given = _as_list(source)
    core = _core_urls()
    # The core context applies last anyway (5.5.7); a client listing it changes nothing.
    local = [item for item in given if not (isinstance(item, str) and item in core)]
    if not local:
        return core_context()
    for position, item in enumerate(given):
        _check_item(item, position)
    canonical = _canonical(given)
    with _cache_lock:
        ctx = _cache.get(canonical)
        if ctx is not None:
            _cache.move_to_end(canonical)
            return ctx
    ctx = _build(hashlib.sha256(canonical.encode()).hexdigest(), copy.deepcopy(given), local)
    with _cache_lock:
        _cache[canonical] = ctx
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return ctx


# --- HTTP (6.3.5) -----------------------------------------------------------------------

# One link of a Link header (RFC 8288): <target> followed by ;-separated parameters.
_LINK = re.compile(r'\s*<([^>]*)>\s*((?:;\s*[^;,="]+\s*(?:=\s*(?:"[^"]*"|[^;,"]*))?\s*)*)')
_PARAM = re.compile(r';\s*([^;,="\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,"\s]*)))?')


def parse_link_header(header: str) -> list[tuple[str, dict[str, str]]]:
    """The links of a (possibly comma-joined) Link header: [(target, {param: value})]."""
    links: list[tuple[str, dict[str, str]]] = []
    position = 0
    while position < len(header):
        match = _LINK.match(header, position)
        if match is None:
            raise BadRequestData(f"The Link header is malformed near: {header[position : position + 60]!r}.")
        params = {
            name.lower(): quoted if quoted is not None else (bare or "")
            for name, quoted, bare in _PARAM.findall(match.group(2))
        }
        links.append((match.group(1).strip(), params))
        position = match.end()
        while position < len(header) and header[position] in ", \t":
            position += 1
    return links


def _context_links(header: str | None) -> list[str]:
    if not header or not header.strip():
        return []
    found = []
    for target, params in parse_link_header(header):
        if JSONLD_CONTEXT_REL in params.get("rel", "").split():
            found.append(target)
    return found


def _body_contexts(body: Any) -> list[Any]:
    """The @context values of a JSON-LD body (one object, or an array of them for batch
    operations); a missing one is an error (6.3.5)."""
    items = body if isinstance(body, list) else [body]
    contexts = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "@context" not in item:
            where = "" if not isinstance(body, list) else f" (item {index} of the array)"
            raise BadRequestData(
                f"A request body sent as application/ld+json must carry its @context{where}; "
                'add an "@context" member, or send application/json with the context in a Link header.'
            )
        contexts.append(item["@context"])
    return contexts


def context_from_request(*, link_header: str | None, content_type: str, body: Any | None) -> ActiveContext:
    """The @context of a request (NGSI-LD 6.3.5).

    application/ld+json with a body: the body's "@context" (required), and no JSON-LD
    context Link header. Otherwise (application/json, or no body as in a GET): the one
    Link header with rel="http://www.w3.org/ns/json-ld#context", or the core context.
    A JSON body must not carry "@context" (it would be silently ignored otherwise).
    """
    media = content_type.split(";", 1)[0].strip().lower()
    links = _context_links(link_header)
    if len(links) > 1:
        raise BadRequestData(
            f"The request carries {len(links)} JSON-LD context Link headers; at most one is allowed (6.3.5)."
        )
    if body is not None and media == JSON_LD:
        if links:
            raise BadRequestData(
                "A request sent as application/ld+json carries its @context in the body; "
                "it must not also send a JSON-LD context Link header (6.3.5)."
            )
        contexts = _body_contexts(body)
        first = _canonical(contexts[0])
        if any(_canonical(other) != first for other in contexts[1:]):
            raise BadRequestData("All the entities of one request must share the same @context.")
        return active_context(contexts[0])
    if body is not None:
        items = body if isinstance(body, list) else [body]
        if any(isinstance(item, dict) and "@context" in item for item in items):
            raise BadRequestData(
                'A body sent as application/json must not contain "@context"; send it as '
                "application/ld+json, or put the context URL in a Link header (6.3.5)."
            )
    if links:
        return active_context(links[0])
    return core_context()


def link_header_for(ctx: ActiveContext) -> str | None:
    """The Link header naming `ctx` for an application/json answer (6.3.6), None for the
    core context. A context that is not a single URL (inline objects, several URLs) is
    hosted by the broker under a URL of its own (5.13.2, ImplicitlyCreated) so that the
    header can name it."""
    if ctx.is_core:
        return None
    core = _core_urls()
    local = [item for item in ctx.source if not (isinstance(item, str) and item in core)]
    if len(local) == 1 and isinstance(local[0], str):
        url = local[0]
    else:
        local_id = IMPLICIT_PREFIX + ctx.key[:32]
        # One SELECT when it exists already: an in-process memo would outlive the row
        # (a rolled-back transaction, a DELETE from another process).
        url = context_fetch.host_context(local_id=local_id, document={"@context": ctx.source}).url
    return f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="{JSON_LD}"'


# The local ids of implicitly created contexts (5.13.2 kind ImplicitlyCreated) start so.
IMPLICIT_PREFIX = "implicit-"
