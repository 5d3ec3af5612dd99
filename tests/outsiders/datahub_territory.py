"""Outsider cases of the territory dashboards (/territory/): member A's sensor at A's site,
named by the secret. Charlie (a user of member B) lands on his member's dashboard, oscar (an
admin of another operator) on his operator's overview: neither finds A's sensor; A's
commune, member and sensor pages are a 404 to both. Scoping in detail (site contacts, staff)
is tested in tests/datahub/test_territory_pages.py."""

from __future__ import annotations

from django.utils import timezone

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor

from . import Case, Extra

SENSOR = "Station secrète du territoire"
OUTSIDERS = ("charlie", "oscar")


def _sensor(cast: Cast) -> int:
    row = make_sensor(
        tenant_for_member(cast.member_a),
        AIR_QUALITY_OBSERVED,
        77,
        site=cast.site_a,
        name=SENSOR,
        now=timezone.now(),
        latest={"pm25": 12.5},
    )
    return row.pk


OBJECTS: dict[str, Case] = {
    "territory:sensor": Case(lambda c, x: f"/territory/sensor/{x['territory_sensor']}/", OUTSIDERS),
    "territory:member": Case(lambda c, x: f"/territory/member/{c.member_a.pk}/", OUTSIDERS),
    "territory:commune": Case(lambda c, x: f"/territory/commune/{c.member_a.commune.code}/", OUTSIDERS),
}
LISTS: dict[str, Case] = {
    "territory:index": Case(lambda c, x: "/territory/", OUTSIDERS, (200,), secret=lambda c: SENSOR),
}
EXTRA: Extra = {"territory_sensor": _sensor}
