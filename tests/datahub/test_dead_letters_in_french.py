"""Rejected messages in the French back office: their reason and detail showed the stored
English (`unknown_sensor`, "No sensor 'nowhere' in this tenant…") on French pages. The
page shows each reason by its French label and each detail the ingestion wrote in French,
the values it quotes as they are; a detail from elsewhere is shown as stored. What is
stored and what the ingestion API answers stay English (Content-Language: en)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from django.utils import translation

from mutualis.datahub.ingestion import reasons
from mutualis.datahub.ingestion.receive import ingest_batch
from mutualis.datahub.models import DeadLetter, IngestionSource
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import make_sensor, message, reading

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
# A detail no template of ours wrote (an NGSI-LD refusal, an older wording): shown as stored.
FOREIGN_DETAIL = "urn:ngsi-ld:Thing:x: Attribute 'speed' has an unsupported type."


def _letters(hub: Hub) -> dict[str, DeadLetter]:
    make_sensor(hub.tenant_a)
    ingest_batch(
        operator_id=hub.cast.operator.pk,
        messages=[
            message(hub.tenant_a, raw=b"{oops"),
            message(hub.tenant_a, reading(1.0, sensor="nowhere")),
            message(
                hub.tenant_a, {"sensor": "x", "observedAt": "2026-11-23T10:00:00Z", "values": {"pm25": None}}
            ),
        ],
        now=NOW,
    )
    DeadLetter.objects.create(
        operator=hub.cast.operator,
        tenant=hub.tenant_a,
        source=IngestionSource.HTTP,
        payload="{}",
        reason="refused_by_hub",
        detail=FOREIGN_DETAIL,
        received_at=NOW,
        last_seen_at=NOW,
        fingerprint="f" * 64,
    )
    return {letter.reason: letter for letter in DeadLetter.objects.all()}


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return unescape(response.content.decode())


FRENCH = {
    "invalid_json": ("pas du JSON", "Le message n’est pas du JSON : "),
    "unknown_sensor": (
        "capteur inconnu",
        "Aucun capteur 'nowhere' dans cet espace de données (identifiant d’entité ou numéro d’inventaire).",
    ),
    "bad_value": ("valeur invalide", "La valeur de 'pm25' doit être un nombre, un texte ou un booléen."),
    "refused_by_hub": ("refusé par le hub de données", FOREIGN_DETAIL),
}
ENGLISH = [
    "The message is not JSON",
    "No sensor 'nowhere'",
    "must be a number",
    "unknown sensor",
    "not JSON<",
]


def test_the_operator_admin_reads_rejected_messages_in_french(hub: Hub, as_user) -> None:  # type: ignore[no-untyped-def]
    letters = _letters(hub)
    admin = as_user(hub.cast.adam)
    page = _text(admin.get("/backoffice/datahub/deadletter/"))
    for label, detail in FRENCH.values():
        assert f">{label}<" in page  # in its column and in the filter by reason
        assert detail in page
    for english in ENGLISH:
        assert english not in page
    # Filtering by a reason's label keeps its letters only.
    filtered = _text(admin.get("/backoffice/datahub/deadletter/?reason=unknown_sensor"))
    assert FRENCH["unknown_sensor"][1] in filtered
    assert FRENCH["bad_value"][1] not in filtered
    for code, (label, detail) in FRENCH.items():
        change = _text(admin.get(f"/backoffice/datahub/deadletter/{letters[code].pk}/change/"))
        assert f"{label} (2026-11-23 10:30)" in change  # the title and the breadcrumbs
        assert detail in change
        for english in ENGLISH:
            assert english not in change
    # What is stored stays the ingestion's English.
    assert letters["unknown_sensor"].detail == (
        "No sensor 'nowhere' in this tenant (entity id or inventory tag)."
    )


def test_a_members_user_reaches_no_rejected_message(hub: Hub, as_user) -> None:  # type: ignore[no-untyped-def]
    letter = _letters(hub)["unknown_sensor"]
    for user in (hub.cast.alice, hub.cast.charlie):
        client = as_user(user)
        for address in (
            "/backoffice/datahub/deadletter/",
            f"/backoffice/datahub/deadletter/{letter.pk}/change/",
        ):
            response = client.get(address)
            assert response.status_code == 302
            assert "/backoffice/login/" in response["Location"]
    # Nor the admin of another operator.
    other = as_user(hub.cast.oscar)
    assert "nowhere" not in _text(other.get("/backoffice/datahub/deadletter/"))
    response = other.get(f"/backoffice/datahub/deadletter/{letter.pk}/change/", follow=True)
    assert "nowhere" not in unescape(response.content.decode())


def test_the_ingestion_still_answers_in_english(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    body = '[{"sensor": "nowhere", "observedAt": "2026-11-23T10:00:00Z", "values": {}}]'
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", body)
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert "The reading has no values" in response.content.decode()


INGESTION = Path(reasons.__file__).parent


def test_every_reason_the_ingestion_gives_has_a_label() -> None:
    source = "".join(path.read_text() for path in INGESTION.glob("*.py"))
    codes = set(re.findall(r'Rejected\(\s*"(\w+)"', source)) | set(re.findall(r'reason="(\w+)"', source))
    assert len(codes) == 18
    assert codes <= set(reasons.REASONS)
    with translation.override("fr"):
        assert all(reasons.reason_label(code) != code for code in codes)
    assert reasons.reason_label("retired_code") == "retired_code"


def test_every_detail_template_is_shown_in_french_with_its_values() -> None:
    templates = [value for name, value in vars(reasons).items() if name.isupper() and isinstance(value, str)]
    assert len(templates) == 28
    for template in templates:
        names = re.findall(r"%\((\w+)\)s", template)
        values = {name: f"<{name} 'a b'>" for name in names}
        with translation.override("fr"):
            shown = reasons.detail_shown(template % values)
        assert shown != template % values, template
        assert all(value in shown for value in values.values()), template
