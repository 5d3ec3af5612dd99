from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterVarietyValidator:
    """At least two kinds of characters among lower case, upper case, digits, symbols.

    With the 12-character minimum this follows ANSSI's recommendation (length first,
    some variety) without the composition rules people work around.
    """

    def validate(self, password: str, user: object = None) -> None:
        kinds = sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if kinds < 2:
            raise ValidationError(
                _("Mix at least two kinds of characters: lower case, upper case, digits, symbols."),
                code="password_too_uniform",
            )

    def get_help_text(self) -> str:
        return _("Mix at least two kinds of characters: lower case, upper case, digits, symbols.")
