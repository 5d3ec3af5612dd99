import pytest

pytestmark = pytest.mark.django_db


def test_member_agent_sees_own_site_not_outsiders(cast, as_user):
    client = as_user(cast.alice)
    assert client.get(f"/sites/{cast.site_a.pk}/").status_code == 200
    assert client.get(f"/sites/{cast.site_b.pk}/").status_code == 404
