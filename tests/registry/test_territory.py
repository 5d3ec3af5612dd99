"""The INSEE territory reference: import from the shipped 78/92 extract, idempotent."""

import json
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from mutualis.registry.models import Commune, Epci
from mutualis.registry.territory import import_territory
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.TERRITORY_DATA_DIR)


def test_demo_departements_have_their_real_communes_and_epci() -> None:
    report = import_territory(["78", "92"], source=SHIPPED)
    assert report.communes_per_departement == {"78": 259, "92": 36}
    assert Commune.objects.filter(departement__code="78").count() == 259
    assert Commune.objects.filter(departement__code="92").count() == 36
    versailles = Commune.objects.get(code="78646")
    assert versailles.name == "Versailles"
    assert versailles.epci is not None
    assert versailles.epci.name == "CA Versailles Grand Parc (CAVGP)"
    nanterre = Commune.objects.get(code="92050")
    assert nanterre.epci is not None
    assert nanterre.epci.kind == "METRO"
    assert nanterre.ept is not None
    assert nanterre.ept.name == "Paris Ouest La Défense"
    # Every commune of 78 belongs to an EPCI; every commune of 92 to the MGP and an EPT.
    assert not Commune.objects.filter(departement__code="78", epci__isnull=True).exists()
    assert not Commune.objects.filter(departement__code="92", ept__isnull=True).exists()
    assert Epci.objects.filter(kind="EPT").count() == 4
    # Positions: all placed, most from GeoNames, the rest estimated and labelled so.
    assert not Commune.objects.filter(latitude__isnull=True).exists()
    assert Commune.objects.filter(position_source="geonames").count() == 232


def test_reimport_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_territory", "78", "92")
    capsys.readouterr()
    call_command("import_territory", "78", "92")
    out = capsys.readouterr().out
    assert "0 créés, 0 mis à jour, 295 inchangés" in out
    assert "Already up to date" in out


def test_a_later_release_updates_in_place_and_keeps_links(tmp_path: Path, cast: Cast) -> None:
    import_territory(["78"], source=SHIPPED)
    versailles = Commune.objects.get(code="78646")
    member, site = cast.member_a, cast.site_a
    assert member.commune_id == site.commune_id == versailles.pk

    release = tmp_path / "release"
    shutil.copytree(SHIPPED, release)
    communes = json.loads((release / "communes.json").read_text(encoding="utf-8"))
    for row in communes:
        if row["code"] == "78646":
            row["population"] = 90000
            row["nom"] = "Versailles (nouveau nom)"
    # A commune merged away: absent from the new release.
    communes = [row for row in communes if row["code"] != "78003"]
    (release / "communes.json").write_text(json.dumps(communes), encoding="utf-8")

    report = import_territory(["78"], source=release)
    assert report.communes.updated == 1
    assert report.communes.retired == 1
    versailles.refresh_from_db()
    assert (versailles.name, versailles.population) == ("Versailles (nouveau nom)", 90000)
    member.refresh_from_db()
    site.refresh_from_db()
    assert member.commune_id == versailles.pk
    assert site.commune_id == versailles.pk
    assert Commune.objects.get(code="78003").is_current is False


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["99"], "Code(s) de département inconnu(s) : 99"),
        (["78", "XX"], "inconnu(s) : XX"),
        (["91"], "L’extrait livré ne contient que le 78 et le 92"),
    ],
)
def test_bad_departement_codes_are_named_and_nothing_is_imported(codes: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_territory", *codes)
    assert not Commune.objects.exists()


def test_source_without_the_package_files_is_explained(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"departements\.json est absent"):
        call_command("import_territory", "78", "--source", str(tmp_path))
    (tmp_path / "departements.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="illisible"):
        call_command("import_territory", "78", "--source", str(tmp_path))


def test_single_digit_codes_are_padded() -> None:
    # "2A"/"2B" and "01" forms: a user typing "1" means the Ain, which the extract lacks.
    with pytest.raises(CommandError, match="le 78 et le 92"):
        call_command("import_territory", "1")
