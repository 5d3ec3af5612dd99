"""Speaking to the API in tests: a bearer token per person, JSON bodies, English messages,
and readers for problem-details answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE
from mutualis.people.models import ApiToken, Membership, User


@dataclass
class Api:
    """The test client, speaking to /api/v1/ as one token (or as nobody). Responses are
    typed Any: django-stubs give the test client's `json()` a private type."""

    client: Client
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def _headers(self) -> dict[str, str]:
        # Messages in English: the product defaults to French, the lead translates later.
        headers = {"Accept-Language": "en", **self.headers}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(_url(path), params or {}, headers=self._headers())

    def post(self, path: str, body: Any = None, *, content_type: str = "application/json") -> Any:
        return self.client.post(
            _url(path), _encode(body, content_type), content_type=content_type, headers=self._headers()
        )

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        """A multipart/form-data POST: `data` values may be files (or lists of them)."""
        return self.client.post(_url(path), data, headers=self._headers())

    def patch(self, path: str, body: Any = None, *, content_type: str = "application/json") -> Any:
        return self.client.patch(
            _url(path), _encode(body, content_type), content_type=content_type, headers=self._headers()
        )

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(
            _url(path), json.dumps(body), content_type="application/json", headers=self._headers()
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(_url(path), headers=self._headers())


def _url(path: str) -> str:
    return path if path.startswith("/") else f"/api/v1/{path}"


def _encode(body: Any, content_type: str) -> Any:
    if isinstance(body, str | bytes):
        return body
    return json.dumps(body if body is not None else {})


def membership_of(user: User) -> Membership:
    return Membership.objects.get(user=user)


def issue_token(user: User, *, can_write: bool = True) -> tuple[ApiToken, str]:
    return ApiToken.issue(membership=membership_of(user), name="test script", can_write=can_write)


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem-details body of `response`, after checking it is one with `status`."""
    assert response.status_code == status, response.content.decode()[:800]
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def field_messages(body: dict[str, Any], field_name: str) -> list[str]:
    """Messages of a 400 problem about one field."""
    return [error["message"] for error in body.get("errors", []) if error["field"] == field_name]


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:800]
    return sorted(row["id"] for row in response.json()["results"])
