"""Alert rules in the back-office: operator admins edit them, desk agents read them,
members never reach them, another operator never sees them; refusals say what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.models import AlertRule
from mutualis.datahub.models.alerts import Comparison, RuleKind
from mutualis.datahub.services import SITE_IRI, SITE_URN
from mutualis.servicedesk.models import IncidentType
from tests.datahub.conftest import Hub
from tests.factories import SiteFactory, SiteKindFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

LEVEL = sdm.FLOOD_MONITORING.attribute("currentLevel").iri
PAGE = "/backoffice/datahub/alertrule/"


def _flood_type(hub: Hub, **kwargs: Any) -> IncidentType:
    category = CategoryFactory(operator=hub.cast.operator, name="Réseaux")
    return IncidentTypeFactory(category=category, name="Crue", **kwargs)


def _rule(hub: Hub, incident_type: IncidentType, **fields: Any) -> AlertRule:
    defaults: dict[str, Any] = {
        "operator": hub.cast.operator,
        "name": "Crue de la Seine",
        "entity_type": sdm.FLOOD_MONITORING.iri,
        "attribute": LEVEL,
        "kind": RuleKind.THRESHOLD,
        "comparison": Comparison.ABOVE,
        "threshold": 2.0,
        "incident_type": incident_type,
    }
    return AlertRule(**{**defaults, **fields})


def _form(hub: Hub, incident_type: IncidentType, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "operator": hub.cast.operator.pk,
        "name": "Crue de la Seine",
        "is_active": "on",
        "entity_type": sdm.FLOOD_MONITORING.iri,
        "attribute": LEVEL,
        "kind": RuleKind.THRESHOLD,
        "comparison": Comparison.ABOVE,
        "threshold": "2",
        "clear_value": "1.5",
        "recovery_minutes": "15",
        "aggregation": "latest",
        "for_minutes": "10",
        "state_values": "",
        "silence_minutes": "",
        "incident_type": incident_type.pk,
        "priority": "",
    }
    return {**data, **fields}


def test_an_operator_admin_creates_a_rule(hub: Hub, as_user) -> None:
    incident_type = _flood_type(hub)
    client = as_user(hub.cast.adam)
    assert client.get(f"{PAGE}add/").status_code == 200
    response = client.post(f"{PAGE}add/", _form(hub, incident_type))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = AlertRule.objects.get()
    assert (rule.operator, rule.threshold, rule.clear_value) == (hub.cast.operator, 2.0, 1.5)


def test_a_return_to_normal_on_the_wrong_side_is_refused_with_a_reason(hub: Hub, as_user) -> None:
    incident_type = _flood_type(hub)
    client = as_user(hub.cast.adam)
    response = client.post(f"{PAGE}add/", _form(hub, incident_type, clear_value="2.5"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "2.0" in errors["clear_value"][0]
    assert "2.5" in errors["clear_value"][0]
    assert not AlertRule.objects.exists()


def test_an_incident_type_not_offered_to_the_sensors_sites_is_refused(hub: Hub) -> None:
    offered_kind = SiteKindFactory(code="voirie", name="Voirie")
    incident_type = _flood_type(hub, site_kinds=[offered_kind])
    school = SiteFactory(
        member=hub.cast.member_a, kind=SiteKindFactory(code="ecole", name="École"), name="École Hoche"
    )
    services.create_entity(
        tenant=hub.tenant_a,
        entity={
            "id": "urn:ngsi-ld:FloodMonitoring:ecole",
            "type": [sdm.FLOOD_MONITORING.iri],
            "attrs": {SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{school.pk}"}]},
        },
    )
    with pytest.raises(ValidationError) as refused:
        _rule(hub, incident_type).full_clean()
    [message] = refused.value.message_dict["incident_type"]
    assert "École Hoche" in message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"attribute": sdm.STATUS_IRI}, "attribute"),  # not an attribute of FloodMonitoring
        ({"entity_type": "https://example.org/Thing"}, "entity_type"),
        ({"threshold": None}, "threshold"),
        (
            {
                "entity_type": sdm.STREETLIGHT.iri,
                "attribute": sdm.STATUS_IRI,
                "kind": RuleKind.STATE,
                "state_values": "broken",
            },
            "state_values",
        ),
        ({"kind": RuleKind.SILENCE, "silence_minutes": None}, "silence_minutes"),
    ],
)
def test_unusable_rules_name_the_field_to_fix(hub: Hub, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _rule(hub, _flood_type(hub), **fields).full_clean()
    assert field in refused.value.message_dict


def test_a_desk_agent_reads_the_rules_but_cannot_change_them(hub: Hub, as_user) -> None:
    rule = _rule(hub, _flood_type(hub))
    rule.save()
    client = as_user(hub.cast.olivia)
    assert "Crue de la Seine" in client.get(PAGE).content.decode()
    page = client.get(f"{PAGE}{rule.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(f"{PAGE}add/").status_code == 403
    client.post(f"{PAGE}{rule.pk}/change/", _form(hub, rule.incident_type, threshold="9"))
    rule.refresh_from_db()
    assert rule.threshold == 2.0


def test_member_users_never_reach_the_rules(hub: Hub, as_user) -> None:
    rule = _rule(hub, _flood_type(hub))
    rule.save()
    for user in (hub.cast.alice, hub.cast.bob):
        client = as_user(user)
        response = client.get(PAGE)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
        assert client.get(f"{PAGE}{rule.pk}/change/").status_code == 302


def test_another_operators_admin_does_not_see_the_rules(hub: Hub, as_user) -> None:
    rule = _rule(hub, _flood_type(hub))
    rule.save()
    client = as_user(hub.cast.oscar)
    assert "Crue de la Seine" not in client.get(PAGE).content.decode()
    response = client.get(f"{PAGE}{rule.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "Crue de la Seine" not in response.content.decode()
    client.post(f"{PAGE}{rule.pk}/delete/", {"post": "yes"})
    assert AlertRule.objects.filter(pk=rule.pk).exists()
