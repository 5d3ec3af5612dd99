import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from mutualis.people.models import User


@pytest.mark.parametrize(
    "password",
    ["short-1A", "password1234", "123456789012345", "aaaaaaaaaaaaaaaa", "marie.dupont.org"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, User(email="marie.dupont@example.org", full_name="Marie Dupont"))


@pytest.mark.parametrize(
    "password", ["Mutualis-Demo-2026", "correct horse battery 7", "Tablettes du collège 78!"]
)
def test_long_varied_passwords_are_accepted(password: str) -> None:
    validate_password(password, User(email="someone@example.org", full_name="Someone Else"))
