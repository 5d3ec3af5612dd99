"""A subscription request (NGSI-LD 5.2.12, 5.2.14) checked and turned into the stored form.

The stored `definition` holds the members the client gave, with every term (types,
attribute names) expanded through the request's @context, so that matching a change never
looks at a @context again. `q` and `geoQ` are kept as given and parsed with the
subscription's own context (`Subscription.context`) when matching.

`parse_members` checks each member on its own (creation and PATCH, 5.8.2, share it);
`check_complete` checks what only the whole subscription can tell (one of `entities` and
`watchedAttributes`, an endpoint).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..models import Subscription
from ..models.subscriptions import SubscriptionStatus
from ..ngsild.context import ActiveContext
from ..ngsild.errors import BadRequestData, OperationNotSupported
from ..ngsild.geo import parse_geoquery
from ..ngsild.query import parse_q, parse_scope_q
from ..ngsild.query_patterns import compile_id_pattern
from ..ngsild.timestamps import format_instant, parse_instant
from .egress import check_endpoint

# 5.2.12: the notificationTrigger values of v1.8, and the default when none is given.
TRIGGERS = (
    "entityCreated",
    "entityUpdated",
    "entityDeleted",
    "attributeCreated",
    "attributeUpdated",
    "attributeDeleted",
)
DEFAULT_TRIGGERS = ["attributeCreated", "attributeUpdated"]
FORMATS = ("normalized", "keyValues", "concise")
ACCEPTS = ("application/json", "application/ld+json")
# idPattern is a regular expression run on every change of the tenant, inside the writer's
# transaction: a bound on its length keeps a pathological pattern from being expensive.
MAX_ID_PATTERN = 256
MAX_RECEIVER_HEADERS = 20

# Members a client may send; read-only ones (status, timesSent…) are accepted and ignored,
# as a client often sends back what it retrieved (5.2.12 marks them as set by the broker).
_KNOWN = {
    "id",
    "type",
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "notificationTrigger",
    "timeInterval",
    "q",
    "geoQ",
    "scopeQ",
    "csf",
    "isActive",
    "notification",
    "expiresAt",
    "throttling",
    "lang",
    "jsonldContext",
    "@context",
    "status",
    "createdAt",
    "modifiedAt",
}
_REQUIRED = {"id", "type", "notification"}
_NOTIFICATION_KNOWN = {
    "attributes",
    "sysAttrs",
    "format",
    "showChanges",
    "endpoint",
    "status",
    "timesSent",
    "timesFailed",
    "lastNotification",
    "lastFailure",
    "lastSuccess",
}
# RFC 9110 field-name token characters: a receiverInfo key becomes an HTTP header name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Headers the broker sets itself on a notification; a receiverInfo entry must not forge them.
_RESERVED_HEADERS = {"content-type", "content-length", "link", "host", "ngsild-tenant", "transfer-encoding"}


# The longest pause between two notifications a subscription may ask for (NGSI-LD 5.2.12).
MAX_THROTTLING = 365 * 24 * 3600


def _string(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequestData(f"{field} must be a non-empty string, not {value!r}.")
    if "\x00" in value:
        # No database text column stores a NUL character (PostgreSQL refuses it outright).
        raise BadRequestData(f"{field} must not contain a NUL character (\\u0000).")
    return value


def _uri(value: object, *, field: str) -> str:
    """A URI (NGSI-LD 4.3 / 5.2.2): a scheme followed by ':' and something."""
    text = _string(value, field=field)
    scheme, _sep, rest = text.partition(":")
    if not rest or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) or any(c.isspace() for c in text):
        raise BadRequestData(f"{field} must be a URI (e.g. urn:ngsi-ld:Subscription:1), not {text!r}.")
    return text


def _string_list(value: object, *, field: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise BadRequestData(f"{field} must be a non-empty array of strings.")
    return [_string(item, field=f"{field}[{n}]") for n, item in enumerate(value)]


def _expand_type_selector(value: object, ctx: ActiveContext, *, field: str) -> list[str]:
    """An EntitySelector's `type` (5.2.33): one type, or alternatives separated by ',' or
    '|' (4.17). The entity matches when it has one of them."""
    text = _string(value, field=field)
    if any(c in text for c in ";()"):
        raise OperationNotSupported(
            f"{field}: type expressions with ';' (all of) or parentheses are not supported "
            f"in subscriptions; give alternatives separated by ',' or '|': {text!r}."
        )
    names = [part.strip() for part in re.split(r"[,|]", text)]
    if not all(names):
        raise BadRequestData(f"{field} has an empty type name: {text!r}.")
    return [ctx.expand_term(name) for name in names]


def _entities(value: object, ctx: ActiveContext) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise BadRequestData("entities must be a non-empty array of EntitySelector objects.")
    selectors = []
    for n, item in enumerate(value):
        field = f"entities[{n}]"
        if not isinstance(item, dict):
            raise BadRequestData(f"{field} must be an object with a type, and optionally an id or idPattern.")
        unknown = set(item) - {"id", "idPattern", "type"}
        if unknown:
            raise BadRequestData(f"{field} has unknown members: {', '.join(sorted(unknown))}.")
        if "type" not in item:
            raise BadRequestData(f"{field}.type is required (NGSI-LD 5.2.33).")
        selector: dict[str, Any] = {"type": _expand_type_selector(item["type"], ctx, field=f"{field}.type")}
        if "id" in item:
            selector["id"] = _uri(item["id"], field=f"{field}.id")
        if "idPattern" in item:
            pattern = _string(item["idPattern"], field=f"{field}.idPattern")
            if len(pattern) > MAX_ID_PATTERN:
                raise BadRequestData(f"{field}.idPattern is longer than {MAX_ID_PATTERN} characters.")
            compile_id_pattern(pattern, name=f"{field}.idPattern")
            selector["idPattern"] = pattern
        selectors.append(selector)
    return selectors


def _receiver_info(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise BadRequestData("notification.endpoint.receiverInfo must be an array of {key, value} objects.")
    if len(value) > MAX_RECEIVER_HEADERS:
        raise BadRequestData(
            f"notification.endpoint.receiverInfo has more than {MAX_RECEIVER_HEADERS} entries."
        )
    pairs = []
    for n, item in enumerate(value):
        field = f"notification.endpoint.receiverInfo[{n}]"
        if not isinstance(item, dict) or set(item) != {"key", "value"}:
            raise BadRequestData(f"{field} must be an object with exactly a key and a value (5.2.22).")
        key = _string(item["key"], field=f"{field}.key")
        header_value = item["value"]
        if not _HEADER_NAME.match(key):
            raise BadRequestData(f"{field}.key is not a valid HTTP header name: {key!r}.")
        if key.lower() in _RESERVED_HEADERS:
            raise BadRequestData(f"{field}.key {key!r} is set by the broker and cannot be given.")
        if not isinstance(header_value, str) or any(c in header_value for c in "\r\n\0"):
            raise BadRequestData(f"{field}.value must be a string on one line.")
        pairs.append({"key": key, "value": header_value})
    return pairs


def _endpoint(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestData("notification.endpoint must be an object with a uri.")
    unknown = set(value) - {"uri", "accept", "receiverInfo", "notifierInfo", "timeout", "cooldown"}
    if unknown:
        raise BadRequestData(f"notification.endpoint has unknown members: {', '.join(sorted(unknown))}.")
    if "uri" not in value:
        raise BadRequestData("notification.endpoint.uri is required.")
    uri = _uri(value["uri"], field="notification.endpoint.uri")
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequestData(
            f"notification.endpoint.uri must be an http or https URL with a host; this broker "
            f"delivers notifications over HTTP only (not MQTT): {uri!r}."
        )
    if len(uri) > 1000:
        raise BadRequestData("notification.endpoint.uri is longer than 1000 characters.")
    check_endpoint(uri)  # no internal addresses (SSRF); checked again at each delivery
    endpoint: dict[str, Any] = {"uri": uri, "accept": "application/json"}
    if "accept" in value:
        if value["accept"] not in ACCEPTS:
            raise BadRequestData(
                f"notification.endpoint.accept must be one of {', '.join(ACCEPTS)}, not {value['accept']!r}."
            )
        endpoint["accept"] = value["accept"]
    if "receiverInfo" in value:
        endpoint["receiverInfo"] = _receiver_info(value["receiverInfo"])
    for unsupported in ("notifierInfo", "timeout", "cooldown"):
        if unsupported in value:
            raise OperationNotSupported(
                f"notification.endpoint.{unsupported} is not supported by this broker "
                f"(notifications are POSTed over HTTP with a 10 s timeout and retried with backoff)."
            )
    return endpoint


def _notification(value: object, ctx: ActiveContext, *, previous: dict[str, Any] | None) -> dict[str, Any]:
    """NotificationParams (5.2.14). On PATCH (`previous` given) the members sent replace
    the stored ones one by one, the endpoint as a whole."""
    if not isinstance(value, dict):
        raise BadRequestData("notification must be an object (NotificationParams) with an endpoint.")
    unknown = set(value) - _NOTIFICATION_KNOWN
    if unknown:
        raise BadRequestData(f"notification has unknown members: {', '.join(sorted(unknown))}.")
    params: dict[str, Any] = dict(previous or {"format": "normalized"})
    if "attributes" in value:
        params["attributes"] = [
            ctx.expand_term(name)
            for name in _string_list(value["attributes"], field="notification.attributes")
        ]
    if "format" in value:
        if value["format"] not in FORMATS:
            raise BadRequestData(
                f"notification.format must be one of {', '.join(FORMATS)}, not {value['format']!r}."
            )
        params["format"] = value["format"]
    if "sysAttrs" in value:
        if not isinstance(value["sysAttrs"], bool):
            raise BadRequestData("notification.sysAttrs must be true or false.")
        params["sysAttrs"] = value["sysAttrs"]
    if value.get("showChanges"):
        raise OperationNotSupported("notification.showChanges is not supported by this broker.")
    if "endpoint" in value:
        params["endpoint"] = _endpoint(value["endpoint"])
    return params


def parse_members(
    payload: object, ctx: ActiveContext, *, now: datetime, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The members of a subscription request, checked and expanded (5.2.12).

    With `previous` (a PATCH, 5.8.2), the given members are laid over the stored
    definition and the result returned; without, the payload is a whole new subscription.
    Raises BadRequestData naming the member at fault, OperationNotSupported for what this
    broker does not do.
    """
    if not isinstance(payload, dict):
        raise BadRequestData("A subscription must be a JSON object.")
    unknown = set(payload) - _KNOWN
    if unknown:
        raise BadRequestData(f"Unknown subscription members: {', '.join(sorted(unknown))}.")
    definition: dict[str, Any] = dict(previous or {})
    if previous is not None:
        # 5.8.2 follows JSON merge patch (RFC 7396): null removes an optional member.
        removed = {name for name, value in payload.items() if value is None}
        if removed & _REQUIRED:
            raise BadRequestData(f"{', '.join(sorted(removed & _REQUIRED))} cannot be removed.")
        for name in removed:
            definition.pop(name, None)
        payload = {name: value for name, value in payload.items() if value is not None}
    if previous is None or "type" in payload:
        if payload.get("type") != "Subscription":
            raise BadRequestData(f'type must be "Subscription", not {payload.get("type")!r}.')
        definition["type"] = "Subscription"
    if "id" in payload:
        if previous is not None and payload["id"] != previous.get("id"):
            raise BadRequestData("The id of a subscription cannot be changed.")
        definition["id"] = _uri(payload["id"], field="id")
    for member in ("subscriptionName", "description"):
        if member in payload:
            definition[member] = _string(payload[member], field=member)
    if "entities" in payload:
        definition["entities"] = _entities(payload["entities"], ctx)
    if "watchedAttributes" in payload:
        definition["watchedAttributes"] = [
            ctx.expand_term(name)
            for name in _string_list(payload["watchedAttributes"], field="watchedAttributes")
        ]
    if "notificationTrigger" in payload:
        triggers = _string_list(payload["notificationTrigger"], field="notificationTrigger")
        wrong = [t for t in triggers if t not in TRIGGERS]
        if wrong:
            raise BadRequestData(
                f"notificationTrigger has unknown values {', '.join(wrong)}; allowed: {', '.join(TRIGGERS)}."
            )
        definition["notificationTrigger"] = list(dict.fromkeys(triggers))
    if "timeInterval" in payload:
        raise OperationNotSupported(
            "timeInterval (periodic notifications, 5.8.1) is not supported by this broker; "
            "subscribe to changes instead (watchedAttributes, notificationTrigger)."
        )
    if "csf" in payload:
        raise OperationNotSupported(
            "csf (context source filter) is not supported in subscriptions by this broker."
        )
    if "scopeQ" in payload:
        scope_q = _string(payload["scopeQ"], field="scopeQ")
        parse_scope_q(scope_q)
        definition["scopeQ"] = scope_q
    if "q" in payload:
        q = _string(payload["q"], field="q")
        parse_q(q, ctx)  # refused now rather than at the first change
        definition["q"] = q
    if "geoQ" in payload:
        definition["geoQ"] = _geo_q(payload["geoQ"], ctx)
    if "isActive" in payload:
        if not isinstance(payload["isActive"], bool):
            raise BadRequestData("isActive must be true or false.")
        definition["isActive"] = payload["isActive"]
    if "notification" in payload:
        definition["notification"] = _notification(
            payload["notification"], ctx, previous=(previous or {}).get("notification")
        )
    if "expiresAt" in payload:
        expires = parse_instant(payload["expiresAt"], field="expiresAt")
        if expires <= now:
            raise BadRequestData(f"expiresAt must be in the future: {payload['expiresAt']!r}.")
        definition["expiresAt"] = format_instant(expires)
    if "throttling" in payload:
        throttling = payload["throttling"]
        if isinstance(throttling, bool) or not isinstance(throttling, (int, float)) or throttling < 0:
            raise BadRequestData(f"throttling must be a number of seconds, 0 or more, not {throttling!r}.")
        if throttling != int(throttling):
            raise BadRequestData(f"throttling must be a whole number of seconds, not {throttling!r}.")
        if throttling > MAX_THROTTLING:
            # Beyond, nothing would be sent again in the subscription's life; and a huge
            # number overflows the database's integers.
            raise BadRequestData(
                f"throttling must be at most {MAX_THROTTLING} seconds (a year), not {throttling!r}."
            )
        definition["throttling"] = int(throttling)
    if "lang" in payload:
        definition["lang"] = _string(payload["lang"], field="lang")
    if "jsonldContext" in payload:
        definition["jsonldContext"] = _uri(payload["jsonldContext"], field="jsonldContext")
    definition.setdefault("notificationTrigger", list(DEFAULT_TRIGGERS))
    definition.setdefault("isActive", True)
    return definition


