"""The OpenAPI schema in French names things as a French reader expects."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _titles(node: Any, path: str = "") -> list[tuple[str, str]]:
    """(where, title) of every "title" in the schema."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                found.append((path, value))
            else:
                found.extend(_titles(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_titles(value, f"{path}/{index}"))
    return found


def test_a_tickets_number_is_a_numero_not_a_count(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/schema/", {"format": "json"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    titles = _titles(response.json())
    ticket_numbers = [title for where, title in titles if where.endswith("/properties/number")]
    assert ticket_numbers
    assert set(ticket_numbers) == {"Numéro"}
    # "Nombre" only ever for a count (the number of communes of an EPCI).
    assert {title for _where, title in titles if title.startswith("Nombre")} == {"Nombre de communes"}
