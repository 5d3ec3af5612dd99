"""What a notification says (NGSI-LD 5.3.1, 5.2.14) and how it goes on the wire (6.3.6).

The Notification is built when the change happens, so that it shows the entity as the
change left it, even when the delivery is retried later; its id is fixed then too, so a
receiver can recognise a notification delivered twice (delivery is at least once).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..models import Subscription
from ..models.tenants import DEFAULT_TENANT
from ..ngsild.context import ActiveContext, link_header_for
from ..ngsild.render import render_entity
from ..ngsild.timestamps import format_instant

if TYPE_CHECKING:
    from .notify import Change

JSON = "application/json"
JSON_LD = "application/ld+json"


def _render(
    change: Change, subscription: Subscription, ctx: ActiveContext, notified_at: str
) -> dict[str, Any]:
    params = subscription.definition.get("notification", {})
    if change.entity is None:
        # entityDeleted: only who it was, and when it went (the v1.8 deletedAt system attribute).
        gone = change.subject
        types = [ctx.compact_iri(t) for t in gone.get("type") or []]
        return {
            "id": gone["id"],
            "type": types[0] if len(types) == 1 else types,
            "deletedAt": notified_at,
        }
    attributes = params.get("attributes")
    return render_entity(
        change.entity,
        ctx,
        fmt=params.get("format", "normalized"),
        attrs=set(attributes) if attributes else None,
        sys_attrs=bool(params.get("sysAttrs", False)),
        lang=subscription.definition.get("lang"),
    )


def build_notification(
    subscription: Subscription, changes: list[Change], ctx: ActiveContext, *, now: datetime
) -> dict[str, Any]:
    """One Notification for all the changes of one call (5.3.1). An entity changed several
    times in the call appears once, as it was left."""
    notified_at = format_instant(now)
    last: dict[str, Change] = {}
    for change in changes:
        entity = change.subject
        last.pop(entity["id"], None)  # keep the order of the last changes
        last[entity["id"]] = change
    return {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": subscription.subscription_id,
        "notifiedAt": notified_at,
        "data": [_render(change, subscription, ctx, notified_at) for change in last.values()],
    }


def wire_format(
    subscription: Subscription, notification: dict[str, Any], ctx: ActiveContext
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of the POST (5.3.1, 6.3.6): application/json with the @context
    in a Link header, or application/ld+json with it in the body, as endpoint.accept says;
    the receiverInfo headers (5.2.22); NGSILD-Tenant outside the default tenant (6.3.14)."""
    endpoint = subscription.definition["notification"]["endpoint"]
    headers: dict[str, str] = {}
    for pair in endpoint.get("receiverInfo") or []:
        headers[pair["key"]] = pair["value"]
    body = dict(notification)
    if endpoint.get("accept") == JSON_LD:
        headers["Content-Type"] = JSON_LD
        body["@context"] = ctx.response_context()
    else:
        headers["Content-Type"] = JSON
        link = link_header_for(ctx)
        if link:
            headers["Link"] = link
    if subscription.tenant.name != DEFAULT_TENANT:
        headers["NGSILD-Tenant"] = subscription.tenant.name
    return body, headers
