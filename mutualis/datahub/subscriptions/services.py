"""The verbs of subscriptions (NGSI-LD 5.8): create, update, delete, and the one door to a
tenant's subscriptions. The API calls these; so may the back-office or a command."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from mutualis.lib.compiled_query import CompiledQuery

from ..models import Subscription, Tenant
from ..models.subscriptions import SubscriptionQuerySet, SubscriptionStatus
from ..ngsild.context import ActiveContext, active_context
from ..ngsild.errors import AlreadyExists, ResourceNotFound
from ..ngsild.timestamps import parse_instant
from .definitions import check_complete, parse_members, watched_types


def subscriptions_of(tenant: Tenant | int) -> SubscriptionQuerySet:
    """The tenant's subscriptions (the tenant or its id), oldest first: the only way in
    (4.14, one tenant never sees another's)."""
    return Subscription.objects.filter(tenant=tenant).order_by("created_at", "pk")


def active_subscriptions(tenant: Tenant | int, *, now: datetime | Now) -> SubscriptionQuerySet:
    """Those a change may notify: active, not paused, not past their expiresAt (the hourly
    sweep marks them expired later; this does not wait for it)."""
    return (
        subscriptions_of(tenant)
        .filter(is_active=True, status=SubscriptionStatus.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


_ANY_ACTIVE = CompiledQuery(
    lambda tenant_id: active_subscriptions(tenant_id, now=Now()).order_by().values_list("pk")[:1],
    tenant_id=-1,
)


def has_active_subscriptions(tenant: Tenant) -> bool:
    """Whether a change in the tenant may notify someone (`active_subscriptions`, judged at
    the database's clock), by a query compiled once: asked by every write of readings."""
    return _ANY_ACTIVE.first(tenant_id=tenant.pk) is not None


def get_subscription(*, tenant: Tenant, subscription_id: str) -> Subscription:
    """ResourceNotFound for an unknown id and for another tenant's subscription alike."""
    # No stored id holds a NUL character, and PostgreSQL refuses one in a query.
    found = (
        None
        if "\x00" in subscription_id
        else subscriptions_of(tenant).filter(subscription_id=subscription_id).first()
    )
    if found is None:
        raise ResourceNotFound(f"No subscription {subscription_id!r} in this tenant.")
    return found


def _status(definition: dict[str, Any], expires_at: datetime | None, now: datetime) -> str:
    # 5.2.12: expired once past expiresAt, whatever isActive says; paused when not active.
    if expires_at is not None and expires_at <= now:
        return SubscriptionStatus.EXPIRED
    return SubscriptionStatus.ACTIVE if definition.get("isActive", True) else SubscriptionStatus.PAUSED


def _apply(subscription: Subscription, definition: dict[str, Any], *, now: datetime) -> None:
    """Copy onto the columns what the broker reads on every change."""
    expires = definition.get("expiresAt")
    subscription.definition = definition
    subscription.name = definition.get("subscriptionName", "")[:200]
    subscription.watched_types = watched_types(definition)
    subscription.is_active = definition.get("isActive", True)
    subscription.expires_at = parse_instant(expires, field="expiresAt") if expires else None
    subscription.status = _status(definition, subscription.expires_at, now)
    subscription.throttling = definition.get("throttling", 0)
    subscription.endpoint = definition["notification"]["endpoint"]["uri"]


def notification_context(ctx: ActiveContext, definition: dict[str, Any]) -> list[Any]:
    """The @context notifications are compacted with (5.8.1): `jsonldContext` when given,
    else the one the subscription was created with."""
    if "jsonldContext" in definition:
        return [definition["jsonldContext"]]
    return list(ctx.source)


@transaction.atomic
def create_subscription(
    *, tenant: Tenant, payload: object, ctx: ActiveContext, now: datetime | None = None
) -> Subscription:
    """5.8.1: AlreadyExists when the tenant has a subscription with that id."""
    now = now or timezone.now()
    definition = parse_members(payload, ctx, now=now)
    definition.setdefault("id", f"urn:ngsi-ld:Subscription:{uuid.uuid4()}")
    check_complete(definition)
    if "jsonldContext" in definition:
        # Refused now (LdContextNotAvailable, BadRequestData) rather than at each notification.
        active_context(definition["jsonldContext"])
    subscription = Subscription(
        tenant=tenant, subscription_id=definition["id"], context=notification_context(ctx, definition)
    )
    _apply(subscription, definition, now=now)
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError:
        raise AlreadyExists(f"A subscription with id {definition['id']!r} already exists.") from None
    return subscription


@transaction.atomic
def update_subscription(
    *, tenant: Tenant, subscription_id: str, payload: object, ctx: ActiveContext, now: datetime | None = None
) -> Subscription:
    """5.8.2: the members given replace the stored ones; the result must still be a whole
    subscription. An expired subscription given a later expiresAt is active again."""
    now = now or timezone.now()
    subscription = get_subscription(tenant=tenant, subscription_id=subscription_id)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    definition = parse_members(payload, ctx, now=now, previous=subscription.definition)
    check_complete(definition)
    if isinstance(payload, dict) and "jsonldContext" in payload:
        # Given or removed (null): notifications now use it, or the request's @context.
        subscription.context = notification_context(ctx, definition)
    _apply(subscription, definition, now=now)
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscription(*, tenant: Tenant, subscription_id: str) -> None:
    """5.8.5. Notifications already queued for it are dropped when their turn comes."""
    subscription = get_subscription(tenant=tenant, subscription_id=subscription_id)
    subscription.delete()
