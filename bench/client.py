"""A small HTTP client for the benchmarks: the standard library's, with the cookies, the
CSRF token and the `X-Bench` tag a run needs. No dependency, nothing between the
request and the wire that a reader would have to trust."""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # as the client saw it: the server's time plus the trip

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, host: str, port: int, *, token: str = "") -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.token = token
        self.connection = http.client.HTTPConnection(host, port, timeout=120)

    def request(
        self,
        method: str,
        path: str,
        *,
        tag: str = "-",
        form: dict[str, Any] | None = None,
        payload: Any = None,
        data: bytes | None = None,
    ) -> Answer:
        """`form` is sent form-encoded, `payload` as JSON, `data` as JSON already encoded."""
        headers = {"Host": f"{self.host}:{self.port}", "X-Bench": tag}
        body: bytes | None = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None or data is not None:
            body = data if data is not None else json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if method == "POST" and "csrftoken" in self.cookies and not self.token:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # gunicorn's sync workers close the connection after each response: reconnect.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Answer(response.status, dict(response.headers.items()), data, seconds)

    def login(self, email: str, password: str) -> None:
        page = self.request("GET", "/accounts/login/", tag="login")
        found = CSRF_INPUT.search(page.body.decode())
        if found is None:
            raise SystemExit("No CSRF token on the login page.")
        answer = self.request(
            "POST",
            "/accounts/login/",
            tag="login",
            form={"email": email, "password": password, "csrfmiddlewaretoken": found[1]},
        )
        if answer.status != 302:
            raise SystemExit(f"Login of {email} refused (HTTP {answer.status}).")

    def csrf_form(self, path: str) -> str:
        """The CSRF token of the form at `path` (a GET that is not measured)."""
        page = self.request("GET", path, tag="setup")
        found = CSRF_INPUT.search(page.body.decode())
        return found[1] if found else self.cookies.get("csrftoken", "")
