"""French typography in what the demo shows: its names and texts elided with a straight
apostrophe ("Centre communal d'action sociale", "Administrateur de l'opérateur",
"Compteur d'énergie"), where French writes the typographic one (’, U+2019) as the
interface's own translations do. The reference territory (INSEE's COG) keeps its names
as published (Bois-d'Arcy); a member or a site named after it shows them with ’."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from mutualis.datahub.demo import build
from mutualis.datahub.smart_data_models import SDM_TYPES
from mutualis.demo.builder import DEMO_SLUG
from mutualis.demo.logins import DEMO_LOGINS
from mutualis.registry.models import Commune, Departement, Epci, Member, Operator
from mutualis.servicedesk.mail import texts

pytestmark = pytest.mark.django_db

# A French elision written with the straight apostrophe: d'un, l'école, qu'il, n'est, s'allume.
STRAIGHT_ELISION = re.compile(r"(?i)(?<![a-zà-ÿ])(?:d|l|qu|n|s|c|j|m|t|jusqu|lorsqu|puisqu)'[a-zà-ÿ]")
# Reference data, published with the straight apostrophe and matched as published.
REFERENCE = {Commune, Departement, Epci}


def _straight_elisions() -> list[str]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("mutualis.") or model in REFERENCE:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            for value in model._default_manager.values_list(field.name, flat=True).iterator():
                if value and (match := STRAIGHT_ELISION.search(str(value))):
                    found.append(
                        f"{model.__name__}.{field.name}: …{str(value)[max(0, match.start() - 30) :][:80]}"
                    )
                    break  # one example per field is enough to find it
    return found


def test_the_demo_shows_its_names_and_texts_with_the_typographic_apostrophe() -> None:
    call_command(
        "demo_data", "--scale", "0.02", "--today", "2026-03-15", stdout=StringIO(), stderr=StringIO()
    )
    operator = Operator.objects.get(slug=DEMO_SLUG)
    build(operator=operator, now=dt.datetime(2026, 3, 15, 10, 7, tzinfo=dt.UTC), scale=0.2, days=1)
    # Members named after a commune or an EPCI whose published name has an apostrophe.
    assert Member.objects.filter(operator=operator, name__contains="’").filter(commune__name__contains="'")
    assert _straight_elisions() == []


def test_the_demo_logins_sensor_types_and_default_emails_use_the_typographic_apostrophe() -> None:
    shown = [
        *(role for role, _email in DEMO_LOGINS),
        *(kind.asset_type_name for kind in SDM_TYPES),
        *(text for wording in texts.FR.values() for text in (wording.subject, wording.body)),
    ]
    assert [text for text in shown if STRAIGHT_ELISION.search(text)] == []
