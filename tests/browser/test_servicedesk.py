"""The service desk in a real browser: a collège declares, a technician resolves, the
collège follows; and the desk's pages pass axe-core and fit a phone.

The people here read the interface in English (their account's language), so the test
names buttons by the texts the code writes, whatever the French catalogue says.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Ticket
from tests.browser.test_accessibility import violations
from tests.conftest import Cast
from tests.factories import DEMO_PASSWORD, MembershipFactory
from tests.servicedesk.conftest import Desk

# The service desk's cast, registered here as the `service_desk` fixture (see `desk` below).
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401
from tests.servicedesk.pages import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_english(user: User) -> User:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def log_in(page: Page, base_url: str, user: User) -> None:
    """Through the login form, in whichever language the last person left it."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("input[name=email]")).to_be_visible()


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name).click()


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    """The service desk's cast (tests/servicedesk/conftest.py): a collège and a fire station
    of member A with their own catalogues, a tablet, a team and its technician tess."""
    found: Desk = request.getfixturevalue("service_desk")
    return found


@pytest.fixture
def claire(cast: Cast, desk: Desk) -> User:
    """The collège's contact: her only site is the collège."""
    membership = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="claire@hoche.example", user__language="en"
    )
    membership.sites.add(desk.college)
    return membership.user


