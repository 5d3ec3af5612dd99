"""A local stand-in for ProConnect: the one thing the ProConnect tests do not run for real,
as ProConnect's servers cannot be reached from here.

A real HTTP server (http.server) in a thread, on 127.0.0.1, speaking what Mutualis uses of
ProConnect: discovery, JWKS (an RSA key made for the test with cryptography), authorize
(with PKCE), token (client_secret_post), userinfo as a signed JWT and end-session. It checks
what Mutualis sends as ProConnect would, and each test can make it misbehave: sign with
another key, give other claims, answer an error.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "mutualis-test-client"
CLIENT_SECRET = "a-client-secret-for-tests-only"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProConnect:
    def __init__(self) -> None:
        self.key = new_key()
        self.kid = "key-1"
        # Misbehaviours a test may set.
        self.sign_with: rsa.RSAPrivateKey | None = None  # signs with this key, under self.kid
        self.id_token_claims: dict[str, Any] = {}  # claims overridden (None: removed)
        self.userinfo_claims: dict[str, Any] = {}
        self.authorize_error = ""  # sent back instead of a code
        self.userinfo_unsigned = False  # userinfo as plain JSON, which anyone could write
        # What ProConnect says of the person.
        self.email = "alice@versailles.example"
        self.subject = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
        # What it saw.
        self.requests: list[str] = []
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: set[str] = set()
        self.issued_id_tokens: list[str] = []
        self.ended_sessions: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.provider = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.base}/api/v2"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeProConnect:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def count(self, path: str) -> int:
        return sum(1 for seen in self.requests if seen == path)

    # --- what a browser does at ProConnect ---------------------------------------------

    def visit(self, url: str) -> str:
        """Open `url` of this provider as the person's browser would, without following the
        redirect: where ProConnect sends the browser next."""
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.base, url
        connection = http.client.HTTPConnection(parts.netloc, timeout=5)
        try:
            connection.request("GET", f"{parts.path}?{parts.query}")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 302, answer.status
            return answer.getheader("Location") or ""
        finally:
            connection.close()

    # --- tokens ------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any], overrides: dict[str, Any]) -> str:
        claims = {**claims, **overrides}
        claims = {name: value for name, value in claims.items() if value is not None}
        key = self.sign_with or self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        token = self.sign(
            {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "sub": self.subject,
                "exp": now + 60,
                "iat": now,
                "nonce": nonce,
                "acr": "eidas1",
                "amr": ["pwd"],
                "idp_id": "fia1v2",
            },
            self.id_token_claims,
        )
        self.issued_id_tokens.append(token)
        return token

    def userinfo(self) -> str:
        now = int(time.time())
        return self.sign(
            {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "sub": self.subject,
                "iat": now,
                "exp": now + 60,
                "email": self.email,
                "given_name": "Alice",
                "usual_name": "Martin",
                "uid": "1234",
                "siret": "21780646000017",
            },
            self.userinfo_claims,
        )


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def provider(self) -> FakeProConnect:
        return self.server.provider  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for the tests."""

    def _send(
        self, status: int, body: bytes = b"", content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, document: dict[str, Any]) -> None:
        self._send(status, json.dumps(document).encode())

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.provider.requests.append(parts.path)
        issuer = self.provider.issuer
        if parts.path == "/api/v2/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "userinfo_endpoint": f"{issuer}/userinfo",
                    "jwks_uri": f"{issuer}/jwks",
                    "end_session_endpoint": f"{issuer}/session/end",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "userinfo_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                },
            )
        elif parts.path == "/api/v2/jwks":
            self._json(200, self.provider.jwks())
        elif parts.path == "/api/v2/authorize":
            self._authorize(query)
        elif parts.path == "/api/v2/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.provider.access_tokens:
                self._json(401, {"error": "invalid_token"})
                return
            if self.provider.userinfo_unsigned:
                self._json(200, jwt.decode(self.provider.userinfo(), options={"verify_signature": False}))
                return
            self._send(200, self.provider.userinfo().encode(), "application/jwt")
        elif parts.path == "/api/v2/session/end":
            if query.get("id_token_hint") not in self.provider.issued_id_tokens:
                self._json(400, {"error": "invalid_request"})
                return
            self.provider.ended_sessions.append(query)
            target = (
                f"{query['post_logout_redirect_uri']}?{urllib.parse.urlencode({'state': query['state']})}"
            )
            self._send(302, Location=target)
        else:
            self._json(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> None:
        problems = [
            name
            for name, ok in (
                ("client_id", query.get("client_id") == CLIENT_ID),
                ("response_type", query.get("response_type") == "code"),
                ("scope", "openid" in query.get("scope", "").split()),
                ("state", bool(query.get("state"))),
                ("nonce", bool(query.get("nonce"))),
                ("code_challenge_method", query.get("code_challenge_method") == "S256"),
                ("redirect_uri", query.get("redirect_uri", "").endswith("/accounts/proconnect/callback/")),
            )
            if not ok
        ]
        if problems:
            self._json(400, {"error": "invalid_request", "error_description": ", ".join(problems)})
            return
        back = {"state": query["state"]}
        if self.provider.authorize_error:
            back["error"] = self.provider.authorize_error
            back["error_description"] = "User cancelled"
        else:
            code = secrets.token_urlsafe(16)
            self.provider.codes[code] = query
            back["code"] = code
        self._send(302, Location=f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}")

    def do_POST(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        self.provider.requests.append(parts.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        if parts.path != "/api/v2/token":
            self._json(404, {"error": "not_found"})
            return
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            self._json(401, {"error": "invalid_client"})
            return
        asked = self.provider.codes.pop(form.get("code", ""), None)  # a code serves once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            asked is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != asked["redirect_uri"]
            or challenge != asked["code_challenge"]
        ):
            self._json(400, {"error": "invalid_grant"})
            return
        access_token = secrets.token_urlsafe(24)
        self.provider.access_tokens.add(access_token)
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.provider.id_token(asked["nonce"]),
                "scope": asked["scope"],
            },
        )
