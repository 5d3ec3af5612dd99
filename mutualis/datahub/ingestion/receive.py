"""One batch of received messages → observations in the hub, rejected ones kept.

The MQTT worker and the HTTP endpoint both call `ingest_batch`. A batch is written in
one transaction: the observations (through the batch verbs of `mutualis.datahub.services`,
the NGSI-LD API's own write path) and the dead letters together. If the database fails,
nothing of the batch is written and the caller keeps the messages to try again (MQTT: they
are not acknowledged, so the broker still holds them); writing the same observation twice
is a no-op (the history's unique key), so a retried batch creates no duplicate.

A message that makes the write itself fail (a value the database refuses, a defect of the
hub) must not hold up the others: retried, it would fail again for ever, and the broker
drops what it cannot deliver once its queue is full. `ingest_batch` then writes the batch
again, halving it around the failure down to the one reading (or entity) at fault, which
becomes a dead letter `write_failed` while everything else is written.

A rejection received again is the letter already kept, seen once more (`_keep`): QoS 1 is
"at least once" (MQTT 3.1.1 §4.3.2), and a message whose PUBACK was lost comes back,
flagged DUP (§3.3.1.1) or, after a new session, not even flagged; it must not count as a
second rejected message.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mutualis.datahub import services
from mutualis.datahub.bulk import collector_held
from mutualis.datahub.models import DeadLetter, IngestionSource, Tenant
from mutualis.datahub.models.tenants import DEFAULT_TENANT

from . import reasons
from .compact import (
    Reading,
    Rejected,
    check_not_ahead,
    load_json,
    parse_compact,
    parse_entities,
    readings_to_fragments,
)

log = logging.getLogger(__name__)

OBSERVATIONS, ENTITIES = "observations", "entities"
KINDS = (OBSERVATIONS, ENTITIES)
# In topics, the operator's shared space (the default tenant, whose name is empty) is "_".
SHARED_TOPIC_NAME = "_"
# An MQTT topic may be 65,535 bytes long; the dead letter keeps its start.
MAX_TOPIC = DeadLetter._meta.get_field("topic").max_length
MAX_DETAIL = 2000


@dataclass(frozen=True)
class Message:
    tenant_name: str  # as in the topic ("_" for the shared space) or resolved by the HTTP edge
    kind: str  # OBSERVATIONS or ENTITIES
    payload: bytes
    source: str = IngestionSource.MQTT
    topic: str = ""
    tenant: Tenant | None = None  # already resolved (HTTP); otherwise looked up by name


@dataclass
class IngestReport:
    messages: int = 0
    observations: int = 0  # attribute values written
    rejected: int = 0  # refusals (a message, or one reading or entity of one)
    # Of the refusals, those already kept as a dead letter (received again): counted on it.
    repeated: int = 0
    # For the HTTP answer: per message, per item, the reason of each refusal.
    refusals: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: IngestReport, *, offset: int = 0) -> None:
        """Count `other`, the report of messages that start at index `offset` of this batch."""
        self.observations += other.observations
        self.rejected += other.rejected
        self.repeated += other.repeated
        self.refusals += [{**r, "message": r["message"] + offset} for r in other.refusals]


def _letter(
    *,
    operator_id: int,
    message: Message,
    tenant: Tenant | None,
    reason: str,
    detail: str,
    payload: str,
    now: datetime,
) -> DeadLetter:
    return DeadLetter(
        operator_id=operator_id,
        tenant=tenant,
        source=message.source,
        topic=_storable(message.topic)[:MAX_TOPIC],
        payload=_storable(payload)[: DeadLetter.MAX_PAYLOAD],
        reason=reason,
        detail=_storable(detail)[:MAX_DETAIL],
        received_at=now,
        last_seen_at=now,
    )


def letter_fingerprint(letter: DeadLetter, occurrence: int) -> str:
    """What makes a rejection this one: where it came from (tenant, transport, topic), what
    came (the payload as kept), why it was refused, and, for the same refusal made twice of
    one message (two readings with the same fault), which of them it is. Nothing of the
    time it arrived: a redelivery may come days later (the broker keeps the session)."""
    identity = [
        letter.tenant_id,
        letter.source,
        letter.topic,
        letter.payload,
        letter.reason,
        letter.detail,
        occurrence,
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _keep(operator_id: int, letters: list[tuple[int, DeadLetter]], now: datetime) -> int:
    """Store the dead letters of a batch, `(message index, letter)`; a letter kept already
    (same fingerprint) is counted as seen again instead. Returns how many were repeats."""
    occurrences: Counter[tuple[Any, ...]] = Counter()
    fresh: dict[str, DeadLetter] = {}
    seen_again: Counter[str] = Counter()
    for index, letter in letters:
        key = (
            index,
            letter.tenant_id,
            letter.source,
            letter.topic,
            letter.payload,
            letter.reason,
            letter.detail,
        )
        letter.fingerprint = letter_fingerprint(letter, occurrences[key])
        occurrences[key] += 1
        if letter.fingerprint in fresh:  # the same message twice in one batch
            seen_again[letter.fingerprint] += 1
        else:
            fresh[letter.fingerprint] = letter
    for attempt in (1, 2):
        try:
            # A savepoint: a concurrent request inserting the same letter first makes the
            # insert fail on the unique fingerprint; looked up again, it is a repeat.
            with transaction.atomic():
                return _count_and_insert(operator_id, fresh, seen_again, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _count_and_insert(
    operator_id: int, fresh: dict[str, DeadLetter], seen_again: Counter[str], now: datetime
) -> int:
    # Every lock in fingerprint order, whatever the order of the batch's messages: the rows
    # kept already (locked here, before their UPDATEs), then the unique index entries of
    # the new ones (the INSERT below). Two batches bringing the same two new letters in
    # opposite orders each inserted one and waited on the other's: a deadlock, one batch
    # refused by PostgreSQL. In one order, the second waits for the first to commit, then
    # meets the unique constraint and counts the letters as repeats (the retry above).
    kept = set(
        DeadLetter.objects.select_for_update()
        .filter(operator_id=operator_id, fingerprint__in=sorted(fresh))
        .order_by("fingerprint")
        .values_list("fingerprint", flat=True)
    )
    # Each repeat counted once per batch: one UPDATE per distinct count, not per letter.
    by_count: dict[int, list[str]] = defaultdict(list)
    for fingerprint in kept:
        by_count[1 + seen_again[fingerprint]].append(fingerprint)
    for count, fingerprints in by_count.items():
        DeadLetter.objects.filter(operator_id=operator_id, fingerprint__in=fingerprints).update(
            times_seen=F("times_seen") + count, last_seen_at=now
        )
    new = [fresh[fingerprint] for fingerprint in sorted(fresh) if fingerprint not in kept]
    for letter in new:
        letter.times_seen = 1 + seen_again[letter.fingerprint]
    DeadLetter.objects.bulk_create(new)
    return sum(seen_again.values()) + len(kept)


def _storable(text: str) -> str:
    """`text` as the database can hold it: PostgreSQL refuses NUL characters, and no
    database encodes a lone surrogate; both are shown as escapes, as `_text` shows bytes
    that are not UTF-8, so that the person reading the dead letter sees what came."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def _text(payload: bytes) -> str:
    # An undecodable byte shows as \xff rather than as "�": the reader sees which it was.
    return payload.decode("utf-8", errors="backslashreplace")


