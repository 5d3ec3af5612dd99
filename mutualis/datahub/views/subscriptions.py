"""/ngsi-ld/v1/subscriptions: NGSI-LD subscriptions (6.10, 6.11; operations 5.8)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.urls import re_path
from django.utils import timezone

from mutualis.lib.numbers import whole_number

from ..ngsild.errors import BadRequestData
from ..ngsild.http import NgsiRequest, json_response, methods, ngsild_view, no_content
from ..subscriptions.definitions import render_subscription
from ..subscriptions.services import (
    create_subscription,
    delete_subscription,
    get_subscription,
    subscriptions_of,
    update_subscription,
)

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
# Databases take 64-bit offsets at most; no tenant has 2^31 subscriptions.
MAX_OFFSET = 2**31 - 1


def _count_param(
    nr: NgsiRequest, name: str, *, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = nr.params.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() also reads "1_0" and other scripts' digits.
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise BadRequestData(f"{name} must be a whole number, not {raw[:40]!r}.")
    value = whole_number(raw, signed=True)
    if value is None or value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        given = value if value is not None else f"a number of {len(digits):,} digits"
        raise BadRequestData(f"{name} must be at least {minimum}{upper}, not {given}.")
    return value


def _location(subscription_id: str) -> str:
    return f"/ngsi-ld/v1/subscriptions/{quote(subscription_id, safe=':')}"


@ngsild_view()
def list_subscriptions(nr: NgsiRequest) -> HttpResponse:
    """6.10.3.2 / 5.8.4: the tenant's subscriptions, paginated (limit, offset, count)."""
    limit = _count_param(nr, "limit", default=DEFAULT_LIMIT, minimum=0, maximum=MAX_LIMIT)
    offset = _count_param(nr, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
    count = nr.params.get("count", "false")
    if count not in ("true", "false"):
        raise BadRequestData(f"count must be true or false, not {count!r}.")
    subscriptions = subscriptions_of(nr.tenant)
    now = timezone.now()
    page = [render_subscription(s, nr.ctx, now=now) for s in subscriptions[offset : offset + limit]]
    headers = {"NGSILD-Results-Count": str(subscriptions.count())} if count == "true" else None
    return json_response(nr, page, headers=headers)


@ngsild_view(write=True, body=True)
def create(nr: NgsiRequest) -> HttpResponse:
    """6.10.3.1 / 5.8.1: 201 with the new subscription's URL."""
    subscription = create_subscription(tenant=nr.tenant, payload=nr.body, ctx=nr.ctx)
    return no_content({"Location": _location(subscription.subscription_id)}, status=201)


@ngsild_view()
def retrieve(nr: NgsiRequest, subscription_id: str) -> HttpResponse:
    """6.11.3.1 / 5.8.3."""
    subscription = get_subscription(tenant=nr.tenant, subscription_id=subscription_id)
    return json_response(nr, render_subscription(subscription, nr.ctx, now=timezone.now()))


@ngsild_view(write=True, body=True, merge_patch=True)
def update(nr: NgsiRequest, subscription_id: str) -> HttpResponse:
    """6.11.3.2 / 5.8.2: 204."""
    update_subscription(tenant=nr.tenant, subscription_id=subscription_id, payload=nr.body, ctx=nr.ctx)
    return no_content()


@ngsild_view(write=True)
def delete(nr: NgsiRequest, subscription_id: str) -> HttpResponse:
    """6.11.3.3 / 5.8.5: 204."""
    delete_subscription(tenant=nr.tenant, subscription_id=subscription_id)
    return no_content()


urlpatterns = [
    # A trailing slash is tolerated on the collection, as on /entities: clients send one.
    re_path(r"^subscriptions/?$", methods(GET=list_subscriptions, POST=create), name="subscription-list"),
    # Any character, line breaks included (a <path:> stops at them): an odd id is then a
    # ResourceNotFound problem, not the site's HTML 404.
    re_path(
        r"^subscriptions/(?P<subscription_id>[\s\S]+)\Z",
        methods(GET=retrieve, PATCH=update, DELETE=delete),
        name="subscription-detail",
    ),
]
