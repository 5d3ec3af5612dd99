"""A period with nothing to draw says so, panel by panel, instead of drawing zeros or an
empty frame; and the exported key figures say their unit (tests/insights/dashboard_world.py).

Found by probing the demo: the dashboard of a month ahead drew a chart of zeros, an empty
breakdown and a bar chart of five zero ages without a word, and the exported median time
to take charge read "0.49" of nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import translation

from mutualis.insights.figures import duration_text

from .dashboard_world import PERIOD, World, desk, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def fr(text: str) -> str:
    """A sentence as the pages say it: in French, the users' language."""
    with translation.override("fr"):
        return translation.gettext(text)


NOTHING_DECLARED = fr("No incident was declared in this period.")
NOTHING_OPEN = fr("None of the incidents declared in this period is still open.")
# What each panel of a member's dashboard says of a period without any incident.
SAID_WHEN_EMPTY = {
    "volumes": NOTHING_DECLARED,
    "breakdown": NOTHING_DECLARED,
    "backlog": NOTHING_OPEN,
    "durations": fr("No incident declared in this period has been taken charge of or resolved yet."),
    "sla": fr("No incident declared in this period has a service level."),
    "reopen": fr("No incident declared in this period has been resolved yet."),
    "satisfaction": fr("No rating was given for the incidents declared in this period."),
}
EMPTY_YEAR = {"start": "2023-01-01", "end": "2023-12-31"}


def panel(page: str, name: str) -> str:
    start = page.index(f'id="panel-{name}"')
    end = page.find('<section class="insights-panel"', start + 1)
    return page[start : end if end > 0 else len(page)]


def test_an_empty_period_is_said_on_every_panel_not_drawn(world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    page = as_user(world.cast.alice).get("/insights/", EMPTY_YEAR).content.decode()
    for name, said in SAID_WHEN_EMPTY.items():
        shown = panel(page, name)
        assert said in shown, name
        assert "chart-svg" not in shown, name  # no frame of zeros
        assert "table=0" not in shown, name  # nor a download of its zeros
    assert fr("key figures (CSV)") in panel(page, "volumes")  # the figures (0 incidents) still export
    staff = as_user(world.cast.olivia).get("/insights/", EMPTY_YEAR).content.decode()
    assert NOTHING_OPEN in panel(staff, "load")


def test_a_period_with_incidents_draws_them_and_says_only_what_is_empty(world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    page = as_user(world.cast.alice).get("/insights/", PERIOD).content.decode()
    for name, said in SAID_WHEN_EMPTY.items():
        assert said not in page, name
        assert "chart-svg" in panel(page, name), name
    # January to November: incidents declared, all resolved (December's two are the open ones).
    resolved = as_user(world.cast.alice).get("/insights/", {**PERIOD, "end": "2024-11-30"}).content.decode()
    assert NOTHING_OPEN in panel(resolved, "backlog")
    assert "chart-svg" not in panel(resolved, "backlog")
    assert "chart-svg" in panel(resolved, "volumes")
    assert NOTHING_DECLARED not in resolved


def test_another_member_s_incidents_do_not_fill_an_outsider_s_empty_period(world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    # September 2024: member A's surge of ten; member B (charlie's) declared nothing.
    september = {"start": "2024-09-01", "end": "2024-09-30"}
    page = as_user(world.cast.charlie).get("/insights/", september).content.decode()
    assert NOTHING_DECLARED in panel(page, "volumes")
    assert NOTHING_DECLARED in panel(page, "breakdown")
    assert "chart-svg" not in panel(page, "breakdown")
    own = as_user(world.cast.alice).get("/insights/", september).content.decode()
    assert NOTHING_DECLARED not in own


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_exported_key_figures_say_their_unit(world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c: Client = as_user(world.cast.olivia)
    durations = csv_rows(c.get("/insights/panel/durations/", {**PERIOD, "export": "csv", "table": "facts"}))
    assert durations[0] == [fr("Figure"), fr("Value"), "Unité"]
    # Median, 90th percentile (hours) and count (none), to take charge then to resolve.
    assert [row[2] for row in durations[1:]] == ["heures", "heures", "", "heures", "heures", ""]
    # Every incident answered within the hour: the median is about 1 (hour), not 3,600.
    assert float(durations[1][1].replace(",", ".")) == pytest.approx(1, rel=0.05)
    sla = csv_rows(c.get("/insights/panel/sla/", {**PERIOD, "export": "csv", "table": "facts"}))
    assert [row[2] for row in sla[1:]] == ["%", "", "%", ""]  # shares met, breaches counted
    reopen = csv_rows(c.get("/insights/panel/reopen/", {**PERIOD, "export": "csv", "table": "facts"}))
    assert [row[2] for row in reopen[1:]] == ["", "", "%"]


def test_whole_hours_are_written_without_a_decimal() -> None:
    with translation.override("fr"):
        assert duration_text(3600) == "1 h"
        assert duration_text(4 * 3600) == "4 h"
        assert duration_text(5400) == "1,5 h"
        assert duration_text(36 * 3600) == "36 h"
    # The durations panel's buckets: "1 h to 4 h", no longer "1.0 h to 4.0 h".
    with translation.override("en"):
        assert duration_text(8 * 3600) == "8 h"