def _geo_q(value: object, ctx: ActiveContext) -> dict[str, Any]:
    """GeoQuery (5.2.13), checked with the same parser as the query parameters (4.10)."""
    if not isinstance(value, dict):
        raise BadRequestData("geoQ must be an object with geometry, coordinates and georel.")
    unknown = set(value) - {"geometry", "coordinates", "georel", "geoproperty"}
    if unknown:
        raise BadRequestData(f"geoQ has unknown members: {', '.join(sorted(unknown))}.")
    for member in ("geometry", "coordinates", "georel"):
        if member not in value:
            raise BadRequestData(f"geoQ.{member} is required.")
    for member in ("geometry", "georel", "geoproperty"):
        if member in value:
            _string(value[member], field=f"geoQ.{member}")
    geo_query(value, ctx)
    return dict(value)


def geo_query(value: dict[str, Any], ctx: ActiveContext) -> Any:
    coordinates = value.get("coordinates")
    return parse_geoquery(
        georel=value.get("georel"),
        geometry=value.get("geometry"),
        coordinates=coordinates if isinstance(coordinates, (str, list)) else None,
        geoproperty=value.get("geoproperty"),
        ctx=ctx,
    )


def check_complete(definition: dict[str, Any]) -> None:
    """What the members cannot say alone (5.8.1): something to watch, somewhere to notify."""
    if not definition.get("entities") and not definition.get("watchedAttributes"):
        raise BadRequestData("A subscription needs entities or watchedAttributes (or both).")
    endpoint = definition.get("notification", {}).get("endpoint")
    if not endpoint:
        raise BadRequestData("notification.endpoint.uri is required.")


