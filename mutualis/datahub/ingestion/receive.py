"""One batch of received messages → observations in the hub, rejected ones kept.

The MQTT worker and the HTTP endpoint both call `ingest_messages`. A batch is written in
one transaction: the observations (through the batch verbs of `mutualis.datahub.services`,
the NGSI-LD API's own write path) and the dead letters together. If the database fails,
nothing of the batch is written and the caller keeps the messages to try again (MQTT: they
are not acknowledged, so the broker still holds them); writing the same observation twice
is a no-op (the history's unique key), so a retried batch creates no duplicate.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from mutualis.datahub import services
from mutualis.datahub.bulk import collector_held
from mutualis.datahub.models import DeadLetter, IngestionSource, Tenant
from mutualis.datahub.models.tenants import DEFAULT_TENANT

from .compact import Reading, Rejected, parse_compact, parse_entities, readings_to_fragments

OBSERVATIONS, ENTITIES = "observations", "entities"
KINDS = (OBSERVATIONS, ENTITIES)
# In topics, the operator's shared space (the default tenant, whose name is empty) is "_".
SHARED_TOPIC_NAME = "_"


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
    rejected: int = 0  # dead letters written (a message, or one reading or entity of one)
    # For the HTTP answer: per message, per item, the reason of each refusal.
    refusals: list[dict[str, Any]] = field(default_factory=list)


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
        topic=message.topic,
        payload=payload[: DeadLetter.MAX_PAYLOAD],
        reason=reason,
        detail=detail[:2000],
        received_at=now,
    )


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", errors="replace")


def _resolve_tenants(operator_id: int, messages: Iterable[Message]) -> dict[str, Tenant]:
    names = {
        DEFAULT_TENANT if m.tenant_name == SHARED_TOPIC_NAME else m.tenant_name
        for m in messages
        if m.tenant is None
    }
    if not names:
        return {}
    tenants = {t.name: t for t in Tenant.objects.filter(operator_id=operator_id, name__in=names)}
    if DEFAULT_TENANT in tenants:
        tenants[SHARED_TOPIC_NAME] = tenants[DEFAULT_TENANT]
    return tenants


def ingest_messages(
    *, operator_id: int, messages: list[Message], now: datetime | None = None
) -> IngestReport:
    """Write the observations of `messages` and keep what is refused, in one transaction.

    Raises only on database errors (the caller retries the whole batch)."""
    # Parsing and writing the batch build tens of thousands of objects without cycles. The
    # collector comes back on once `_ingest` has returned and they are freed: turned back
    # on while they were alive, its next run walked them all (for the HTTP upsert, held
    # the same way, that was ~9 ms a request: mutualis.datahub.ngsild.http).
    with collector_held():
        return _ingest(operator_id, messages, now or timezone.now())


def _ingest(operator_id: int, messages: list[Message], now: datetime) -> IngestReport:
    report = IngestReport(messages=len(messages))
    letters: list[DeadLetter] = []
    with transaction.atomic():
        tenants = _resolve_tenants(operator_id, messages)
        readings: dict[int, list[tuple[int, Reading]]] = defaultdict(list)
        entities: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        by_pk: dict[int, Tenant] = {}

        def refuse(
            index: int, message: Message, tenant: Tenant | None, rejected: Rejected, payload: str
        ) -> None:
            letters.append(
                _letter(
                    operator_id=operator_id,
                    message=message,
                    tenant=tenant,
                    reason=rejected.reason,
                    detail=rejected.detail,
                    payload=payload,
                    now=now,
                )
            )
            report.refusals.append({"message": index, "reason": rejected.reason, "detail": rejected.detail})

        for index, message in enumerate(messages):
            tenant = message.tenant or tenants.get(message.tenant_name)
            if tenant is None:
                refuse(
                    index,
                    message,
                    None,
                    Rejected("unknown_tenant", f"No tenant named {message.tenant_name!r} for this operator."),
                    _text(message.payload),
                )
                continue
            by_pk[tenant.pk] = tenant
            try:
                if message.kind == OBSERVATIONS:
                    for item in parse_compact(message.payload):
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
                        "unknown_kind", f"Unknown message kind {message.kind!r}: {' or '.join(KINDS)}."
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
            DeadLetter.objects.bulk_create(letters)
    report.rejected = len(letters)
    return report


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
) -> DeadLetter:
    """A dead letter for an entity the hub's verb refused, naming the message it came in."""
    problem = error.get("error", {})
    message = messages[origin[error["entityId"]]] if error.get("entityId") in origin else None
    return DeadLetter(
        operator_id=operator_id,
        tenant=tenant,
        source=message.source if message else IngestionSource.MQTT,
        topic=message.topic if message else "",
        payload=json.dumps(error, ensure_ascii=False)[: DeadLetter.MAX_PAYLOAD],
        reason="refused_by_hub",
        detail=f"{error.get('entityId')}: {problem.get('detail', '')}"[:2000],
        received_at=now,
    )