def _resolve_tenants(operator_id: int, messages: Iterable[Message]) -> dict[str, Tenant]:
    # An empty name is no tenant: a topic names the shared space "_" (the default tenant's
    # own name, empty, would let `<prefix>//observations` write there).
    names = {
        DEFAULT_TENANT if m.tenant_name == SHARED_TOPIC_NAME else m.tenant_name
        for m in messages
        if m.tenant is None and m.tenant_name
    }
    if not names:
        return {}
    tenants = {t.name: t for t in Tenant.objects.filter(operator_id=operator_id, name__in=names)}
    if DEFAULT_TENANT in tenants:
        tenants[SHARED_TOPIC_NAME] = tenants.pop(DEFAULT_TENANT)
    return tenants


def ingest_messages(
    *, operator_id: int, messages: list[Message], now: datetime | None = None
) -> IngestReport:
    """Write the observations of `messages` and keep what is refused, in one transaction.

    Raises on database errors, and on a message the write fails on (a value the database
    refuses, a defect of the hub): `ingest_batch` then finds that message and keeps it."""
    # Parsing and writing the batch build tens of thousands of objects without cycles. The
    # collector comes back on once `_ingest` has returned and they are freed: turned back
    # on while they were alive, its next run walked them all (for the HTTP upsert, held
    # the same way, that was ~9 ms a request: mutualis.datahub.ngsild.http).
    with collector_held():
        return _ingest(operator_id, messages, now or timezone.now())


