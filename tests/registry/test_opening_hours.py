import pytest
from django.core.exceptions import ValidationError

from mutualis.registry.opening_hours import parse_opening_hours


def test_weekdays_with_a_lunch_break_and_saturday_morning() -> None:
    hours = parse_opening_hours("Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00")
    assert hours.week[0] == [(510, 720), (810, 1050)]
    assert hours.week[5] == [(540, 720)]
    assert hours.week[6] == []


def test_later_rules_override_earlier_ones_and_public_holidays() -> None:
    hours = parse_opening_hours("Mo-Fr 08:00-18:00; We 08:00-12:00; PH off")
    assert hours.week[2] == [(480, 720)]
    assert hours.public_holidays == []


def test_always_open_and_wrapping_day_ranges() -> None:
    assert parse_opening_hours("24/7").always_open
    assert parse_opening_hours("Sa-Mo 10:00-12:00").week[0] == [(600, 720)]
    assert parse_opening_hours("Mo-Fr 08:00-24:00").week[4] == [(480, 1440)]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Lu-Ve 08:00-12:00", "Jour inconnu"),
        ("Mo-Fr 8h-12h", "n’est pas une plage horaire"),
        ("Mo-Fr 25:00-26:00", "n’est pas une heure valide"),
        ("Mo 18:00-08:00", "passent minuit"),
        ("Mo 08:00-12:00,11:00-14:00", "se chevauchent"),
        ("Mo-Fr", "doit donner des jours et des heures"),
    ],
)
def test_mistakes_get_a_message_saying_what_to_write(text: str, hint: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_opening_hours(text)
    assert hint in " ".join(error.value.messages)


@pytest.mark.django_db
def test_the_site_page_says_what_the_hours_say_of_public_holidays(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    # "PH off" was read, then left out of the table: nothing told a visitor the site is
    # closed on public holidays.
    from mutualis.registry.models import Site

    Site.objects.filter(pk=cast.site_a.pk).update(opening_hours="Mo-Fr 08:00-12:00; PH off")
    page = as_user(cast.alice).get(f"/sites/{cast.site_a.pk}/").content.decode()
    assert '<tr><th scope="row">Jours fériés</th><td>fermé</td></tr>' in page
    Site.objects.filter(pk=cast.site_a.pk).update(opening_hours="Mo-Fr 08:00-12:00")
    assert "Jours fériés" not in as_user(cast.alice).get(f"/sites/{cast.site_a.pk}/").content.decode()
    # The page of another member's site stays out of reach.
    assert as_user(cast.charlie).get(f"/sites/{cast.site_a.pk}/").status_code == 404
