"""Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The flags the machine needs: no sandbox as root, no background calls to Google's
# servers (this machine's network refuses them), no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's Chromium is missing at /usr/bin/chromium: run `make setup` (apt-get install chromium)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


OpenPage = Callable[..., Page]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_page(browser: Browser) -> OpenPage:
    """A page in a context of its own, French, 10 s for each step: `open_page(viewport=PHONE,
    is_mobile=True, java_script_enabled=False)` takes `new_context`'s arguments. Its
    context is closed after the test (`_live_server_quiet_before_flush`)."""

    def opened(**options: Any) -> Page:
        page = browser.new_context(**{"locale": "fr-FR", **options}).new_page()
        page.set_default_timeout(10_000)
        return page

    return opened


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page()


def _request_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.endswith("(process_request_thread)")]


@pytest.fixture(autouse=True)
def _live_server_quiet_before_flush(transactional_db: None, browser: Browser) -> Iterator[None]:
    """Close the test's browser contexts, then wait until the live server has finished
    its requests.

    The browser may still be fetching (a favicon, a panel) when the test ends; on
    PostgreSQL, the teardown's TRUNCATE of every table then meets a request's join
    holding some of them and one side is aborted as a deadlock, failing the next test.
    Depending on `transactional_db` makes this teardown run before its flush.
    """
    yield
    # Every context a test opened, by the `page` fixture or by hand: an open one keeps
    # its HTTP connections alive, and the live server's thread serving each with them,
    # so the wait below would last its whole bound (15 s a test, seen in the durations).
    for context in browser.contexts:
        context.close()
    # The live server answers each request in a thread of its own, which nobody waits for:
    # one still running when the server stops (the session's end) closes a connection no
    # longer shared with it and fails the last test's teardown (seen on SQLite under load:
    # "DatabaseWrapper objects created in a thread can only be used in that same thread").
    deadline = time.monotonic() + 15
    while _request_threads():
        if time.monotonic() > deadline:
            pytest.fail(
                f"The live server still serves {len(_request_threads())} request(s) 15 s after the test."
            )
        time.sleep(0.05)
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 15
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
