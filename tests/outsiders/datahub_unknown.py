"""Addresses under /ngsi-ld/v1/ that no view serves (mutualis/datahub/views/unknown.py)."""

from __future__ import annotations

NO_MEMBER_DATA: dict[str, str] = {
    "ngsild:no-such-resource": (
        "a 404 ResourceNotFound or 422 OperationNotSupported naming the address, the same for "
        "everyone: no data is read (tests/datahub/test_hostile_input.py)"
    ),
}