def watched_types(definition: dict[str, Any]) -> list[str]:
    """Every type an entity selector names; empty when the subscription watches any type."""
    types: list[str] = []
    for selector in definition.get("entities") or []:
        types.extend(t for t in selector["type"] if t not in types)
    return types


def render_subscription(subscription: Subscription, ctx: ActiveContext, *, now: datetime) -> dict[str, Any]:
    """A subscription as the API shows it (5.2.12, 5.2.14): the stored members compacted
    with the request's @context, and what the broker keeps: status, timesSent,
    lastNotification, lastSuccess, lastFailure."""
    definition = subscription.definition
    shown: dict[str, Any] = {"id": subscription.subscription_id, "type": "Subscription"}
    for member in ("subscriptionName", "description"):
        if member in definition:
            shown[member] = definition[member]
    if definition.get("entities"):
        shown["entities"] = [_compact_selector(selector, ctx) for selector in definition["entities"]]
    if definition.get("watchedAttributes"):
        shown["watchedAttributes"] = [ctx.compact_iri(iri) for iri in definition["watchedAttributes"]]
    shown["notificationTrigger"] = definition.get("notificationTrigger", DEFAULT_TRIGGERS)
    for member in ("q", "scopeQ", "geoQ", "expiresAt", "throttling", "lang", "jsonldContext"):
        if member in definition:
            shown[member] = definition[member]
    shown["isActive"] = subscription.is_active
    expired = subscription.expires_at is not None and subscription.expires_at <= now
    shown["status"] = SubscriptionStatus.EXPIRED.value if expired else subscription.status
    shown["notification"] = _render_notification(subscription, ctx)
    return shown


