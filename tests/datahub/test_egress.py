"""Notification endpoints filtered against internal addresses (SSRF): refused when a
subscription is made or changed (BadRequestData naming why), and again at each delivery
after the name is resolved, to the address actually connected to (DNS rebinding).

The suite's settings allow 127.0.0.1 for the other subscription tests; each test here sets
the allow-list it needs, starting from none (the production default).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from django.utils import timezone

from mutualis.datahub.models import Subscription
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.subscriptions import egress
from mutualis.datahub.subscriptions.notify import Change, entities_changed
from mutualis.datahub.subscriptions.services import create_subscription
from mutualis.jobs import run_pending
from tests.datahub.conftest import Hub

from .test_subscriptions_support import entity, receiving, subscription_payload

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


@pytest.fixture
def no_allow_list(settings: Any) -> Any:
    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = []
    settings.DATAHUB_NOTIFICATION_ALLOW_PRIVATE = False
    return settings


def refused_problem(response: Any, *words: str) -> str:
    assert response.status_code == 400, response.content.decode()[:500]
    body = response.json()
    assert body["type"] == ERRORS + "BadRequestData"
    assert "notification.endpoint.uri is refused" in body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return str(body["detail"])


# --- at subscription time ------------------------------------------------------------------

REFUSED = [
    ("http://127.0.0.1:8080/notify", "loopback"),
    ("http://127.0.0.2/notify", "loopback"),
    ("http://10.1.2.3/notify", "private"),
    ("http://172.16.5.4/notify", "private"),
    ("http://192.168.1.10/notify", "private"),
    ("http://100.64.0.1/notify", "private"),  # shared address space (RFC 6598)
    ("http://169.254.10.1/notify", "link-local"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://100.100.100.200/latest/meta-data/", "metadata"),
    ("http://0.0.0.0:8000/notify", "unspecified"),
    ("http://224.0.0.1/notify", "multicast"),
    ("http://192.0.2.7/notify", "reserved"),  # documentation range (RFC 5737)
    ("http://[::1]:8080/notify", "loopback"),
    ("http://[fd12:3456::1]/notify", "private"),  # IPv6 unique local address
    ("http://[fe80::1]/notify", "link-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://[::ffff:127.0.0.1]/notify", "loopback"),  # IPv4-mapped
    ("http://[64:ff9b::a00:1]/notify", "private"),  # NAT64 of 10.0.0.1
    ("http://[2002:c0a8:101::1]/notify", "private"),  # 6to4 of 192.168.1.1
    ("http://127.1/notify", "loopback"),  # a numeric form the resolver reads as 127.0.0.1
    ("http://localhost:8000/notify", "internal host name"),
    ("http://api.localhost/notify", "internal host name"),
    ("http://metadata.google.internal/computeMetadata/v1/", "internal host name"),
    ("http://printer.local/notify", "internal host name"),
    ("http://intranet/notify", "internal host name"),  # completed by the resolver's search domains
    ("http://2130706433/notify", "internal host name"),  # 127.0.0.1 as one number
]


@pytest.mark.django_db
@pytest.mark.parametrize(("uri", "kind"), REFUSED, ids=[uri for uri, _kind in REFUSED])
def test_an_internal_endpoint_is_refused_with_the_reason(
    hub: Hub, ngsi: Any, no_allow_list: Any, uri: str, kind: str
) -> None:
    response = ngsi(hub.alice_rw).post("subscriptions", subscription_payload(uri))
    detail = refused_problem(response, kind)
    assert "DATAHUB_NOTIFICATION_ALLOWED_HOSTS" in detail
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_name_resolving_to_loopback_is_refused(hub: Hub, ngsi: Any, no_allow_list: Any) -> None:
    # Internal names allowed (closed network), so that the check that refuses is the
    # resolution of `localhost` to 127.0.0.1.
    no_allow_list.DATAHUB_NOTIFICATION_ALLOW_PRIVATE = True
    response = ngsi(hub.alice_rw).post("subscriptions", subscription_payload("http://localhost:8000/n"))
    refused_problem(response, "localhost resolves to 127.0.0.1", "loopback")


@pytest.mark.django_db
def test_changing_the_endpoint_is_checked_too(hub: Hub, ngsi: Any, no_allow_list: Any) -> None:
    alice = ngsi(hub.alice_rw)
    payload = subscription_payload("https://hooks.example.org/n", id="urn:ngsi-ld:Subscription:s")
    assert alice.post("subscriptions", payload).status_code == 201
    response = alice.patch(
        "subscriptions/urn:ngsi-ld:Subscription:s",
        {"notification": {"endpoint": {"uri": "http://169.254.169.254/latest/meta-data/"}}},
    )
    refused_problem(response, "metadata")
    assert Subscription.objects.get().endpoint == "https://hooks.example.org/n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "uri",
    [
        "https://hooks.example.org/notify",  # unknown to the DNS now: checked at each delivery
        "http://93.184.215.14/notify",
        "http://[2001:4860:4860::8888]/notify",
    ],
)
def test_public_endpoints_are_accepted(hub: Hub, ngsi: Any, no_allow_list: Any, uri: str) -> None:
    response = ngsi(hub.alice_rw).post("subscriptions", subscription_payload(uri))
    assert response.status_code == 201, response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("allowed", "allow_private", "uri", "accepted"),
    [
        (["hooks.cd78.internal"], False, "http://hooks.cd78.internal/n", True),
        ([".cd78.internal"], False, "http://supervision.cd78.internal/n", True),
        (["localhost"], False, "http://localhost:8000/n", True),
        (["10.20.0.0/16"], False, "http://10.20.3.4/n", True),
        (["10.20.0.0/16"], False, "http://10.21.3.4/n", False),
        ([], True, "http://10.21.3.4/n", True),
        ([], True, "http://[fd12::1]/n", True),
        ([], True, "http://127.0.0.1/n", False),  # private networks, not this server
        ([], True, "http://169.254.10.1/n", False),
        (["169.254.0.0/16"], True, "http://169.254.169.254/n", False),  # metadata: only by its address
        (["169.254.169.254"], False, "http://169.254.169.254/n", True),
        (["::1"], False, "http://[::1]:8000/n", True),
    ],
)
def test_the_allow_list_and_private_networks(
    hub: Hub, ngsi: Any, settings: Any, allowed: list[str], allow_private: bool, uri: str, accepted: bool
) -> None:
    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = allowed
    settings.DATAHUB_NOTIFICATION_ALLOW_PRIVATE = allow_private
    response = ngsi(hub.alice_rw).post("subscriptions", subscription_payload(uri))
    if accepted:
        assert response.status_code == 201, response.content.decode()
    else:
        refused_problem(response)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("8.8.8.8", None),
        ("2a01:e0a:1::1", None),
        ("127.0.0.1", "loopback"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("172.31.255.255", "private"),
        ("172.32.0.1", None),
        ("198.18.0.1", "reserved"),  # benchmarking (RFC 2544)
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::808:808", None),  # NAT64 of a public address
    ],
)
def test_address_kinds(text: str, kind: str | None) -> None:
    assert egress.address_kind(ipaddress.ip_address(text)) == kind


@pytest.mark.parametrize("entry", ["*", "10.0.0.0/33", "999.1.1.1", "hooks example", "http://x.org/"])
def test_bad_allow_list_entries_are_named(entry: str) -> None:
    with pytest.raises(ValueError, match=r"not accepted|is not a host name"):
        egress.parse_allowed_hosts(["hooks.example.org", entry])


# --- at delivery ---------------------------------------------------------------------------


def _change() -> Change:
    e = entity("urn:ngsi-ld:Sensor:1", temperature=21.0)
    return Change(entity=e, previous=None, attributes=frozenset(e["attrs"]))


def _subscribe(hub: Hub, uri: str) -> Subscription:
    return create_subscription(tenant=hub.tenant_a, payload=subscription_payload(uri), ctx=core_context())


def _deliver(hub: Hub) -> None:
    entities_changed(hub.tenant_a, [_change()], now=timezone.now())
    run_pending()


def _failure(subscription: Subscription, *words: str) -> str:
    subscription.refresh_from_db()
    assert (subscription.times_sent, subscription.times_failed) == (0, 1)
    assert subscription.last_failure is not None
    for word in words:
        assert word in subscription.last_failure_reason, subscription.last_failure_reason
    return subscription.last_failure_reason


@pytest.mark.django_db(transaction=True)
def test_an_address_allowed_when_subscribing_is_refused_when_no_longer_allowed(
    hub: Hub, settings: Any
) -> None:
    # No test transaction: the failure is recorded for good, as in production.
    with receiving() as receiver:
        subscription = _subscribe(hub, receiver.url)  # 127.0.0.1 is allowed by the test settings
        settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = []
        _deliver(hub)
    assert receiver.received == []
    _failure(subscription, receiver.url, "refused", "127.0.0.1 is a loopback address")


@pytest.mark.django_db(transaction=True)
def test_a_name_that_resolves_to_loopback_at_delivery_is_refused(hub: Hub, settings: Any) -> None:
    """DNS rebinding: the name passed the check when subscribing (here: it was allowed), its
    address is checked again when sending."""
    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = ["localhost"]
    with receiving() as receiver:
        subscription = _subscribe(hub, f"http://localhost:{receiver.port}/notify")
        # Internal names allowed, the name no longer listed: only its address can refuse it.
        settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = []
        settings.DATAHUB_NOTIFICATION_ALLOW_PRIVATE = True
        _deliver(hub)
    assert receiver.received == []
    _failure(subscription, "localhost resolves to 127.0.0.1", "loopback")


@pytest.mark.django_db(transaction=True)
def test_an_internal_name_is_refused_at_delivery(hub: Hub, settings: Any) -> None:
    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = ["localhost"]
    with receiving() as receiver:
        subscription = _subscribe(hub, f"http://localhost:{receiver.port}/notify")
        settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = []
        _deliver(hub)
    assert receiver.received == []
    _failure(subscription, "internal host name")


@pytest.mark.django_db(transaction=True)
def test_ipv6_loopback_is_refused_at_delivery(hub: Hub, settings: Any) -> None:
    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = ["::1"]
    with receiving(host="::1") as receiver:
        subscription = _subscribe(hub, receiver.url)
        settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = []
        _deliver(hub)
    assert receiver.received == []
    _failure(subscription, "::1 is a loopback address")


@pytest.mark.django_db
def test_delivery_connects_to_the_address_it_checked(hub: Hub, settings: Any, monkeypatch: Any) -> None:
    """The name is resolved once per delivery, by the check: the connection goes to the
    address checked (a second lookup could answer differently), with the name in Host."""
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def counting_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    settings.DATAHUB_NOTIFICATION_ALLOWED_HOSTS = ["localhost"]
    with receiving() as receiver:
        _subscribe(hub, f"http://localhost:{receiver.port}/notify")
        lookups.clear()
        monkeypatch.setattr(socket, "getaddrinfo", counting_getaddrinfo)
        _deliver(hub)
    (received,) = receiver.received
    assert received.headers["Host"] == f"localhost:{receiver.port}"
    assert lookups == ["localhost"]


@pytest.mark.django_db(transaction=True)
def test_a_redirect_to_a_refused_host_is_not_followed(hub: Hub) -> None:
    # The test settings allow 127.0.0.1 only: 127.0.0.2 is loopback, refused.
    with receiving(host="127.0.0.2") as inside, receiving() as receiver:
        receiver.status = 307
        receiver.location = inside.url
        subscription = _subscribe(hub, receiver.url)
        _deliver(hub)
    assert len(receiver.received) == 1
    assert inside.received == []
    _failure(subscription, "HTTP 307", inside.url, "redirects are not followed")
