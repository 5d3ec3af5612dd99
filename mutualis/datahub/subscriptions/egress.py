"""Where the hub may send notifications: public addresses only, checked twice (SSRF).

A subscription's endpoint is a URL chosen by a tenant, and the worker POSTs to it from
inside the operator's network. Unfiltered, any tenant with write rights could make the
server call its own services (127.0.0.1), the operator's network (10.x), or a cloud's
metadata service (169.254.169.254, which hands out credentials): server-side request
forgery (OWASP SSRF Prevention Cheat Sheet). So:

1. when a subscription is created or its endpoint changed, `check_endpoint` refuses
   (BadRequestData) an address that is not public, an internal host name (`localhost`, a
   name without a dot, `.internal`, `.local`…) and a name that resolves only to addresses
   that are not public;
2. when a notification is sent, `post` resolves the name again, checks every address the
   DNS gave, and connects to a checked one itself. The name is never resolved a second
   time between the check and the connection, so a DNS answer that changed since the
   subscription was made (DNS rebinding) is caught. Redirects are never followed.

What is allowed beyond public addresses (settings, docs/ngsi-ld.md):
- `DATAHUB_NOTIFICATION_ALLOWED_HOSTS`: host names ("hooks.cd78.fr"), domains with their
  subdomains (".cd78.fr"), addresses and networks in CIDR form ("10.20.0.0/16",
  "127.0.0.1"). A listed name may resolve to any address, a listed network allows the
  addresses it contains;
- `DATAHUB_NOTIFICATION_ALLOW_PRIVATE`: private networks (RFC 1918, 100.64.0.0/10, IPv6
  unique local addresses) and internal names, for a hub inside a closed network. Loopback
  and link-local addresses still need an entry of the list.
Cloud metadata addresses are refused unless an entry of the list is that very address.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from ..ngsild.errors import BadRequestData

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata services: AWS, GCP, Azure and OpenStack (and AWS over IPv6), the AWS
# container credentials endpoint, Alibaba Cloud. They answer with credentials to anyone
# on the machine, which makes them the first target of a forged request.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
# What DATAHUB_NOTIFICATION_ALLOW_PRIVATE opens: RFC 1918, the shared address space of
# RFC 6598 (carrier-grade NAT, also used inside clouds) and IPv6 unique local addresses.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(text)
    for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# IPv6 prefixes that carry an IPv4 address a gateway may forward to (RFC 6052 NAT64).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that never designate a public host: RFC 6761 (localhost), RFC 6762 (.local, mDNS),
# RFC 8375 (.home.arpa), ICANN's private-use .internal (2024), and the usual .localdomain
# and .lan of internal resolvers. A name without a dot is completed by the resolver's search
# domains into an internal one.
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")

_HOST_NAME = re.compile(r"\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")

KIND_TEXT = {
    "metadata": "a cloud metadata service address",
    "unspecified": "an unspecified address (it reaches this server)",
    "loopback": "a loopback address (this server)",
    "link-local": "a link-local address",
    "multicast": "a multicast address",
    "private": "a private network address",
    "reserved": "a reserved address that is not public",
}
# An answer is drained up to this before the connection is closed: its body is not used.
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "Mutualis-datahub (NGSI-LD notifications)"


class Refused(Exception):  # noqa: N818 - a refusal, not a failure of the code
    """The destination is not allowed; the message says which address and why."""


class Unreachable(Exception):  # noqa: N818 - the receiver's state, as in "host unreachable"
    """The destination is allowed but could not be reached (DNS, connection, TLS, timeout)."""


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not public (a key of KIND_TEXT), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_kind(address.ipv4_mapped)
        embedded = address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and address_kind(embedded) is not None:
            return address_kind(embedded)
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address.packed[0] == 0):
        return "unspecified"  # 0.0.0.0/8 "this network": Linux connects it to the local host
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if any(address in network for network in PRIVATE_NETWORKS):
        return "private"
    if not address.is_global:
        return "reserved"
    return None


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _literal(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_internal_name(host: str) -> bool:
    host = _normalise_host(host)
    return host == "localhost" or "." not in host or host.endswith(INTERNAL_SUFFIXES)


@dataclass(frozen=True)
class Policy:
    """The allow-list and the private-network switch, parsed from the settings."""

    names: frozenset[str]
    domains: tuple[str, ...]  # ".cd78.fr": the domain and its subdomains
    networks: tuple[IPNetwork, ...]
    allow_private: bool = False

    def name_allowed(self, host: str) -> bool:
        host = _normalise_host(host)
        return host in self.names or any(host.endswith(d) or host == d[1:] for d in self.domains)

    def refusal(self, address: IPAddress, *, name_allowed: bool = False) -> str | None:
        """Why the hub may not connect to `address` (a key of KIND_TEXT), or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        kind = address_kind(address)
        if kind is None:
            return None
        listed = [network for network in self.networks if address in network]
        if kind == "metadata":
            # Only an entry naming this very address opens a metadata service.
            return None if any(network.num_addresses == 1 for network in listed) else kind
        if listed or name_allowed:
            return None
        if kind == "private" and self.allow_private:
            return None
        return kind