def _ingest(operator_id: int, messages: list[Message], now: datetime) -> IngestReport:
    report = IngestReport(messages=len(messages))
    letters: list[tuple[int, DeadLetter]] = []
    with transaction.atomic():
        tenants = _resolve_tenants(operator_id, messages)
        readings: dict[int, list[tuple[int, Reading]]] = defaultdict(list)
        entities: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        by_pk: dict[int, Tenant] = {}

        def refuse(
            index: int, message: Message, tenant: Tenant | None, rejected: Rejected, payload: str
        ) -> None:
            letters.append(
                (
                    index,
                    _letter(
                        operator_id=operator_id,
                        message=message,
                        tenant=tenant,
                        reason=rejected.reason,
                        detail=rejected.detail,
                        payload=payload,
                        now=now,
                    ),
                )
            )
            report.refusals.append({"message": index, "reason": rejected.reason, "detail": rejected.detail})

        for index, message in enumerate(messages):
            tenant = message.tenant or tenants.get(message.tenant_name)
            if tenant is None:
                refuse(index, message, None, _unknown_tenant(message), _text(message.payload))
                continue
            by_pk[tenant.pk] = tenant
            try:
                if message.kind == OBSERVATIONS:
                    for item in parse_compact(message.payload):
                        if not isinstance(item, Rejected):
                            try:
                                item = check_not_ahead(item, now)
                            except Rejected as ahead:
                                item = ahead
                        if isinstance(item, Rejected):
                            refuse(index, message, tenant, item, _text(message.payload))
                        else:
                            readings[tenant.pk].append((index, item))
                elif message.kind == ENTITIES:
                    for parsed in parse_entities(message.payload, now=now):
                        if isinstance(parsed, Rejected):
                            refuse(index, message, tenant, parsed, _text(message.payload))
                        else:
                            entities[tenant.pk].append((index, parsed))
                else:
                    raise Rejected(
                        "unknown_kind",
                        reasons.UNKNOWN_KIND % {"kind": repr(message.kind), "kinds": " or ".join(KINDS)},
                    )
            except Rejected as rejected:
                refuse(index, message, tenant, rejected, _text(message.payload))

        for tenant_pk, items in readings.items():
            tenant = by_pk[tenant_pk]
            fragments, unknown, known = readings_to_fragments(tenant, [reading for _i, reading in items])
            index_of = {id(reading): i for i, reading in items}
            for reading, refusal in unknown:
                refuse(
                    index_of[id(reading)],
                    messages[index_of[id(reading)]],
                    tenant,
                    refusal,
                    _reading_json(reading),
                )
            origin = {f["id"]: index_of[id(r)] for f, r in zip(fragments, known, strict=True)}
            if fragments:
                result = services.record_observations(tenant=tenant, entities=fragments, now=now)
                report.observations += sum(len(f["attrs"]) for f in fragments) - _failed_values(
                    result, fragments
                )
                for error in result.errors:
                    letters.append(_batch_letter(operator_id, tenant, error, now, messages, origin))
        for tenant_pk, parsed_items in entities.items():
            tenant = by_pk[tenant_pk]
            result = services.upsert_entities(
                tenant=tenant, entities=[e for _i, e in parsed_items], replace=False, now=now
            )
            written = set(result.success)
            report.observations += sum(len(e["attrs"]) for _i, e in parsed_items if e["id"] in written)
            origin = {e["id"]: i for i, e in parsed_items}
            for error in result.errors:
                letters.append(_batch_letter(operator_id, tenant, error, now, messages, origin))
        if letters:
            report.repeated = _keep(operator_id, letters, now)
    report.rejected = len(letters)
    return report


def _unknown_tenant(message: Message) -> Rejected:
    if not message.tenant_name:
        return Rejected(
            "unknown_tenant",
            reasons.TOPIC_WITHOUT_TENANT
            % {
                "topic": repr(message.topic),
                "observations": OBSERVATIONS,
                "entities": ENTITIES,
                "shared": repr(SHARED_TOPIC_NAME),
            },
        )
    return Rejected("unknown_tenant", reasons.UNKNOWN_TENANT % {"tenant": repr(message.tenant_name)})


def is_message_specific(error: Exception) -> bool:
    """Whether `error`, raised while a batch was written, may come from what a message
    holds rather than from the database being unavailable: the database refused a value
    (DataError, IntegrityError) or the hub itself failed (any error but a database one).
    Writing the batch again would fail the same way. Other database errors (connection
    lost, server shutting down, deadlock, read-only standby) pass: retry later."""
    return isinstance(error, (DataError, IntegrityError)) or not isinstance(error, DatabaseError)


