"""The OpenID Connect client of ProConnect, the State's identity federation for public agents.

OpenID Connect Core 1.0, authorization code flow (3.1), with PKCE (RFC 7636, S256) and
ProConnect's particulars: discovery at `<issuer>/.well-known/openid-configuration` (OpenID
Connect Discovery 1.0, 4), client authentication `client_secret_post` (Core 9), ID token and
userinfo signed RS256, userinfo answered as a JWT (`application/jwt`, Core 5.3.2), logout
through the `end_session_endpoint` (RP-Initiated Logout 1.0, 2).

Nothing is fetched at import or start-up: the discovery document and the signing keys are
fetched on the first login and kept in this process for PROCONNECT_CACHE_SECONDS. Every call
has a timeout; a failure raises `ProviderUnavailableError`, an answer that does not hold raises
`InvalidResponseError`, for the views to show a page in the person's language.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings

logger = logging.getLogger(__name__)

# Clock skew tolerated on exp/iat/nbf (Core 3.1.3.7 leaves it to the client): a minute covers
# servers kept on time by NTP without keeping an expired token usable for long.
LEEWAY_SECONDS = 60
# Largest answer read from ProConnect: discovery, keys and tokens are a few kilobytes.
MAX_ANSWER_BYTES = 1024 * 1024
# ProConnect signs with RS256 (its documentation); accepting only it rules out "none" and
# the HS256-with-the-public-key confusion.
ALGORITHMS = ["RS256"]


class ProConnectError(Exception):
    """A login through ProConnect that cannot go on."""


class ProviderUnavailableError(ProConnectError):
    """ProConnect could not be reached, or answered with an error or garbage."""


class InvalidResponseError(ProConnectError):
    """ProConnect's answer does not prove who the person is (signature, issuer, audience,
    expiry or nonce does not hold, or the code was refused)."""


# What a login through ProConnect keeps in the session: the pending login attempt (until
# ProConnect sends the person back), then the ID token, for logging out of ProConnect too
# (RP-Initiated Logout 1.0, 2: id_token_hint), then the state of that logout.
FLOW_SESSION_KEY = "mutualis_proconnect_flow"
ID_TOKEN_SESSION_KEY = "mutualis_proconnect_id_token"  # noqa: S105 - a key's name, not a secret
LOGOUT_STATE_SESSION_KEY = "mutualis_proconnect_logout_state"


def is_enabled() -> bool:
    """ProConnect is offered when its issuer, client id and client secret are all set."""
    return bool(
        settings.PROCONNECT_ISSUER and settings.PROCONNECT_CLIENT_ID and settings.PROCONNECT_CLIENT_SECRET
    )


@dataclass(frozen=True)
class Flow:
    """What one login attempt keeps in the session between leaving for ProConnect and coming
    back: `state` against cross-site request forgery (Core 3.1.2.1), `nonce` against replayed
    ID tokens (Core 3.1.2.1, 3.1.3.7 item 11), the PKCE verifier (RFC 7636, 4.1)."""

    state: str
    nonce: str
    verifier: str
    next_url: str

    @classmethod
    def new(cls, *, next_url: str) -> Flow:
        # 32 bytes of randomness each: beyond guessing; the verifier's 64 characters are
        # within RFC 7636's 43-128 unreserved characters.
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
            next_url=next_url,
        )

    @property
    def code_challenge(self) -> str:
        """RFC 7636, 4.2: BASE64URL(SHA256(verifier)), without padding."""
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def as_session(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier, "next": self.next_url}

    @classmethod
    def from_session(cls, data: object) -> Flow | None:
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("state", "nonce", "verifier", "next")
        ):
            return None
        return cls(state=data["state"], nonce=data["nonce"], verifier=data["verifier"], next_url=data["next"])

    def matches(self, state: str) -> bool:
        return hmac.compare_digest(self.state.encode(), state.encode())


@dataclass(frozen=True)
class Identity:
    """Whom ProConnect vouched for, from the validated ID token and userinfo."""

    email: str
    subject: str
    id_token: str


# --- HTTP ------------------------------------------------------------------------------


def _request(
    url: str, *, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[str, bytes]:
    """GET (or POST a form to) `url`; (content type, body). Only http(s) URLs from the
    settings or ProConnect's discovery document are called, never one a visitor sends."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ProviderUnavailableError(f"not an http(s) URL: {url!r}")
    body = urllib.parse.urlencode(data).encode("ascii") if data is not None else None
    sent = {"Accept": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, headers=sent)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=settings.PROCONNECT_TIMEOUT) as answer:  # noqa: S310 - scheme checked above
            content = answer.read(MAX_ANSWER_BYTES + 1)
            content_type = answer.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc)
        exc.close()
        if 400 <= exc.code < 500 and data is not None:
            # The token endpoint refuses a code (used, expired, wrong verifier): RFC 6749 5.2.
            raise InvalidResponseError(f"{url} answered {exc.code}: {detail}") from exc
        raise ProviderUnavailableError(f"{url} answered {exc.code}: {detail}") from exc
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad URLs
        raise ProviderUnavailableError(f"{url}: {exc}") from exc
    if len(content) > MAX_ANSWER_BYTES:
        raise ProviderUnavailableError(f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
    return content_type, content


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(2000).decode("utf-8", "replace")
    except OSError:
        return ""


def _json(url: str, *, data: dict[str, str] | None = None) -> dict[str, Any]:
    _content_type, content = _request(url, data=data)
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise ProviderUnavailableError(f"{url} answered something that is not JSON") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailableError(f"{url} answered JSON that is not an object")
    return document


# --- Discovery and keys, cached in the process ---------------------------------------------

_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_keys: dict[str, tuple[float, dict[str, Any]]] = {}

REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


def clear_caches() -> None:
    """Forget the discovery documents and keys fetched (tests; a changed configuration)."""
    with _lock:
        _discovery.clear()
        _keys.clear()


def discovery() -> dict[str, Any]:
    """ProConnect's discovery document (OpenID Connect Discovery 1.0, 4)."""
    issuer = settings.PROCONNECT_ISSUER
    now = time.monotonic()
    with _lock:
        cached = _discovery.get(issuer)
    if cached is not None and cached[0] > now:
        return cached[1]
    document = _json(f"{issuer}/.well-known/openid-configuration")
    # Discovery 4.3: the issuer it states must be the one asked for, or tokens it signs would
    # be accepted as another provider's.
    if document.get("issuer") != issuer:
        raise ProviderUnavailableError(
            f"the discovery document names the issuer {document.get('issuer')!r}, not {issuer!r}"
        )
    missing = [name for name in REQUIRED_ENDPOINTS if not isinstance(document.get(name), str)]
    if missing:
        raise ProviderUnavailableError(f"the discovery document lacks {', '.join(missing)}")
    with _lock:
        _discovery[issuer] = (now + settings.PROCONNECT_CACHE_SECONDS, document)
    return document


def _fetch_keys(jwks_uri: str) -> dict[str, Any]:
    document = _json(jwks_uri)
    keys: dict[str, Any] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or entry.get("kty") != "RSA":
            continue
        try:
            keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry, algorithm="RS256").key
        except jwt.PyJWTError:
            logger.warning("ProConnect: a key of %s cannot be read; ignored", jwks_uri)
    with _lock:
        _keys[jwks_uri] = (time.monotonic() + settings.PROCONNECT_CACHE_SECONDS, keys)
    return keys


