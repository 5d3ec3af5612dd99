"""French public identifiers: SIREN, SIRET, INSEE codes.

SIREN (9 digits) and SIRET (14 digits) carry a Luhn check digit (INSEE, "Répertoire
SIRENE", structure of the identifiers). La Poste's establishments are the one documented
exception to the SIRET rule (SIREN 356000000), accepted here.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LA_POSTE_SIREN = "356000000"
INSEE_COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
DEPARTEMENT_RE = re.compile(r"^(\d{2}|2[AB]|97\d)$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise_digits(value: str) -> str:
    """Remove the spaces and dots people type in SIREN/SIRET numbers."""
    return re.sub(r"[\s.\u00a0]", "", value or "")


def validate_siren(value: str) -> None:
    if not re.fullmatch(r"\d{9}", value):
        raise ValidationError(_("A SIREN number has exactly 9 digits."), code="siren_format")
    if not luhn_ok(value):
        raise ValidationError(
            _("%(value)s is not a valid SIREN number (its check digit is wrong)."),
            code="siren_checksum",
            params={"value": value},
        )


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"\d{14}", value):
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_format")
    if value.startswith(LA_POSTE_SIREN):
        if sum(int(c) for c in value) % 5 != 0:
            raise ValidationError(_("%(value)s is not a valid SIRET number."), params={"value": value})
        return
    if not luhn_ok(value):
        raise ValidationError(
            _("%(value)s is not a valid SIRET number (its check digit is wrong)."),
            code="siret_checksum",
            params={"value": value},
        )


def validate_insee_commune(value: str) -> None:
    if not INSEE_COMMUNE_RE.fullmatch(value):
        raise ValidationError(
            _("%(value)s is not an INSEE commune code (5 characters, e.g. 78646)."),
            code="insee_format",
            params={"value": value},
        )
