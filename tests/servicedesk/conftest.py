"""The service desk's cast, on top of the registry's (tests/conftest.py): a collège and a
fire station with their own catalogues, a team, technicians."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.registry.models import Asset, Site, SiteKind
from mutualis.servicedesk.models import FormFieldKind, IncidentType, Priority, Team
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetTypeFactory, MembershipFactory, SiteFactory, SiteKindFactory

from .factories import CategoryFactory, FormFieldFactory, IncidentTypeFactory, TeamFactory
from .service_levels import clock, levels  # noqa: F401 - fixtures of the service-level tests


@dataclass
class Desk:
    college_kind: SiteKind
    station_kind: SiteKind
    college: Site  # a site of member A (Versailles)
    station: Site  # a site of member A too: a fire station
    tablet: Asset  # at the collège
    other_tablet: Asset  # at another site of member A
    broken_screen: IncidentType  # offered to collèges, asks for a tablet
    camera_offline: IncidentType  # offered to fire stations
    team: Team
    tess: User  # technician of the operator, in the team


@pytest.fixture
def desk(cast: Cast) -> Desk:
    college_kind = SiteKindFactory(code="college", name="Collège")
    station_kind = SiteKindFactory(code="caserne", name="Caserne SDIS")
    college = SiteFactory(member=cast.member_a, kind=college_kind, name="Collège Hoche")
    station = SiteFactory(member=cast.member_a, kind=station_kind, name="Caserne de Versailles")
    tablet_type = AssetTypeFactory(code="tablette", name="Tablette")
    tablet = AssetFactory(site=college, asset_type=tablet_type, inventory_tag="TAB-0001")
    other_tablet = AssetFactory(site=cast.site_a, asset_type=tablet_type, inventory_tag="TAB-0002")
    team = TeamFactory(operator=cast.operator, name="Support tablettes", code="tablettes")
    tess = MembershipFactory(
        member=None, operator=cast.operator, role=Role.TECHNICIAN, user__email="tess@operator.example"
    ).user
    team.members.add(tess)
    tablets = CategoryFactory(operator=cast.operator, name="Tablette")
    video = CategoryFactory(operator=cast.operator, name="Vidéoprotection")
    broken_screen = IncidentTypeFactory(
        category=tablets,
        name="Écran cassé",
        keywords="vitre fissure",
        site_kinds=[college_kind],
        asset_type=tablet_type,
        asset_required=True,
        default_team=team,
        default_priority=Priority.NORMAL,
    )
    FormFieldFactory(
        incident_type=broken_screen,
        key="since",
        label="Depuis quand ?",
        kind=FormFieldKind.DATE,
        required=True,
    )
    FormFieldFactory(
        incident_type=broken_screen,
        key="usable",
        label="La tablette est-elle encore utilisable ?",
        kind=FormFieldKind.YES_NO,
        required=True,
    )
    FormFieldFactory(
        incident_type=broken_screen, key="tablet", label="Tablette", kind=FormFieldKind.ASSET, required=True
    )
    camera_offline = IncidentTypeFactory(
        category=video, name="Caméra hors ligne", site_kinds=[station_kind], default_priority=Priority.HIGH
    )
    return Desk(
        college_kind=college_kind,
        station_kind=station_kind,
        college=college,
        station=station,
        tablet=tablet,
        other_tablet=other_tablet,
        broken_screen=broken_screen,
        camera_offline=camera_offline,
        team=team,
        tess=tess,
    )


# Declarations racing each other (a double click) need the real PostgreSQL server, each
# thread with its own connection: test_*_postgres.py are collected only when the suite runs
# on PostgreSQL (as tests/jobs and tests/servicedesk/mail do).
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
collect_ignore_glob = [] if ON_POSTGRES else ["test_*_postgres.py"]