def parse_allowed_hosts(entries: Iterable[str]) -> Policy:
    """The entries of DATAHUB_NOTIFICATION_ALLOWED_HOSTS; ValueError naming a bad one."""
    names: set[str] = set()
    domains: list[str] = []
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = _normalise_host(str(raw))
        if not entry:
            continue
        if entry == "*":
            raise ValueError(
                "'*' is not accepted: set DATAHUB_NOTIFICATION_ALLOW_PRIVATE for private networks, "
                "and list loopback or link-local addresses one by one."
            )
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.fullmatch(entry) or re.fullmatch(r"[0-9./]+", entry):
            raise ValueError(
                f"{raw!r} is not a host name, a domain (.example.org), an address or a network in CIDR form."
            )
        if entry.startswith("."):
            domains.append(entry)
        else:
            names.add(entry)
    return Policy(names=frozenset(names), domains=tuple(domains), networks=tuple(networks))


def policy() -> Policy:
    """The current settings (read at each use: they are few and tests override them)."""
    parsed = parse_allowed_hosts(getattr(settings, "DATAHUB_NOTIFICATION_ALLOWED_HOSTS", []) or [])
    allow_private = bool(getattr(settings, "DATAHUB_NOTIFICATION_ALLOW_PRIVATE", False))
    return Policy(parsed.names, parsed.domains, parsed.networks, allow_private=allow_private)


def _explain(host: str, address: IPAddress, kind: str) -> str:
    shown = host if _literal(host) is not None else f"{host} resolves to {address}, which"
    return (
        f"{shown} is {KIND_TEXT[kind]}: notifications are sent to public addresses only "
        "(the operator can allow a host or network in DATAHUB_NOTIFICATION_ALLOWED_HOSTS)."
    )


@dataclass(frozen=True)
class _Target:
    family: int
    sockaddr: Any
    address: IPAddress


def _resolve(host: str, port: int) -> list[_Target]:
    """Every address the resolver gives, in its order (getaddrinfo also reads numeric
    forms such as 2130706433 or 127.1, which is why literals go through it too)."""
    targets: list[_Target] = []
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if all(t.address != address for t in targets):
            targets.append(_Target(family, sockaddr, address))
    return targets


