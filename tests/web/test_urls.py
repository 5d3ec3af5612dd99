"""cached_reverse gives reverse()'s answer, also under another script prefix."""

from django.urls import clear_script_prefix, reverse, set_script_prefix

from mutualis.lib.urls import cached_reverse


def test_same_answer_as_reverse() -> None:
    assert cached_reverse("servicedesk:ticket-list") == reverse("servicedesk:ticket-list") == "/tickets/"
    assert cached_reverse("servicedesk:ticket-detail", 12) == reverse("servicedesk:ticket-detail", args=[12])
    assert cached_reverse("servicedesk:ticket-detail", 13) != cached_reverse("servicedesk:ticket-detail", 12)


def test_a_deployment_under_a_sub_path_gets_its_prefix() -> None:
    assert cached_reverse("servicedesk:ticket-list") == "/tickets/"
    set_script_prefix("/mutualis/")
    try:
        assert cached_reverse("servicedesk:ticket-list") == "/mutualis/tickets/"
    finally:
        clear_script_prefix()
    assert cached_reverse("servicedesk:ticket-list") == "/tickets/"
