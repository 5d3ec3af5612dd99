"""`mutualis demo_data` at a small scale: what it creates, that it obeys the registry's
rules, that it is reproducible, and that it leaves an existing demo alone."""

from __future__ import annotations

import itertools
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualis.demo.builder import DEMO_SLUG
from mutualis.demo.catalogue import ASSET_TYPES, SERVICES, SITE_KINDS
from mutualis.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from mutualis.demo.plan import NON_MEMBER_COMMUNES, demo_plan
from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.registry.models import (
    Asset,
    AssetStatusChange,
    Commune,
    Member,
    MemberKind,
    MemberService,
    Operator,
    Site,
)
from mutualis.registry.models.assets import ASSET_TRANSITIONS
from mutualis.registry.models.members import EstablishmentType
from mutualis.registry.opening_hours import validate_opening_hours

from .digest import demo_digest

pytestmark = pytest.mark.django_db

SMALL = ["--scale", "0.02", "--today", "2026-03-15"]
TAG = re.compile(r"^[A-Z]+-(78|92)-\d{6}$")


def run_demo(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("demo_data", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def demo() -> Operator:
    run_demo(*SMALL)
    return Operator.objects.get(slug=DEMO_SLUG)


def test_small_run_creates_every_kind_in_the_planned_counts(demo):
    members = Member.objects.filter(operator=demo)
    communes = members.filter(kind=MemberKind.COMMUNE).count()
    plan = demo_plan(0.02, commune_members=communes)

    assert (
        communes == Commune.objects.filter(departement__code__in=["78", "92"]).count() - NON_MEMBER_COMMUNES
    )
    assert set(members.values_list("kind", flat=True)) == set(MemberKind.values)
    assert set(members.exclude(establishment_type="").values_list("establishment_type", flat=True)) == {
        EstablishmentType.COLLEGE,
        EstablishmentType.SDIS,
        EstablishmentType.EHPAD,
        EstablishmentType.CCAS,
        EstablishmentType.HEALTH,
        EstablishmentType.OTHER,
    }
    assert members.filter(kind=MemberKind.EPCI).count() == 16
    sites = Site.objects.filter(operator=demo)
    assert {code: sites.filter(kind__code=code).count() for code, _name in SITE_KINDS} == plan.site_counts()
    assets = Asset.objects.filter(operator=demo)
    assert {spec.code: assets.filter(asset_type__code=spec.code).count() for spec in ASSET_TYPES} == (
        plan.asset_counts()
    )
    assert set(Membership.objects.filter(operator=demo).values_list("role", flat=True)) == set(Role.values)
    assert User.objects.filter(memberships__operator=demo).distinct().count() == plan.total_users
    services = MemberService.objects.filter(member__operator=demo)
    assert set(services.values_list("service__code", flat=True)) == {code for code, _n, _d in SERVICES}


def test_the_departements_have_their_real_sirens(demo):
    departements = dict(
        Member.objects.filter(operator=demo, kind=MemberKind.DEPARTEMENT).values_list(
            "departement__code", "siren"
        )
    )

    assert departements == {"78": "227806460", "92": "229200506"}


def test_members_and_sites_pass_the_registry_rules(demo):
    for member in Member.objects.filter(operator=demo).select_related("parent", "commune"):
        member.full_clean()
    for site in Site.objects.filter(operator=demo).select_related("member", "commune"):
        site.full_clean()
        assert site.commune in site.member.territory_communes()
        assert site.postal_code in site.commune.postal_codes
        validate_opening_hours(site.opening_hours)
        assert None not in (site.latitude, site.longitude, site.commune.latitude, site.commune.longitude)
        # Within about a kilometre of the town centre.
        assert abs(float(site.latitude or 0) - float(site.commune.latitude or 0)) < 0.01
        assert abs(float(site.longitude or 0) - float(site.commune.longitude or 0)) < 0.01
    colleges = Site.objects.filter(operator=demo, kind__code="college")
    assert all(re.fullmatch(r"0(78|92)\d{4}[A-Z]", code) for code in colleges.values_list("code", flat=True))


def test_assets_pass_the_registry_rules_with_unique_tags(demo):
    assets = Asset.objects.filter(operator=demo).select_related("site", "model", "asset_type", "parent__site")
    tags = list(assets.values_list("inventory_tag", flat=True))

    assert len(tags) == len(set(tags))
    assert all(TAG.match(tag) for tag in tags)
    for asset in assets:
        asset.full_clean()
        assert asset.operator_id == asset.site.operator_id
        assert asset.acquired_on is not None
        assert asset.warranty_ends_on is not None
        assert asset.acquired_on < asset.warranty_ends_on
    children = assets.exclude(parent=None)
    assert set(children.values_list("asset_type__code", flat=True)) == {"camera", "equipement-telemedecine"}
    assert set(children.values_list("parent__asset_type__code", flat=True)) == {
        "enregistreur",
        "cabine-telemedecine",
    }


def test_every_asset_has_a_history_that_follows_the_life_cycle(demo):
    assets = {a.pk: a for a in Asset.objects.filter(operator=demo)}
    histories: dict[int, list[AssetStatusChange]] = {}
    for change in AssetStatusChange.objects.filter(asset__operator=demo).order_by("changed_at", "id"):
        histories.setdefault(change.asset_id, []).append(change)

    assert set(histories) == set(assets)
    for pk, lines in histories.items():
        assert lines[0].from_status == ""
        for before, after in itertools.pairwise(lines):
            assert after.from_status == before.to_status
            assert after.to_status in ASSET_TRANSITIONS[before.to_status]
            assert after.changed_by is not None
        assert lines[-1].to_status == assets[pk].status
        assert lines[-1].changed_at == assets[pk].status_changed_at
    assert any(len(lines) > 1 for lines in histories.values())


def test_the_same_seed_and_day_give_the_same_data(demo):
    first = demo_digest(demo)

    run_demo(*SMALL, "--reset")
    again = demo_digest(Operator.objects.get(slug=DEMO_SLUG))
    run_demo(*SMALL, "--reset", "--seed", "7")
    other_seed = demo_digest(Operator.objects.get(slug=DEMO_SLUG))

    assert again == first
    assert other_seed != first


def test_running_again_without_reset_changes_nothing(demo):
    before = demo_digest(demo)
    counts = (Member.objects.count(), Site.objects.count(), Asset.objects.count(), User.objects.count())

    output = run_demo(*SMALL, "--seed", "99")

    assert "already exists; nothing changed" in output
    assert demo_digest(Operator.objects.get(slug=DEMO_SLUG)) == before
    assert (
        Member.objects.count(),
        Site.objects.count(),
        Asset.objects.count(),
        User.objects.count(),
    ) == counts


def test_reset_keeps_people_who_work_for_another_operator(demo):
    other = Operator.objects.create(name="Autre opérateur", slug="autre")
    shared = User.objects.get(email="technicien@mutualis.example")
    Membership.objects.create(user=shared, operator=other, role=Role.TECHNICIAN)

    run_demo(*SMALL, "--reset")

    assert Membership.objects.filter(user__email=shared.email, operator=other).exists()
    assert Operator.objects.filter(slug=DEMO_SLUG).count() == 1


def test_progress_and_summary_show_counts_and_logins():
    out, err = StringIO(), StringIO()
    call_command("demo_data", *SMALL, stdout=out, stderr=err)
    plan_total = demo_plan(0.02).total_assets

    assert re.search(rf"^Assets: {plan_total:,}/{plan_total:,} \(\d+\.\d s\)$", err.getvalue(), re.MULTILINE)
    assert re.search(r"^Members: \d+ \(\d+\.\d s\)$", err.getvalue(), re.MULTILINE)
    output = out.getvalue()
    assert "Demo data ready" in output
    # The registry's assets: the plan's fleet plus the data hub's sensors.
    assets = Asset.objects.filter(operator__slug=DEMO_SLUG).count()
    assert assets > plan_total
    assert f"Assets: {assets:,}" in output
    assert re.search(r"^Data hub: \d+ sensors in \d+ communes", err.getvalue(), re.MULTILINE)
    for _role, email in DEMO_LOGINS:
        assert email in output
    assert DEMO_PASSWORD in output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--today", "15/03/2026", "YYYY-MM-DD"),
        ("--today", "2019-12-31", "2021-01-01 or later"),
        ("--scale", "0", "above 0"),
        ("--scale", "lots", "not a number"),
    ],
)
def test_bad_options_are_refused_with_a_reason(option, value, message):
    with pytest.raises(CommandError, match=message):
        run_demo(option, value)
    assert not Operator.objects.filter(slug=DEMO_SLUG).exists()