def _host_and_port(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadRequestData(f"notification.endpoint.uri has an invalid port: {url!r}.") from None
    return host, port, parts.scheme


def check_endpoint(url: str) -> None:
    """At subscription time: BadRequestData naming why the endpoint is refused.

    A name the DNS does not know (yet) is accepted: it is checked again, resolved, at each
    delivery, which is where the check that matters happens.
    """
    host, port, _scheme = _host_and_port(url)
    rules = policy()
    literal = _literal(host)
    if literal is not None:
        kind = rules.refusal(literal)
        if kind is not None:
            raise BadRequestData(f"notification.endpoint.uri is refused: {_explain(host, literal, kind)}")
        return
    if rules.name_allowed(host):
        return
    if is_internal_name(host) and not rules.allow_private:
        raise BadRequestData(
            f"notification.endpoint.uri is refused: {host} is an internal host name; notifications "
            "are sent to public hosts only (the operator can allow a host in "
            "DATAHUB_NOTIFICATION_ALLOWED_HOSTS)."
        )
    try:
        targets = _resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        return
    refusals = [(t.address, rules.refusal(t.address)) for t in targets]
    if targets and all(kind is not None for _address, kind in refusals):
        address, kind = refusals[0]
        assert kind is not None  # noqa: S101 - all() above
        raise BadRequestData(f"notification.endpoint.uri is refused: {_explain(host, address, kind)}")


def _allowed_targets(host: str, port: int) -> list[_Target]:
    """The addresses the hub may connect to for `host`; Refused when there is none."""
    rules = policy()
    name_allowed = _literal(host) is None and rules.name_allowed(host)
    if _literal(host) is None and not name_allowed and is_internal_name(host) and not rules.allow_private:
        raise Refused(f"{host} is an internal host name; notifications are sent to public hosts only.")
    try:
        targets = _resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise Unreachable(f"{host} could not be resolved ({type(exc).__name__}: {exc})") from None
    allowed = [t for t in targets if rules.refusal(t.address, name_allowed=name_allowed) is None]
    if not allowed:
        first = targets[0].address
        kind = rules.refusal(first, name_allowed=name_allowed)
        raise Refused(_explain(host, first, kind or "reserved"))
    return allowed


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to the addresses checked, never resolving the host again: the host name
    still goes in the Host header (and, over TLS, in SNI and the certificate check).

    The whole exchange must end by `deadline` (time.monotonic()). A socket's timeout
    bounds each wait only: a receiver answering one byte every few seconds would hold the
    worker for hours (and, once past the job's time limit, a thread for good), so a timer
    shuts the socket down at the deadline, which ends any read in progress."""

    targets: list[_Target]
    deadline: float
    timed_out: bool = False
    _watchdog: threading.Timer | None = None
    _closing: tuple[threading.Lock, list[bool]]

    def connect(self) -> None:
        errors = []
        for target in self.targets:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                break
            sock = socket.socket(target.family, socket.SOCK_STREAM)
            sock.settimeout(min(self.timeout, remaining) if self.timeout is not None else remaining)
            try:
                sock.connect(target.sockaddr)
            except OSError as exc:
                sock.close()
                errors.append(f"{target.address}: {exc}")
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            self._watch(sock, self.deadline - time.monotonic())
            return
        raise ConnectionError("; ".join(errors) or "no time left to connect")

    def _watch(self, sock: socket.socket, remaining: float) -> None:
        # By file descriptor: over TLS, wrapping hands the descriptor to a new socket object
        # (the plain one is detached), and the handshake is an exchange to bound too.
        fd = sock.fileno()
        guard = threading.Lock()
        self._closing = guard, [False]

        def expire() -> None:
            with guard:
                if self._closing[1][0]:
                    return  # closed meanwhile: the descriptor may belong to another socket now
                self.timed_out = True
                view = socket.socket(fileno=fd)
                try:
                    view.shutdown(socket.SHUT_RDWR)  # ends any read or write in progress
                except OSError:
                    pass
                finally:
                    view.detach()  # the descriptor stays its owner's to close

        self._watchdog = threading.Timer(max(remaining, 0), expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            guard, closed = self._closing
            with guard:
                closed[0] = True
                super().close()
            return
        super().close()


class _PinnedTLSConnection(http.client.HTTPSConnection, _PinnedConnection):
    # HTTPSConnection.connect calls super().connect(), which the order of the bases makes
    # the pinned one, then wraps the socket in TLS for the host name.
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    location: str | None


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to `url` through the checks above: Refused, Unreachable, or the answer
    (a redirection is an answer like any other: it is not followed). `timeout` bounds the
    whole exchange, from resolving the name to the end of the answer read."""
    deadline = time.monotonic() + timeout
    host, port, scheme = _host_and_port(url)
    targets = _allowed_targets(host, port)
    connection: _PinnedConnection
    if scheme == "https":
        connection = _PinnedTLSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = _PinnedConnection(host, port, timeout=timeout)
    connection.targets = targets
    connection.deadline = deadline
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        response.read(MAX_ANSWER_BYTES)
        answer = Answer(
            status=response.status, reason=response.reason, location=response.getheader("Location")
        )
    except (OSError, http.client.HTTPException) as exc:
        # A wait of the socket's own can end first (its timeout is the whole budget too):
        # on a busy machine the watchdog's thread may run late. Either way, too slow.
        if connection.timed_out or isinstance(exc, TimeoutError):
            raise Unreachable(_too_slow(timeout)) from None
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
    if connection.timed_out:
        # Cut off while reading: what was read may be a part of the answer only.
        raise Unreachable(_too_slow(timeout))
    return answer


def _too_slow(timeout: float) -> str:
    return f"no complete answer within {timeout:g} s (the whole exchange must end in that time)"