def signing_key(kid: str) -> Any:
    """The public key of `kid`, from ProConnect's JWKS. A kid not in the cached set fetches
    the set again, once: ProConnect rotates its keys, and a new one must work at once.
    Reaching this takes a valid `state`, so strangers cannot make Mutualis fetch at will."""
    jwks_uri = discovery()["jwks_uri"]
    with _lock:
        cached = _keys.get(jwks_uri)
    if cached is not None and cached[0] > time.monotonic():
        keys = cached[1] if kid in cached[1] else _fetch_keys(jwks_uri)
    else:
        keys = _fetch_keys(jwks_uri)
    if kid not in keys:
        raise InvalidResponseError(f"no signing key {kid!r} in ProConnect's keys")
    return keys[kid]


# --- The flow ----------------------------------------------------------------------------


def authorization_url(flow: Flow, *, redirect_uri: str) -> str:
    """Where to send the person's browser: the authentication request (Core 3.1.2.1)."""
    params = {
        "response_type": "code",
        "client_id": settings.PROCONNECT_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": settings.PROCONNECT_SCOPES,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": flow.code_challenge,
        "code_challenge_method": "S256",
    }
    if settings.PROCONNECT_ACR_VALUES:
        params["acr_values"] = settings.PROCONNECT_ACR_VALUES
    endpoint = discovery()["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urllib.parse.urlencode(params)}"


def _decode(token: str, *, require: list[str]) -> dict[str, Any]:
    """A JWT's claims, once its RS256 signature (by ProConnect's key of its `kid`), issuer
    and audience hold (Core 3.1.3.7 items 2, 3, 6, 9, 10)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidResponseError(f"not a JWT: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise InvalidResponseError(f"signed with {header.get('alg')!r}, not RS256")
    key = signing_key(str(header.get("kid", "")))
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=settings.PROCONNECT_CLIENT_ID,
            issuer=settings.PROCONNECT_ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": require},
        )
    except jwt.PyJWTError as exc:
        raise InvalidResponseError(f"refused token: {exc}") from exc
    # Core 3.1.3.7 item 4-5: with several audiences, the authorized party must be us.
    audience = claims.get("aud")
    if (
        isinstance(audience, list)
        and len(audience) > 1
        and claims.get("azp") != settings.PROCONNECT_CLIENT_ID
    ):
        raise InvalidResponseError("several audiences and another authorized party")
    return claims


def _validate_id_token(id_token: str, flow: Flow) -> dict[str, Any]:
    claims = _decode(id_token, require=["iss", "aud", "exp", "iat", "sub", "nonce"])
    # PyJWT checks that iat is not in the future; Core 3.1.3.7 item 10 also lets the client
    # refuse one issued long ago: a code is used within minutes.
    if claims["iat"] < time.time() - 10 * 60 - LEEWAY_SECONDS:
        raise InvalidResponseError("ID token issued more than ten minutes ago")
    if not hmac.compare_digest(str(claims["nonce"]).encode(), flow.nonce.encode()):
        raise InvalidResponseError("the ID token's nonce is not this login's")
    return claims


def complete(flow: Flow, *, code: str, redirect_uri: str) -> Identity:
    """Exchange the code (Core 3.1.3), validate the ID token, read the userinfo (Core 5.3)."""
    document = discovery()
    tokens = _json(
        document["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings.PROCONNECT_CLIENT_ID,
            "client_secret": settings.PROCONNECT_CLIENT_SECRET,
            "code_verifier": flow.verifier,
        },
    )
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise InvalidResponseError("the token answer lacks the ID token or the access token")
    id_claims = _validate_id_token(id_token, flow)
    content_type, content = _request(
        document["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/jwt"},
    )
    if content_type != "application/jwt":
        raise InvalidResponseError(f"userinfo answered {content_type}, not a signed JWT")
    userinfo = _decode(content.decode("ascii", "replace").strip(), require=["sub"])
    # Core 5.3.2: the userinfo's sub must be the ID token's, or it may be another person's.
    if userinfo["sub"] != id_claims["sub"]:
        raise InvalidResponseError("the userinfo's subject is not the ID token's")
    email = userinfo.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidResponseError("ProConnect gave no email address")
    return Identity(email=email.strip(), subject=str(id_claims["sub"]), id_token=id_token)


def end_session_url(*, id_token: str, state: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to log out of ProConnect too (RP-Initiated Logout 1.0, 2);
    None when ProConnect offers no end-session endpoint."""
    endpoint = discovery().get("end_session_endpoint")
    if not isinstance(endpoint, str):
        return None
    params = {"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": post_logout_redirect_uri}
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urllib.parse.urlencode(params)}"
