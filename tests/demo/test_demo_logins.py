"""Every login the demo prints works through the real login form and lands on a home page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.test import Client

from mutualis.demo import logins
from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.registry.models import Member, MemberKind

pytestmark = pytest.mark.django_db

HOME_TEMPLATES = {"web/home_operator.html", "web/home_member.html"}


@pytest.fixture
def demo() -> None:
    call_command(
        "demo_data", "--scale", "0.02", "--today", "2026-03-15", stdout=StringIO(), stderr=StringIO()
    )


def test_the_demo_password_passes_the_password_rules(demo):
    for _role, email in logins.DEMO_LOGINS:
        validate_password(logins.DEMO_PASSWORD, User.objects.get(email=email))


@pytest.mark.parametrize(("role", "email"), logins.DEMO_LOGINS)
def test_each_demo_login_reaches_a_home_page(demo, client: Client, role: str, email: str):
    response = client.post("/accounts/login/", {"email": email, "password": logins.DEMO_PASSWORD})

    assert response.status_code == 302, role
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert HOME_TEMPLATES & {t.name for t in home.templates}


def test_operator_logins_hold_their_roles(demo):
    expected = {
        logins.ADMIN: Role.OPERATOR_ADMIN,
        logins.SUPERVISOR: Role.SUPERVISOR,
        logins.DESK_AGENT: Role.DESK_AGENT,
        logins.TECHNICIAN: Role.TECHNICIAN,
    }
    for email, role in expected.items():
        (membership,) = Membership.objects.filter(user__email=email)
        assert (membership.role, membership.member_id) == (role, None)


def _acting(email: str) -> tuple[Member, Membership]:
    """The one member `email` acts for, and the membership."""
    membership = Membership.objects.select_related("member__commune").get(user__email=email)
    assert membership.member is not None
    return membership.member, membership


def test_versailles_logins_act_for_versailles(demo):
    agent = Member.objects.filter(memberships__user__email=logins.VERSAILLES_AGENT)
    assert set(agent.values_list("name", "memberships__role")) == {
        ("Versailles", Role.MEMBER_AGENT),
        ("CA Versailles Grand Parc (CAVGP)", Role.MEMBER_AGENT),
    }

    town, schools = _acting(logins.VERSAILLES_SCHOOLS)
    assert (town.name, schools.role) == ("Versailles", Role.SITE_CONTACT)
    assert schools.sites.count() == 3
    assert set(schools.sites.values_list("kind__code", "commune__name")) == {("ecole", "Versailles")}

    town, mayor = _acting(logins.VERSAILLES_MAYOR)
    assert (town.name, mayor.role, mayor.is_read_only) == ("Versailles", Role.ELECTED, True)

    college, principal = _acting(logins.VERSAILLES_PRINCIPAL)
    assert principal.role == Role.MEMBER_AGENT
    assert (college.kind, college.establishment_type) == (MemberKind.ESTABLISHMENT, "college")
    assert college.commune is not None
    assert college.commune.name == "Versailles"


def test_the_school_contact_sees_only_their_three_schools(demo, client: Client):
    client.post("/accounts/login/", {"email": logins.VERSAILLES_SCHOOLS, "password": logins.DEMO_PASSWORD})
    town, contact = _acting(logins.VERSAILLES_SCHOOLS)

    mairie = town.sites.get(kind__code="mairie")
    school = contact.sites.order_by("name")[0]
    assert client.get(f"/sites/{school.pk}/").status_code == 200
    assert client.get(f"/sites/{mairie.pk}/").status_code == 404
