"""In a real browser: a member's territory page shows the map and a chart, both reachable by
keyboard, passes axe's WCAG 2.1 AA checks, and fits a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from mutualis.datahub.models import Entity
from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, STREETLIGHT
from mutualis.datahub.tenancy import tenant_for_member
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sensors(cast: Cast) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    tenant = tenant_for_member(cast.member_a)
    air = make_sensor(
        tenant,
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 9.0},
    )
    pm25 = AIR_QUALITY_OBSERVED.attribute("pm25").iri
    record(air, pm25, [(now - dt.timedelta(hours=h), 9.0 + h % 4) for h in range(1, 72)])
    make_sensor(
        tenant,
        STREETLIGHT,
        2,
        site=cast.site_a,
        name="Lampadaire rue de la Paroisse",
        now=now,
        position=(2.131, 48.802),
        latest={"status": "defectiveLamp"},
    )


def test_the_territory_page_map_and_chart_are_there_and_keyboard_reachable(
    live_server, page: Page, cast: Cast, sensors: None
) -> None:
    log_in(page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/territory/?period=7d")
    expect(page.locator(".map-wide svg.territory-map-svg")).to_be_visible()
    expect(page.locator(".chart-wide svg.chart-svg").first).to_be_visible()
    expect(page.locator(".chart-narrow svg.chart-svg").first).to_be_hidden()
    # Tab through the page until a sensor's marker on the map has the focus, then open it.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('svg.territory-map-svg')"):
            break
    else:
        pytest.fail("No marker of the map is reachable with the keyboard.")
    label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert label.startswith(("Air de la mairie", "Lampadaire rue de la Paroisse"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(label.split(" – ")[0])
    expect(page.locator(".chart-wide svg.chart-svg")).to_be_visible()
    # The chart's data table is reachable too: its disclosure opens from the keyboard.
    summary = page.locator("details.chart-data summary").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.chart-data table").first).to_be_visible()


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_the_territory_pages_pass_axe_and_fit_a_phone(
    live_server, page: Page, cast: Cast, sensors: None, who: str
) -> None:
    log_in(page, live_server.url, getattr(cast, who).email)
    sensor = Entity.objects.filter(tenant__member=cast.member_a).order_by("pk").first()
    assert sensor is not None
    paths = ["/territory/", f"/territory/sensor/{sensor.pk}/", "/territory/commune/78646/"]
    found = {}
    for path in paths:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_server.url + path)
        problems = violations(page)
        if problems:
            found[path] = problems
        page.set_viewport_size({"width": 320, "height": 740})
        page.goto(live_server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 320:
            found[path + " (phone)"] = [f"{width} px wide"]
    assert found == {}


# The smallest size, in CSS pixels, a name on the map may be drawn at.
READABLE = 11.5
# The map the screen shows: the page holds a wide one and a phone's, the other hidden.
SHOWN_MAPS = (
    "[...document.querySelectorAll('svg.territory-map-svg')].filter(svg => svg.getClientRects().length)"
)
# Each name of the map shown: its size as drawn, the view scaled to its box as SVG does ("meet").
MAP_TEXT_SIZES = f"""() => {SHOWN_MAPS}.flatMap(svg => {{
  const box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
  const scale = Math.min(box.width / view.width, box.height / view.height);
  return [...svg.querySelectorAll('text:not(.map-alert)')]
    .map(t => [t.textContent, parseFloat(t.getAttribute('font-size')) * scale]);
}})"""
# The maps shown, as [left, right] on the screen, and whether the wide one's box is a stop
# for the keyboard (a region that takes the focus).
MAPS_SHOWN = f"""() => [{SHOWN_MAPS}.map(svg => [Math.round(svg.getBoundingClientRect().left),
  Math.round(svg.getBoundingClientRect().right), svg.getAttribute('aria-labelledby')]),
  document.querySelector('.map-box').tabIndex]"""


def test_the_map_is_whole_and_readable_on_a_phone(live_server, browser, cast: Cast, sensors: None) -> None:
    """At 390 and 320 px the map was half out of sight: kept 640 px wide for its names (shrunk,
    they were 7 px), it scrolled sideways in its box. The phone's map is shown instead, whole
    at the screen's width with its names 12 px or more; its markers are reached with Tab; the
    page does not scroll sideways; axe finds nothing. A wide screen shows the wide map."""
    found: dict[str, list[str]] = {}
    for width in (390, 320):
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": 800}, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, cast.olivia.email)
        # The operator's map of the communes, then a commune's map of its sensors.
        for path in ("/territory/", "/territory/commune/78646/"):
            page.goto(live_server.url + path)
            problems = []
            shown, _stop = page.evaluate(MAPS_SHOWN)
            if len(shown) != 1 or shown[0][0] < 0 or shown[0][1] > width:
                problems.append(f"maps shown (left, right, name): {shown}")
            sizes = page.evaluate(MAP_TEXT_SIZES)
            problems += [f"{text!r} drawn {size:.1f} px" for text, size in sizes if size < READABLE]
            if not any(text.startswith("Versailles") for text, _size in sizes):
                problems.append(f"no commune's name on the map: {sizes}")
            # Tab reaches a marker of the map shown (the hidden one's links take no focus).
            for _ in range(120):
                page.keyboard.press("Tab")
                if page.evaluate("() => !!document.activeElement.closest('svg.territory-map-svg')"):
                    break
            else:
                problems.append("no marker of the map is reachable with the keyboard")
            if not page.evaluate("() => !!document.activeElement.getClientRects().length"):
                problems.append("the keyboard's focus is on a hidden map")
            if page.evaluate("() => document.documentElement.scrollWidth") > width:
                problems.append("the page scrolls sideways")
            problems += violations(page)
            if problems:
                found[f"{path} ({width} px)"] = problems
        context.close()
    # On a wide screen the wide map fits: names 12 px or more, its box no stop for the keyboard.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, cast.olivia.email)
    page.goto(f"{live_server.url}/territory/commune/78646/")
    sizes = page.evaluate(MAP_TEXT_SIZES)
    shown, stop = page.evaluate(MAPS_SHOWN)
    if min(size for _text, size in sizes) < READABLE or [name for *_, name in shown] != [
        "territory-map-title territory-map-desc"
    ]:
        found["1280 px"] = [f"sizes {sizes}", f"shown {shown}"]
    if stop != -1:
        found["1280 px box"] = [f"tab index {stop}"]
    context.close()
    assert found == {}


# What overlaps on the map shown and in its key: each "!" must lie inside its marker's ring
# and cross no name, no name another, and each line of the key keep its icon (with its "!")
# apart from its words, within the screen.
OVERLAPS = f"""(width) => {{
  const box = (e) => e.getBoundingClientRect();
  const cross = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const isMark = (text) => text.textContent.trim() === '!';
  const problems = [];
  for (const svg of {SHOWN_MAPS}) {{
    const marks = [...svg.querySelectorAll('text')].filter(isMark);
    const names = [...svg.querySelectorAll('text')].filter((t) => !isMark(t));
    if (!marks.length) problems.push('no "!" on the map');
    for (const mark of marks) {{
      const ring = mark.parentElement.querySelector('circle[fill=none]');
      if (!ring || !inside(box(mark), box(ring))) problems.push('a "!" outside its marker');
      for (const name of names) if (cross(box(mark), box(name))) problems.push('a "!" over ' + name.textContent);
    }}
    names.forEach((a, i) => names.slice(i + 1).forEach((b) => {{
      if (cross(box(a), box(b))) problems.push(a.textContent + ' over ' + b.textContent);
    }}));
  }}
  for (const line of document.querySelectorAll('.territory-legend li')) {{
    const icon = line.querySelector('svg'), words = document.createRange();
    words.selectNodeContents(line);
    words.setStartAfter(icon);
    const said = words.getBoundingClientRect();
    if (cross(box(icon), said)) problems.push('key: icon over "' + line.textContent.trim() + '"');
    for (const mark of [...icon.querySelectorAll('text')].filter(isMark)) {{
      if (!inside(box(mark), box(icon))) problems.push('key: "!" cut at the edge of its icon');
    }}
    if (box(line).right > width) problems.push('key: "' + line.textContent.trim() + '" past the screen');
  }}
  return problems;
}}"""


def test_the_alert_marks_overlap_nothing_on_a_phone(live_server, browser, cast: Cast, sensors: None) -> None:
    """The "!" of a sensor or a commune needing attention was drawn beside its marker, over
    the names and markers around it, and the key's was cut at its icon's edge against its
    words. It is inside its marker now: at 390 and 320 px no "!" crosses a name, no name
    another, and the key's icons keep apart from their words."""
    found: dict[str, list[str]] = {}
    for width in (390, 320):
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": 800}, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, cast.olivia.email)
        for path in ("/territory/", "/territory/commune/78646/"):
            page.goto(live_server.url + path)
            problems = page.evaluate(OVERLAPS, width)
            if path != "/territory/" and not page.locator(".territory-legend text", has_text="!").count():
                problems.append('no "!" in the key')
            if problems:
                found[f"{path} ({width} px)"] = problems
        context.close()
    assert found == {}
