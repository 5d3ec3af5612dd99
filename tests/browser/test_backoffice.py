"""The back-office's tables of inline rows in a real browser: every box has a name (RGAA
11.1, WCAG 1.3.1 and 4.1.2), the rows "Add another" copies too, numbered, and the copies
are still saved as Django's scripts make them."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.utils import timezone, translation
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, STREETLIGHT
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.servicedesk.models import BusinessCalendar, Closure
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor
from tests.servicedesk.conftest import Desk
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)
from tests.servicedesk.service_levels import Levels, levels  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# axe's rules about names and labels (a box, a list, a button or a link nobody can name).
NAME_RULES = [
    "label",
    "select-name",
    "aria-input-field-name",
    "aria-toggle-field-name",
    "aria-command-name",
    "button-name",
    "input-button-name",
    "link-name",
    "image-alt",
]
# Each box of a row, with its label's text, "" when it has none. Select2 keeps its <select>
# hidden and draws boxes of its own, which axe checks.
ROW_BOXES = """(row) => [...row.querySelectorAll("input, select, textarea")]
  .filter((box) => box.type !== "hidden" && !box.closest(".select2-container, .select2-hidden-accessible"))
  .map((box) => [box.id, box.labels.length ? box.labels[0].textContent : ""])"""


def name_violations(page: Page) -> list[str]:
    return violations(page, rules=NAME_RULES)


def french(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def row_label(column: str, number: int) -> str:
    with translation.override("fr"):
        return translation.gettext("%(column)s, row %(number)s") % {"column": column, "number": number}


@pytest.fixture
def pages(cast: Cast, service_desk: Desk, levels: Levels) -> dict[str, str]:  # noqa: F811
    """A change page of every model the back-office edits with inline rows, by model."""
    return {
        "people.user": f"/backoffice/people/user/{cast.alice.pk}/change/",
        "registry.member": f"/backoffice/registry/member/{cast.member_a.pk}/change/",
        "registry.asset": f"/backoffice/registry/asset/{cast.asset_a.pk}/change/",
        "servicedesk.incidenttype": f"/backoffice/servicedesk/incidenttype/{service_desk.broken_screen.pk}/change/",
        "servicedesk.businesscalendar": f"/backoffice/servicedesk/businesscalendar/{levels.office.pk}/change/",
        "servicedesk.slapolicy": f"/backoffice/servicedesk/slapolicy/{levels.standard.pk}/change/",
    }


def test_every_box_of_the_inline_rows_has_a_name_added_rows_too(
    live_server, page: Page, cast: Cast, pages: dict[str, str]
) -> None:
    with_inlines = {
        m._meta.label_lower for m, model_admin in admin.site._registry.items() if model_admin.inlines
    }
    assert set(pages) == with_inlines  # a new page with inline rows is checked here too
    log_in(page, live_server.url, cast.adam.email)
    found = {}
    for path in pages.values():
        page.goto(live_server.url + path)
        problems = name_violations(page)
        # "Add another" in every table that has it, twice: the copies of the template row.
        for _ in range(2):
            for link in page.locator(".add-row a:visible").all():
                link.click()
        problems += [f"after adding rows: {p}" for p in name_violations(page)]
        for row in page.locator(".inline-group tr.form-row:not(.empty-form)").all():
            for box, label in row.evaluate(ROW_BOXES):
                index = int(re.search(r"-(\d+)-", box).group(1))  # type: ignore[union-attr]
                if not label.endswith(row_label("", index + 1)):
                    problems.append(f"{box}: {label!r}")
        if problems:
            found[path] = problems
    assert found == {}


def test_added_rows_are_named_by_their_number_and_saved(live_server, page: Page, cast: Cast) -> None:
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/backoffice/people/user/{cast.alice.pk}/change/")
    role = french("role").capitalize()
    expect(page.get_by_label(row_label(role, 1), exact=True)).to_have_value("member_agent")
    add = page.locator("#memberships-group .add-row a")
    add.click()
    add.click()
    expect(page.get_by_label(row_label(role, 2), exact=True)).to_be_visible()
    expect(page.get_by_label(row_label(role, 3), exact=True)).to_be_visible()
    # The autocomplete's own box is named by the column and the row too.
    member = french("member").capitalize()
    expect(page.get_by_role("combobox", name=re.compile(f"^{row_label(member, 3)}"))).to_be_visible()
    # Removing row 2: Django renumbers the rows after it, and their names follow.
    page.locator("#memberships-1 .inline-deletelink").click()
    expect(page.get_by_label(row_label(role, 2), exact=True)).to_be_visible()
    expect(page.get_by_label(row_label(role, 3), exact=True)).to_have_count(0)

    # A closure added in a calendar's table, filled through its labels, is saved.
    calendar = BusinessCalendar.objects.create(operator=cast.operator, name="Astreinte", always_open=True)
    page.goto(f"{live_server.url}/backoffice/servicedesk/businesscalendar/{calendar.pk}/change/")
    page.locator("#closures-group .add-row a").click()
    page.get_by_label(row_label(french("reason").capitalize(), 1), exact=True).fill("Pont de l’Ascension")
    page.get_by_label(row_label(french("first day closed").capitalize(), 1), exact=True).fill("14/05/2026")
    page.get_by_label(row_label(french("last day closed").capitalize(), 1), exact=True).fill("15/05/2026")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert list(Closure.objects.filter(calendar=calendar).values_list("label", flat=True)) == [
        "Pont de l’Ascension"
    ]


@pytest.mark.parametrize(
    "path", ["/backoffice/", "/backoffice/registry/site/", "/backoffice/servicedesk/category/add/"]
)
def test_back_office_links_are_told_apart_by_more_than_colour(
    live_server, page: Page, cast: Cast, path: str
) -> None:
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}{path}")
    if path != "/backoffice/":  # the index has no breadcrumbs
        expect(page.locator("div.breadcrumbs a").first).to_have_css("text-decoration-line", "underline")
    assert violations(page, rules=["link-in-text-block", "color-contrast"]) == []


def test_the_two_list_picker_of_a_team_meets_wcag_aa(
    live_server,
    page: Page,
    cast: Cast,
    service_desk: Desk,  # noqa: F811
) -> None:
    """A team's members are chosen with Django's two-list picker, whose filter icons carried
    an ARIA label no role allows (axe: aria-prohibited-attr)."""
    log_in(page, live_server.url, cast.adam.email)
    for path in (
        "/backoffice/servicedesk/team/add/",
        f"/backoffice/servicedesk/team/{service_desk.team.pk}/change/",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(".search-label-icon").first).to_be_attached()
        assert violations(page) == [], path


def test_wide_inline_rows_scroll_in_their_box_not_the_page(
    live_server, page: Page, cast: Cast, pages: dict[str, str]
) -> None:
    """At 1280 px an incident type's questions, a service level's targets and a user's
    memberships were wider than the window, and the whole page scrolled sideways."""
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, cast.adam.email)
    for model in ("servicedesk.incidenttype", "servicedesk.slapolicy", "people.user"):
        page.goto(live_server.url + pages[model])
        expect(page.locator(".inline-group").first).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1280, f"{model}: the page is {width} px wide"


def test_what_a_deletion_takes_with_it_is_listed_with_underlined_links(
    live_server, page: Page, cast: Cast
) -> None:
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/backoffice/registry/member/{cast.member_a.pk}/delete/")
    expect(page.locator("#content ul a").first).to_have_css("text-decoration-line", "underline")
    assert violations(page, rules=["link-in-text-block", "color-contrast"]) == []


def test_a_back_office_list_tells_its_links_apart_on_a_phone(live_server, page: Page, cast: Cast) -> None:
    """At 390 px the search's "(Show all)" wraps under its count, where only its colour told
    it apart (axe's link-in-text-block); it and the rows' links are underlined."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/backoffice/registry/site/?q=Mairie")
    for link in (page.locator("#changelist-search a"), page.locator("#result_list tbody a").first):
        expect(link).to_have_css("text-decoration-line", "underline")
    assert violations(page, rules=["link-in-text-block", "color-contrast"]) == []