def test_a_college_declares_a_technician_resolves_the_college_follows(
    live_server, page: Page, desk: Desk, claire: User
) -> None:
    log_in(page, live_server.url, claire)
    menu(page, "Declare")
    # One site: straight to the collège's catalogue, without the fire station's.
    expect(page.get_by_text("Step 2 of 3: what is wrong at Collège Hoche?")).to_be_visible()
    expect(page.get_by_role("link", name="Écran cassé")).to_be_visible()
    expect(page.get_by_role("link", name="Caméra hors ligne")).to_have_count(0)
    page.get_by_label("Search the catalogue").fill("vitre")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Écran cassé").click()

    expect(page.get_by_label("Title")).to_have_value("Écran cassé")
    page.get_by_label("Description").fill("L'écran s'est fissuré en tombant du bureau.")
    page.get_by_label("Depuis quand ?").fill("2026-01-12")
    page.get_by_role("group", name="La tablette est-elle encore utilisable ?").get_by_label("No").check()
    page.get_by_label(re.compile(r"^Tablette")).select_option(value=str(desk.tablet.pk))
    page.get_by_label("Files (photos, documents)").set_input_files(
        files=[{"name": "ecran.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_role("button", name="Send the request").click()
    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"Your request n° {ticket.number} is recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"n° {ticket.number} – Écran cassé")
    expect(page.get_by_role("link", name="ecran.png")).to_be_visible()
    log_out(page)

    log_in(page, live_server.url, in_english(desk.tess))
    menu(page, "Queue")
    page.get_by_role("link", name=f"n° {ticket.number}", exact=True).click()
    page.get_by_role("button", name="Take this ticket").click()
    expect(page.get_by_text(f"You took n° {ticket.number}: it is in progress.")).to_be_visible()
    page.get_by_label("Your message").fill("Nous passons jeudi avec un écran neuf.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    page.get_by_label("New state").select_option(label="Resolved")
    page.get_by_label("Message to the member (optional)").fill("Écran remplacé, tablette rendue.")
    page.get_by_role("button", name="Change the state").click()
    expect(page.get_by_text(f"n° {ticket.number} is now resolved.")).to_be_visible()
    log_out(page)

    log_in(page, live_server.url, claire)
    expect(page.get_by_role("link", name=f"n° {ticket.number} – Écran cassé")).to_be_visible()
    menu(page, "Requests")
    page.get_by_role("link", name=f"n° {ticket.number}", exact=True).click()
    expect(page.locator(".ticket-status")).to_contain_text("Resolved")
    timeline = page.locator("#timeline + ol")
    expect(timeline).to_contain_text("Nous passons jeudi avec un écran neuf.")
    expect(timeline).to_contain_text("Écran remplacé, tablette rendue.")
    expect(page.get_by_text("Not solved? You can reopen it until")).to_be_visible()


def _new_ticket(cast: Cast, desk: Desk) -> Ticket:
    return services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran fissuré",
        assets=[desk.tablet],
        by=cast.alice,
    )


def _ticket_with_history(cast: Cast, desk: Desk) -> Ticket:
    ticket = _new_ticket(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    services.reply(ticket=ticket, body="Nous passons jeudi.", by=desk.tess, as_staff=True)
    services.add_note(ticket=ticket, body="Prévoir un écran de rechange.", by=desk.tess)
    return ticket


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_desk_pages_pass_axe(live_server, page: Page, cast: Cast, desk: Desk, who: str) -> None:
    ticket = _ticket_with_history(cast, desk)
    log_in(page, live_server.url, getattr(cast, who))
    paths = [
        "/",
        "/tickets/",
        f"/tickets/{ticket.number}/",
        "/tickets/new/",
        f"/tickets/new/?site={desk.college.pk}",
        f"/tickets/new/?site={desk.college.pk}&type={desk.broken_screen.pk}",
        f"/equipment/{desk.tablet.pk}/",
    ]
    if who == "olivia":
        paths += ["/desk/", f"/desk/catalogue/?site_kind={desk.college_kind.pk}"]
    found = {}
    for path in paths:
        page.goto(live_server.url + path)
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}


def test_a_refused_declaration_passes_axe(live_server, page: Page, cast: Cast, desk: Desk) -> None:
    log_in(page, live_server.url, in_english(cast.alice))
    page.goto(f"{live_server.url}/tickets/new/?site={desk.college.pk}&type={desk.broken_screen.pk}")
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Send the request").click()
    # The summary is read first: it has the focus, and the page's title says there is an error.
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.title().startswith("Error: ")
    assert violations(page) == []
    assert Ticket.objects.count() == 0


def test_a_handling_message_shows_where_the_page_lands(
    live_server, page: Page, cast: Cast, desk: Desk
) -> None:
    """The desk's actions redirect to the ticket's #handling: their message is put there,
    with the focus, not at the top of the page out of sight (found by a keyboard probe)."""
    ticket = _new_ticket(cast, desk)
    log_in(page, live_server.url, in_english(cast.olivia))
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.get_by_role("button", name="Take this ticket").click()
    messages = page.locator("#messages")
    expect(messages).to_be_focused()
    expect(messages).to_be_in_viewport()
    assert page.evaluate("document.getElementById('messages').nextElementSibling.id") == "handling"


def test_desk_pages_fit_a_phone_screen(live_server, browser: Browser, cast: Cast, desk: Desk) -> None:
    ticket = _ticket_with_history(cast, desk)
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    for user, paths in (
        (cast.alice, ["/tickets/", f"/tickets/{ticket.number}/", f"/tickets/new/?site={desk.college.pk}"]),
        (
            cast.olivia,
            ["/desk/", f"/tickets/{ticket.number}/", f"/desk/catalogue/?site_kind={desk.college_kind.pk}"],
        ),
    ):
        context.clear_cookies()
        log_in(page, live_server.url, user)
        for path in [*paths, f"/tickets/new/?site={desk.college.pk}&type={desk.broken_screen.pk}"]:
            page.goto(live_server.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    context.close()


def test_going_back_after_declaring_and_sending_again_keeps_one_ticket(
    live_server, browser: Browser, cast: Cast, desk: Desk, claire: User
) -> None:
    """On a phone, the back button after sending brings the filled form back; pressing
    "Send" again leads to the request already recorded, not to a second one."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server.url, claire)
    page.goto(f"{live_server.url}/tickets/new/?site={desk.college.pk}&type={desk.broken_screen.pk}")
    page.get_by_label("Description").fill("Tombée du bureau.")
    page.get_by_label("Depuis quand ?").fill("2026-01-12")
    page.get_by_role("group", name="La tablette est-elle encore utilisable ?").get_by_label("No").check()
    page.get_by_label(re.compile(r"^Tablette")).select_option(value=str(desk.tablet.pk))
    page.get_by_role("button", name="Send the request").click()
    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"Your request n° {ticket.number} is recorded.")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Description")).to_have_value("Tombée du bureau.")
    page.get_by_role("button", name="Send the request").click()
    expect(
        page.get_by_text(f"This request was already recorded a moment ago as n° {ticket.number}")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"n° {ticket.number} – Écran cassé")
    assert Ticket.objects.count() == 1
    assert violations(page) == []
    context.close()
