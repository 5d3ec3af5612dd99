import pytest
from django.core.exceptions import ValidationError

from mutualis.registry.opening_hours import normalize_opening_hours, parse_opening_hours


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
def test_the_osm_parser_says_what_is_wrong(text: str, hint: str) -> None:
    # What is stored is OpenStreetMap syntax, read strictly; French is read before storing.
    with pytest.raises(ValidationError) as error:
        parse_opening_hours(text)
    assert hint in " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Lun-Ven 8h30-12h00, 13h30-17h", "Mo-Fr 08:30-12:00,13:30-17:00"),
        (
            "lundi au vendredi 8h30-12h / 14h-17h30; samedi 9h-12h",
            "Mo-Fr 08:30-12:00,14:00-17:30; Sa 09:00-12:00",
        ),
        (
            "Du lundi au vendredi de 9h à 12h et de 14h à 17h, le samedi de 9h à midi",
            "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00",
        ),
        ("Lundi : fermé ; mardi à samedi : 9h-12h", "Mo off; Tu-Sa 09:00-12:00"),
        ("Mardi et jeudi : 14h-18h", "Tu,Th 14:00-18:00"),
        ("lun, mer, ven 8:30-12:00", "Mo,We,Fr 08:30-12:00"),
        ("Lun.-Ven. 8 h 30 - 12 h", "Mo-Fr 08:30-12:00"),
        ("Lundi–Vendredi 8h30–17h. Samedi 9h-12h.", "Mo-Fr 08:30-17:00; Sa 09:00-12:00"),
        (
            "lun-ven 9h-17h\nsam 9h-12h\ndimanche et jours fériés fermé",
            "Mo-Fr 09:00-17:00; Sa 09:00-12:00; Su off; PH off",
        ),
        ("Lu-Ve 08:00-12:00", "Mo-Fr 08:00-12:00"),
        ("Mo-Fr 8h-12h", "Mo-Fr 08:00-12:00"),
        ("lun 8-12, 14-17", "Mo 08:00-12:00,14:00-17:00"),
        ("les samedis 9h-12h", "Sa 09:00-12:00"),
        ("fermé le dimanche", "Su off"),
        ("tous les jours 8h-20h", "Mo-Su 08:00-20:00"),
        ("24h/24 7j/7", "Mo-Su 00:00-24:00"),
        ("ven 18h-minuit", "Fr 18:00-24:00"),
    ],
)
def test_french_hours_are_stored_in_openstreetmap_syntax(typed: str, stored: str) -> None:
    assert normalize_opening_hours(typed) == stored
    parse_opening_hours(stored)


def test_hours_in_openstreetmap_syntax_are_kept_as_written() -> None:
    for text in ("Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off", "24/7", ""):
        assert normalize_opening_hours(f" {text} ") == text


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("lundi matin", "« matin » n’est pas compris"),
        ("Xu-Fr 08:00-12:00", "« Xu » n’est pas compris"),
        ("lun 8h", "« 8h » n’est pas une plage horaire"),
        ("8h-12h", "Dites pour quels jours vaut « 8h-12h »"),
        ("Mo-Fr", "Donnez les heures après « Mo-Fr »"),
        ("lun 14h-12h", "14:00-12:00 finit avant de commencer"),
        ("lun 8h-12h, 11h-14h", "se chevauchent"),
        ("Mo-Fr 25:00-26:00", "n’est pas une heure valide"),
    ],
)
def test_hours_not_understood_get_a_french_message_with_an_example(text: str, hint: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalize_opening_hours(text)
    message = " ".join(error.value.messages)
    assert hint in message
    assert message.endswith(
        "Par exemple : « lun-ven 8h30-12h, 13h30-17h; sam 9h-12h », ou en syntaxe OpenStreetMap "
        "« Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00 »."
    )


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


def _site_form(site, **changes: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "member": site.member_id,
        "kind": site.kind_id,
        "name": site.name,
        "code": site.code,
        "address": site.address,
        "postal_code": site.postal_code,
        "commune": site.commune_id,
        "latitude": "",
        "longitude": "",
        "opening_hours": site.opening_hours,
        "phone": site.phone,
        "is_active": "on",
        "notes": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_site_form_stores_french_hours_in_openstreetmap_syntax(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    from mutualis.registry.models import Site

    url = f"/backoffice/registry/site/{cast.site_a.pk}/change/"
    adam = as_user(cast.adam)
    saved = adam.post(url, _site_form(cast.site_a, opening_hours="Lun-Ven 8h30-12h00, 13h30-17h; sam 9h-12h"))
    assert saved.status_code == 302, saved.content.decode()[:3000]
    cast.site_a.refresh_from_db()
    assert cast.site_a.opening_hours == "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"
    # The form shows what is stored.
    assert 'value="Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"' in adam.get(url).content.decode()

    refused = adam.post(url, _site_form(cast.site_a, opening_hours="lundi matin"))
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "« matin » n’est pas compris dans les horaires d’ouverture." in page
    assert "Par exemple : « lun-ven 8h30-12h, 13h30-17h; sam 9h-12h »" in page
    assert (
        Site.objects.get(pk=cast.site_a.pk).opening_hours == "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"
    )

    # Another operator's admin cannot reach the form of this site, nor change its hours.
    oscar = as_user(cast.oscar)
    assert oscar.get(url, follow=True).redirect_chain[-1][0] == "/backoffice/"
    oscar.post(url, _site_form(cast.site_a, opening_hours="lun 9h-10h"))
    assert (
        Site.objects.get(pk=cast.site_a.pk).opening_hours == "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"
    )


@pytest.mark.django_db
def test_an_import_stores_french_hours_and_says_how_they_are_recorded(cast, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mutualis.registry.imports import apply_batch, create_batch
    from mutualis.registry.models import ImportStatus, Site

    from .import_files import SITE_HEADER, csv_bytes, reference_lists

    settings.MEDIA_ROOT = tmp_path
    reference_lists()
    header = (*SITE_HEADER, "horaires")
    rows = [
        (
            "78646",
            "mairie",
            "Hôtel de ville",
            "HDV",
            "78000",
            "78646",
            "lundi au vendredi 8h30-12h / 14h-17h30; samedi 9h-12h",
        ),
        ("78646", "ecole", "École", "ECO", "78000", "78646", "Mo-Fr 08:30-16:30"),
        ("78646", "ecole", "Annexe", "ANX", "78000", "78646", "le matin"),
    ]
    batch = create_batch(
        operator=cast.operator,
        kind="sites",
        mode="create",
        file_name="s.csv",
        data=csv_bytes(header, rows[:2]),
    )
    assert batch.status == ImportStatus.READY
    assert batch.report["notes"] == [
        {
            "line": 2,
            "column": "horaires",
            "message": "« lundi au vendredi 8h30-12h / 14h-17h30; samedi 9h-12h » est enregistré comme "
            "« Mo-Fr 08:30-12:00,14:00-17:30; Sa 09:00-12:00 ».",
        }
    ]
    apply_batch(batch=batch)
    assert Site.objects.get(code="HDV").opening_hours == "Mo-Fr 08:30-12:00,14:00-17:30; Sa 09:00-12:00"
    assert Site.objects.get(code="ECO").opening_hours == "Mo-Fr 08:30-16:30"

    refused = create_batch(
        operator=cast.operator,
        kind="sites",
        mode="create",
        file_name="s.csv",
        data=csv_bytes(header, rows[2:]),
    )
    assert [(e["line"], e["column"]) for e in refused.report["errors"]] == [(2, "horaires")]
    assert refused.report["errors"][0]["message"].startswith("« matin » n’est pas compris")
