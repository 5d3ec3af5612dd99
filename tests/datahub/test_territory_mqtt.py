"""Issue 7, clause 6: publish → stored → visible in the dashboards. A reading published over
the real Mosquitto is ingested by the worker, then shown on the member's territory page and
in the sensor's series."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.utils import timezone, translation

from mutualis.datahub.models import AttributeInstance
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED
from tests.datahub.conftest import Hub
from tests.datahub.mqtt_support import (
    publish_all,
    publisher,
    require_broker,
    running_worker,
    unique,
    wait_for,
)
from tests.datahub.territory_support import make_sensor

# The worker runs in its own thread with its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)

PM25 = AIR_QUALITY_OBSERVED.attribute("pm25").iri


def test_a_published_reading_shows_on_the_territory_dashboard(hub: Hub, as_user) -> None:
    require_broker()
    now = timezone.now().replace(second=0, microsecond=0)
    sensor = make_sensor(
        hub.tenant_a,
        AIR_QUALITY_OBSERVED,
        1,
        site=hub.cast.site_a,
        name="Air publié",
        now=now - dt.timedelta(hours=2),  # an earlier hour: its own bucket
        latest={"pm25": 5.0},
    )
    prefix = unique("mutualis-territory")
    payload = {"sensor": sensor.entity_id, "observedAt": format_instant(now), "values": {"pm25": 42.5}}
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")):
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", [json.dumps(payload).encode()])
        wait_for(
            lambda: AttributeInstance.objects.filter(
                entity_id=sensor.pk, attribute__iri=PM25, number=42.5
            ).exists(),
            what="the published reading stored",
        )
    client = as_user(hub.cast.alice)
    dashboard = html.unescape(client.get("/territory/?period=24h").content.decode())
    # The sensors' table gives the latest reading, in the page's language (42,5 in French).
    with translation.override("fr"):
        pm25 = translation.pgettext("sensor attribute", "PM2.5 fine particles")
        assert (
            translation.gettext("%(attribute)s: %(value)s") % {"attribute": pm25, "value": "42,5 µg/m³"}
            in dashboard
        )
    series = client.get(f"/territory/sensor/{sensor.pk}/?period=24h&attr=pm25&export=csv")
    text = b"".join(series.streaming_content).decode("utf-8-sig")
    assert any(line.split(";")[1] in ("42,5", "42.5") for line in text.splitlines()[1:])
