"""A commune's name on the phone's map, where its sensors crowd round its point, as a browser
draws it: at the first place beside its point, "Verneuil-sur-Seine" ran under two sensors'
markers (drawn after it) and read "Ver◆euil-sur-Se●ne" at 390 px. It goes where it crosses
no marker now."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from mutualis.datahub.territory.mapview import Point, draw_for_screens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Sensors along the commune's main street, either side of its point, and a few further out
# that set the map's scale (in degrees from the commune's point).
AROUND = [
    (0.0011, 0.0),
    (0.0022, 0.0001),
    (-0.0011, 0.0),
    (0.0003, -0.0006),
    (0.0002, 0.0007),
    (0.0012, 0.0009),
    (-0.004, -0.003),
    (0.004, 0.003),
    (0.003, -0.002),
    (-0.003, 0.0025),
]

# The name's box and each sensor marker's, as drawn; those the name crosses.
CROSSED = """() => {
  const box = (e) => e.getBoundingClientRect();
  const cross = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const name = box(document.querySelector('a[href="/commune/"] text'));
  const markers = [...document.querySelectorAll('a[href^="/sensor/"]')];
  return [markers.length, markers.filter((m) => cross(name, box(m))).map((m) => m.getAttribute('aria-label'))];
}"""


def test_a_commune_s_name_crosses_none_of_its_sensors_on_a_phone(page: Page) -> None:
    lon, lat = 1.975, 48.98
    maps = draw_for_screens(
        title="Carte des capteurs",
        communes=[Point(lon, lat, "Verneuil-sur-Seine", url="/commune/")],
        sites=[],
        sensors=[
            Point(lon + dx, lat + dy, f"Lampadaire {n}", url=f"/sensor/{n}/", kind="Streetlight")
            for n, (dx, dy) in enumerate(AROUND, start=1)
        ],
    )
    page.set_viewport_size({"width": 390, "height": 844})
    # The phone's map at the width the page gives it (390 px less the page's margins).
    page.set_content(f'<!doctype html><body style="margin:16px">{maps.phone}</body>')
    drawn, crossed = page.evaluate(CROSSED)
    assert drawn == len(AROUND)
    assert crossed == []