def ingest_batch(*, operator_id: int, messages: list[Message], now: datetime | None = None) -> IngestReport:
    """`ingest_messages`, where a message (or a reading of one) that makes the write fail
    for a reason of its own becomes a dead letter `write_failed` and the rest is written.

    Raises only when the database is unavailable (the caller retries the whole batch):
    everything, the other messages and their dead letters, is then rolled back together."""
    now = now or timezone.now()
    try:
        return ingest_messages(operator_id=operator_id, messages=messages, now=now)
    except Exception as error:
        if not is_message_specific(error):
            raise
        log.warning(
            "Writing a batch of %d message(s) failed (%s: %s): writing it in parts to find the culprit.",
            len(messages),
            type(error).__name__,
            error,
        )
    # One transaction still, each part in a savepoint: a part that fails leaves nothing.
    with transaction.atomic():
        return _ingest_in_parts(operator_id, messages, now)


def _ingest_in_parts(operator_id: int, messages: list[Message], now: datetime) -> IngestReport:
    try:
        return ingest_messages(operator_id=operator_id, messages=messages, now=now)
    except Exception as error:
        if not is_message_specific(error):
            raise
        failure = error
    report = IngestReport(messages=len(messages))
    if len(messages) > 1:
        middle = len(messages) // 2
        report.add(_ingest_in_parts(operator_id, messages[:middle], now))
        report.add(_ingest_in_parts(operator_id, messages[middle:], now), offset=middle)
        return report
    halves = _halves(messages[0])
    if halves is not None:
        for half in halves:
            report.add(_ingest_in_parts(operator_id, [half], now))
        return report
    log.error(
        "A message on %r could not be written; it is kept as a dead letter.",
        messages[0].topic,
        exc_info=failure,
    )
    return _write_failed(operator_id, messages[0], failure, now)


def _halves(message: Message) -> tuple[Message, Message] | None:
    """The message as two messages of half its readings (or entities) each, or None when
    it holds one (or is not a JSON list at all)."""
    try:
        items = load_json(message.payload)
    except Rejected:
        return None
    if not isinstance(items, list) or len(items) < 2:
        return None
    middle = len(items) // 2
    # ASCII escapes: a lone surrogate read from "\ud800" is written back as it came.
    return (
        replace(message, payload=json.dumps(items[:middle]).encode()),
        replace(message, payload=json.dumps(items[middle:]).encode()),
    )


def _write_failed(operator_id: int, message: Message, error: Exception, now: datetime) -> IngestReport:
    """Keep a message the hub could not write as a dead letter, with the error."""
    detail = reasons.WRITE_FAILED % {"error": f"{type(error).__name__}: {error}"}
    tenant = message.tenant or _resolve_tenants(operator_id, [message]).get(message.tenant_name)
    letter = _letter(
        operator_id=operator_id,
        message=message,
        tenant=tenant,
        reason="write_failed",
        detail=detail,
        payload=_text(message.payload),
        now=now,
    )
    repeated = _keep(operator_id, [(0, letter)], now)
    return IngestReport(
        messages=1,
        rejected=1,
        repeated=repeated,
        refusals=[{"message": 0, "reason": "write_failed", "detail": detail}],
    )


def _reading_json(reading: Reading) -> str:
    return json.dumps(
        {"sensor": reading.sensor, "observedAt": reading.observed_at.isoformat(), "values": reading.values},
        ensure_ascii=False,
    )


def _failed_values(result: services.BatchResult, fragments: list[dict[str, Any]]) -> int:
    failed = {error["entityId"] for error in result.errors}
    return sum(len(f["attrs"]) for f in fragments if f["id"] in failed)


def _batch_letter(
    operator_id: int,
    tenant: Tenant,
    error: dict[str, Any],
    now: datetime,
    messages: list[Message],
    origin: dict[str, int],
) -> tuple[int, DeadLetter]:
    """A dead letter for an entity the hub's verb refused, with the index of the message it
    came in (-1 when none is known)."""
    problem = error.get("error", {})
    index = origin.get(error.get("entityId"), -1)  # type: ignore[arg-type]
    message = messages[index] if index >= 0 else None
    return index, DeadLetter(
        operator_id=operator_id,
        tenant=tenant,
        source=message.source if message else IngestionSource.MQTT,
        topic=_storable(message.topic if message else "")[:MAX_TOPIC],
        payload=_storable(json.dumps(error, ensure_ascii=False))[: DeadLetter.MAX_PAYLOAD],
        reason="refused_by_hub",
        detail=_storable(f"{error.get('entityId')}: {problem.get('detail', '')}")[:MAX_DETAIL],
        received_at=now,
        last_seen_at=now,
    )
