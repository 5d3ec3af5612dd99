"""Query strings read strictly: a parameter is given once.

Django's QueryDict answers `get(name)` with the last of a name's values, so
`?status=lost&status=retired` was read as `status=retired` alone, and a client that meant
"lost or retired" got a list it took for both. Each API family refuses such a request
in its own shape of error, in one place: `registry.api.base.ApiView` for the REST
API, `datahub.ngsild.http._check_parameters` for NGSI-LD and HTTP ingestion.
"""

from __future__ import annotations

from collections.abc import Collection

from django.http import QueryDict


def repeated_parameters(query: QueryDict, *, repeatable: Collection[str] = ()) -> dict[str, int]:
    """The names `query` gives more than once (an empty value counts: `?a=1&a=`), with how
    many times, in the order of the query string; `repeatable` names those that may be."""
    return {name: len(values) for name, values in query.lists() if len(values) > 1 and name not in repeatable}


def single_value(query: QueryDict, name: str, default: str = "") -> str | None:
    """The value `query` gives `name` (`default` when it gives none), or None when it gives
    several: `?table=rates&table=models` names no one table, and the last is not it."""
    values = query.getlist(name)
    if len(values) > 1:
        return None
    return values[0] if values else default
