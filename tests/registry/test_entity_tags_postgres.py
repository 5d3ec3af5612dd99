"""Two clients sending the same If-Match at the same instant: one change is written, the
other answered 412. On the real PostgreSQL server, each request in its own thread with its
own connection (collected only there: see conftest.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from mutualis.registry import services
from mutualis.registry.models import Asset, Site
from tests.api.support import Api, issue_token
from tests.conftest import Cast
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Between a request's comparison of the tag and the commit of its change, a few
# milliseconds; here half a second, so that without the row lock both requests, released
# together, would compare before either writes, every time rather than now and then.
WIDENED = 0.5


@pytest.fixture
def slow_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("update_asset", "update_site"):
        verb = getattr(services, name)

        def slowed(*args: Any, _verb: Any = verb, **kwargs: Any) -> Any:
            time.sleep(WIDENED)
            return _verb(*args, **kwargs)

        monkeypatch.setattr(services, name, slowed)


@pytest.mark.parametrize("resource", ["assets", "sites"])
def test_two_changes_from_the_same_copy_at_once_write_one(
    cast: Cast, slow_writes: None, resource: str
) -> None:
    obj = cast.asset_a if resource == "assets" else cast.site_a
    path = f"{resource}/{obj.pk}/"
    token = issue_token(cast.adam)[1]
    tag = Api(Client(), token).get(path)["ETag"]
    clients = [Api(Client(), token, headers={"If-Match": tag}) for _ in range(2)]
    responses = together(
        [lambda c=c, n=n: c.patch(path, {"notes": f"Écrit par le client {n}"}) for n, c in enumerate(clients)]
    )

    assert sorted(r.status_code for r in responses) == [200, 412]
    written = next(r for r in responses if r.status_code == 200)
    model: type[Asset | Site] = Asset if resource == "assets" else Site
    assert model.objects.get(pk=obj.pk).notes == written.json()["notes"]
    assert Api(Client(), token).get(path)["ETag"] == written["ETag"]
