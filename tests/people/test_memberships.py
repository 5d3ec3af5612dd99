"""Several memberships: the switcher; roles decide what a person reaches."""

import pytest
from django.test import Client

from mutualis.people.models import Membership
from mutualis.people.roles import Role
from tests.conftest import Cast
from tests.factories import MemberFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_a_person_with_two_members_switches_between_them(cast: Cast, as_user) -> None:
    epci = MemberFactory(operator=cast.operator, epci_member=True, name="CA Versailles Grand Parc")
    epci_site = SiteFactory(member=epci, commune=cast.member_a.commune, name="Siège de la CA")
    second = MembershipFactory(user=cast.alice, member=epci, role=Role.MEMBER_AGENT)
    first = Membership.objects.get(user=cast.alice, member=cast.member_a)
    client = as_user(cast.alice)
    home = client.get("/").content.decode()
    assert 'id="acting-for"' in home

    assert client.post("/accounts/switch/", {"membership": first.pk}).status_code == 302
    assert client.get(f"/sites/{cast.site_a.pk}/").status_code == 200
    assert client.get(f"/sites/{epci_site.pk}/").status_code == 404

    assert client.post("/accounts/switch/", {"membership": second.pk}).status_code == 302
    assert client.get(f"/sites/{epci_site.pk}/").status_code == 200
    assert client.get(f"/sites/{cast.site_a.pk}/").status_code == 404  # now acting for the EPCI only
    assert "<h1>CA Versailles Grand Parc</h1>" in client.get("/").content.decode()


def test_switching_to_someone_elses_membership_is_a_404(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    foreign = Membership.objects.get(user=cast.charlie)
    assert client.post("/accounts/switch/", {"membership": foreign.pk}).status_code == 404
    assert client.post("/accounts/switch/", {"membership": "not-a-number"}).status_code == 404
    assert client.get(f"/sites/{cast.site_b.pk}/").status_code == 404


def test_inactive_membership_gives_no_access(cast: Cast, as_user) -> None:
    Membership.objects.filter(user=cast.alice).update(is_active=False)
    client = as_user(cast.alice)
    assert client.get(f"/sites/{cast.site_a.pk}/").status_code == 403


def test_site_contact_sees_only_their_sites(cast: Cast, as_user) -> None:
    other_site_of_a = SiteFactory(member=cast.member_a, name="École Lully")
    contact = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT)
    contact.sites.add(cast.site_a)
    client = as_user(contact.user)
    assert client.get(f"/sites/{cast.site_a.pk}/").status_code == 200
    assert client.get(f"/sites/{other_site_of_a.pk}/").status_code == 404
    assert client.get(f"/equipment/{cast.asset_a.pk}/").status_code == 200
    listing = client.get("/sites/").content.decode()
    assert "Mairie de Versailles" in listing
    assert "École Lully" not in listing


def test_membership_role_must_match_its_level(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=cast.alice, operator=cast.operator, member=None, role=Role.MEMBER_AGENT
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=cast.alice, operator=cast.operator, member=cast.member_b, role=Role.TECHNICIAN
        )


def test_language_switch_is_kept_on_the_account(cast: Cast, as_user) -> None:
    client: Client = as_user(cast.alice)
    response = client.post("/accounts/language/", {"language": "en", "next": "/sites/"})
    assert response.status_code == 302
    assert response["Location"] == "/sites/"
    cast.alice.refresh_from_db()
    assert cast.alice.language == "en"
    assert "Sites" in client.get("/sites/").content.decode()
    assert client.post("/accounts/language/", {"language": "xx"}).status_code == 302  # ignored, not an error
    cast.alice.refresh_from_db()
    assert cast.alice.language == "en"