# The page's width and its layout viewport's (a phone widens the latter to what overflows),
# and the list's box: its right edge, whether its table is wider than it, how it overflows.
LIST_WIDTHS = """() => { const box = document.querySelector('#changelist-form .results');
  return [document.documentElement.scrollWidth, window.innerWidth, Math.round(box.getBoundingClientRect().right),
          box.scrollWidth > box.clientWidth, getComputedStyle(box).overflowX]; }"""


@pytest.mark.parametrize("width", [390, 320])
def test_the_list_of_sensors_fits_a_phone_its_table_scrolls_in_its_box(
    live_server, browser: Browser, cast: Cast, width: int
) -> None:
    """The back-office's list of the hub's sensors (entities) at a phone's width: the page
    does not scroll sideways; its table scrolls inside its own box, the one Django's
    changelist gives every list (the equipment's here too), which the arrow keys scroll from
    a row's link."""
    now = timezone.now()
    tenant = tenant_for_member(cast.member_a)
    make_sensor(tenant, AIR_QUALITY_OBSERVED, 1, site=cast.site_a, name="Air de la mairie", now=now)
    make_sensor(tenant, STREETLIGHT, 2, site=cast.site_a, name="Lampadaire rue de la Paroisse", now=now)
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.adam.email)
    found = {}
    for path in ("/backoffice/datahub/entity/", "/backoffice/registry/asset/"):
        page.goto(live_server.url + path)
        expect(page.locator("#result_list tbody tr")).not_to_have_count(0)
        page_width, viewport, right, scrolls, overflow = page.evaluate(LIST_WIDTHS)
        problems = []
        if page_width > width or viewport != width:
            problems.append(f"the page is {page_width} px wide in a {viewport} px viewport")
        if right > width or not scrolls or overflow != "auto":
            problems.append(f"the table's box: right edge {right}, scrolls {scrolls}, overflow {overflow}")
        page.locator("#result_list tbody a").first.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        try:  # the browser may scroll smoothly: give it a moment
            page.wait_for_function(
                "() => document.querySelector('#changelist-form .results').scrollLeft > 0", timeout=3_000
            )
        except PlaywrightTimeoutError:
            problems.append("the arrow keys do not scroll the table")
        problems += violations(page, rules=["scrollable-region-focusable", "link-in-text-block"])
        if problems:
            found[path] = problems
    context.close()
    assert found == {}


@pytest.mark.parametrize("width", [1280, 390])
def test_a_drop_down_of_long_choices_stays_in_its_column(
    live_server, page: Page, cast: Cast, width: int
) -> None:
    """The alert rule's attributes, each listed with its values, made a drop-down 2,017 px
    wide at 1280: the page scrolled sideways to reach its end."""
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, cast.adam.email)
    page.goto(live_server.url + "/backoffice/datahub/alertrule/add/")
    expect(page.locator("select#id_attribute")).to_be_visible()
    page_width, widest = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " Math.max(...[...document.querySelectorAll('#content-main select')]"
        ".map((box) => Math.round(box.getBoundingClientRect().right)))]"
    )
    assert page_width <= width
    assert widest <= width
