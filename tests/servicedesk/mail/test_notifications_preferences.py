"""Each person chooses the notifications they get, on their own page, and only theirs."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.mail.preferences import choices_of
from mutualis.servicedesk.models import NotificationPreference
from tests.conftest import Cast

from ..conftest import Desk

pytestmark = pytest.mark.django_db

URL = "/accounts/notifications/"


def test_a_member_user_sees_the_notifications_about_their_requests(cast: Cast, as_user) -> None:
    page = as_user(cast.alice).get(URL).content.decode()
    for event in ("created", "staff_reply", "state_changed", "resolved"):
        assert f'value="{event}"' in page
    assert 'value="team_new_ticket"' not in page
    assert "<fieldset" in page
    assert "<legend" in page
    assert page.count("checked") == 4  # everything on until they choose


def test_staff_see_the_notifications_of_their_queue(cast: Cast, desk: Desk, as_user) -> None:
    page = as_user(desk.tess).get(URL).content.decode()
    for event in ("team_new_ticket", "assigned", "member_reply", "sla_warning", "sla_breach"):
        assert f'value="{event}"' in page
    assert 'value="created"' not in page


def test_switching_a_notification_off_is_kept(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    response = client.post(URL, {"member_events": ["created", "resolved"]})
    assert response.status_code == 302
    assert choices_of(cast.alice) == {
        "created": True,
        "staff_reply": False,
        "state_changed": False,
        "resolved": True,
    }
    page = client.get(URL).content.decode()
    assert page.count("checked") == 2
    # An unknown choice is refused, nothing changes.
    assert client.post(URL, {"member_events": ["created", "everything"]}).status_code == 400
    assert choices_of(cast.alice)["resolved"] is True


def test_one_changes_only_ones_own_choices(cast: Cast, as_user) -> None:
    client = as_user(cast.charlie)
    response = client.post(URL, {"member_events": [], "user": cast.alice.pk, "user_id": cast.alice.pk})
    assert response.status_code == 302
    assert not NotificationPreference.objects.filter(user=cast.alice).exists()
    assert set(NotificationPreference.objects.filter(enabled=False).values_list("user", flat=True)) == {
        cast.charlie.pk
    }
    # And the page shows no one else's address.
    page = client.get(URL).content.decode()
    assert cast.charlie.email in page
    assert cast.alice.email not in page


def test_anonymous_visitors_are_sent_to_log_in(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
