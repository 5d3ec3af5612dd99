"""Outsider cases of the data hub's entities and batch operations (NGSI-LD 6.4 to 6.17, 6.23).

The session reaches the NGSI-LD API for reads only (GET), in the caller's own tenant: an
outsider's session never lands in member A's tenant, so A's entity is a 404 and A's list
is empty. Writes need an API token; their outsider cases (charlie and oscar naming A's
tenant, the read-only bob) are in tests/datahub/test_access.py and test_batch_api.py.
"""

from __future__ import annotations

from mutualis.datahub.models import Entity
from mutualis.datahub.services import create_entity
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast

from . import Case, Check, Extra

A_ENTITY = "urn:ngsi-ld:Streetlight:outsider-a"


def _a_entity(cast: Cast) -> int:
    row = create_entity(
        tenant=tenant_for_member(cast.member_a),
        entity={
            "id": A_ENTITY,
            "type": ["https://uri.etsi.org/ngsi-ld/default-context/Streetlight"],
            "attrs": {
                "https://uri.etsi.org/ngsi-ld/default-context/status": [{"type": "Property", "value": "ok"}]
            },
        },
    )
    return row.pk


def _a_entity_untouched(cast: Cast, extra: dict[str, int]) -> None:
    row = Entity.objects.get(pk=extra["datahub_entity"])
    assert row.tenant.member_id == cast.member_a.pk
    assert row.attributes


EXTRA: Extra = {"datahub_entity": _a_entity}

OBJECTS: dict[str, Case] = {
    "ngsild:entity": Case(lambda c, x: f"/ngsi-ld/v1/entities/{A_ENTITY}", ("charlie", "oscar")),
}
LISTS: dict[str, Case] = {
    "ngsild:entities": Case(
        lambda c, x: "/ngsi-ld/v1/entities?type=Streetlight",
        ("charlie", "oscar"),
        (200,),
        secret=lambda c: A_ENTITY,
    ),
}
CHECKS: dict[str, Check] = {"ngsild:entity": _a_entity_untouched}

_WRITE_ONLY = (
    "NGSI-LD write (POST/PATCH/PUT/DELETE only): a session cannot write (401), tokens are "
    "tested against outsiders in tests/datahub/test_access.py"
)
_BATCH = (
    "NGSI-LD batch operation (POST only, API token): outsiders naming A's tenant get 404 "
    "NonexistentTenant, see tests/datahub/test_access.py and test_batch_api.py"
)
NO_MEMBER_DATA: dict[str, str] = {
    "ngsild:entity-attrs": _WRITE_ONLY,
    "ngsild:entity-attr": _WRITE_ONLY,
    "ngsild:batch-create": _BATCH,
    "ngsild:batch-upsert": _BATCH,
    "ngsild:batch-update": _BATCH,
    "ngsild:batch-delete": _BATCH,
    "ngsild:batch-merge": _BATCH,
    "ngsild:batch-query": _BATCH,
}