def _compact_selector(selector: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    shown: dict[str, Any] = {m: selector[m] for m in ("id", "idPattern") if m in selector}
    shown["type"] = ",".join(ctx.compact_iri(iri) for iri in selector["type"])
    return shown


def _render_notification(subscription: Subscription, ctx: ActiveContext) -> dict[str, Any]:
    params = subscription.definition.get("notification", {})
    shown: dict[str, Any] = {}
    if params.get("attributes"):
        shown["attributes"] = [ctx.compact_iri(iri) for iri in params["attributes"]]
    shown["format"] = params.get("format", "normalized")
    if "sysAttrs" in params:
        shown["sysAttrs"] = params["sysAttrs"]
    shown["endpoint"] = dict(params.get("endpoint", {}))
    # 5.2.14: "failed" while the last attempt failed, "ok" otherwise.
    last_failure, last_success = subscription.last_failure, subscription.last_success
    failing = last_failure is not None and (last_success is None or last_failure > last_success)
    shown["status"] = "failed" if failing else "ok"
    shown["timesSent"] = subscription.times_sent
    shown["timesFailed"] = subscription.times_failed
    for member, moment in (
        ("lastNotification", subscription.last_notification),
        ("lastSuccess", last_success),
        ("lastFailure", last_failure),
    ):
        if moment is not None:
            shown[member] = format_instant(moment)
    return shown
