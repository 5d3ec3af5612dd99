"""Equipment likely to fail soon (insights.asset_risk): a fleet of tablets of two models, one
defective, with incidents over two years; an old defective tablet with repeated incidents
must come first, and its explanation must name why."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from mutualis.insights import asset_risk, forecast_texts
from mutualis.registry.models import Asset, AssetStatus, Site
from mutualis.servicedesk.models import Ticket, TicketState
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetModelFactory, AssetTypeFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 7, 9, 10, 0, tzinfo=dt.UTC)


def link_incidents(
    cast: Cast, site: Site, incidents: list[tuple[Asset, dt.datetime]], **extra: object
) -> None:
    """One ticket per (asset, date), linked to the asset: bulk created, links too."""
    kind = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.operator), name=f"Panne {len(incidents)}"
    )
    start = Ticket.objects.filter(operator=cast.operator).count()
    tickets = [
        Ticket(
            operator=cast.operator,
            number=start + i + 1,
            member=site.member,
            site=site,
            incident_type=kind,
            category=kind.category,
            title="Tablette en panne",
            created_at=at,
            updated_at=at,
            **extra,
        )
        for i, (_asset, at) in enumerate(incidents)
    ]
    Ticket.objects.bulk_create(tickets)
    tickets = list(Ticket.objects.filter(operator=cast.operator, number__gt=start).order_by("number"))
    link = Ticket.assets.through
    link.objects.bulk_create(
        [link(ticket_id=t.pk, asset_id=a.pk) for t, (a, _at) in zip(tickets, incidents, strict=True)]
    )


def make_fleet(cast: Cast, *, seed: int = 3) -> Asset:
    """40 good tablets and 12 of a defective model, of ages 0.5 to 5 years; their incidents
    over two years grow with age and are three times as frequent for the defective model.
    Returns the injected one: 7 years old, defective model, 4 incidents this year."""
    rng = np.random.default_rng(seed)
    tablet = AssetTypeFactory(code="tablette", expected_lifetime_months=48)
    good = AssetModelFactory(asset_type=tablet, manufacturer="Lenovo", name="Tab M10")
    bad = AssetModelFactory(asset_type=tablet, manufacturer="Acme", name="XYZ")
    site = cast.site_a
    incidents: list[tuple[Asset, dt.datetime]] = []
    today = NOW.date()
    for i in range(52):
        model = bad if i < 12 else good
        age = 0.5 + 4.5 * rng.random()
        acquired = today - dt.timedelta(days=int(age * 365))
        asset = AssetFactory(
            site=site, asset_type=tablet, model=model, acquired_on=acquired, inventory_tag=f"TAB-{i:03d}"
        )
        rate = 0.5 * (3 if model == bad else 1) * (1 + 0.4 * age)  # incidents per year
        for _n in range(rng.poisson(rate * min(age, 2))):
            days = int(rng.integers(1, int(min(age, 2) * 365)))
            incidents.append((asset, NOW - dt.timedelta(days=days)))
    injected = AssetFactory(
        site=site,
        asset_type=tablet,
        model=bad,
        acquired_on=today - dt.timedelta(days=7 * 365),
        inventory_tag="OLD-XYZ",
    )
    for days in (20, 110, 230, 300, 400, 600):
        incidents.append((injected, NOW - dt.timedelta(days=days)))
    # Neither a cancelled ticket nor a retired asset counts.
    retired = AssetFactory(
        site=site, asset_type=tablet, model=good, status=AssetStatus.RETIRED, inventory_tag="GONE"
    )
    link_incidents(cast, site, incidents)
    link_incidents(cast, site, [(retired, NOW - dt.timedelta(days=3))] * 1, state=TicketState.CANCELLED)
    return injected


def test_the_old_defective_tablet_with_repeated_incidents_comes_first(cast: Cast) -> None:
    injected = make_fleet(cast)
    model, scores = asset_risk.score_assets(cast.operator.pk, NOW)
    assert model.method == "poisson", model.notes
    # What the data were generated with: age and the defective model raise the risk.
    assert model.coefficients["age"] > 0
    assert model.coefficients["model"] > 0
    assert scores[0].asset_id == injected.pk
    assert scores[0].expected > 1.1 * scores[1].expected
    assert 0 < scores[0].probability < 1
    kinds = [f["kind"] for f in scores[0].factors]
    assert set(kinds) == {"age", "model", "past", "recent"}
    by_kind = {f["kind"]: f for f in scores[0].factors}
    assert by_kind["model"]["name"] == "Acme XYZ"
    assert by_kind["model"]["factor"] > 1
    assert by_kind["age"]["years"] == pytest.approx(7, abs=0.1)
    assert by_kind["age"]["factor"] > 1
    assert by_kind["past"]["count"] == 4
    assert by_kind["past"]["factor"] > 1
    assert by_kind["recent"]["days"] == 20
    text = " ".join(forecast_texts.explanation(scores[0].factors))
    assert "Acme XYZ" in text
    assert "×" in text
    assert "7" in text
    # Every in-service asset has a score; the retired one has none.
    assert len(scores) == Asset.objects.filter(status=AssetStatus.IN_SERVICE).count()
    assert scores == sorted(scores, key=lambda s: -s.expected)


def test_a_small_fleet_is_scored_by_its_model_rate_alone(cast: Cast) -> None:
    tablet = AssetTypeFactory(code="tablette")
    bad = AssetModelFactory(asset_type=tablet, manufacturer="Acme", name="XYZ")
    good = AssetModelFactory(asset_type=tablet, manufacturer="Lenovo", name="Tab M10")
    worse = AssetFactory(site=cast.site_a, asset_type=tablet, model=bad, acquired_on=dt.date(2022, 1, 1))
    other = AssetFactory(site=cast.site_a, asset_type=tablet, model=good, acquired_on=dt.date(2022, 1, 1))
    link_incidents(cast, cast.site_a, [(worse, NOW - dt.timedelta(days=d)) for d in (10, 50, 90, 300)])
    model, scores = asset_risk.score_assets(cast.operator.pk, NOW)
    assert model.method == "model_rate_only"
    assert "too_few" in model.notes
    ranked = [s.asset_id for s in scores]
    assert ranked.index(worse.pk) < ranked.index(other.pk)


def test_no_incidents_no_scores(cast: Cast) -> None:
    model, scores = asset_risk.score_assets(cast.operator.pk, NOW)
    assert scores == []
    assert "no_incidents" in model.notes


def test_shrinkage_pulls_a_small_models_rate_toward_its_type() -> None:
    rows = [
        asset_risk.AssetRow(
            id=i, asset_type_id=1, model_id=1 if i < 50 else 2, since=dt.date(2020, 1, 1), in_service=True
        )
        for i in range(52)
    ]
    counts = {50: 4}  # one of the two tablets of model 2 had 4 incidents in the year
    fleet, _types, models, sizes = asset_risk._rates(rows, counts, dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    raw = 4 / 2
    assert fleet < models[2] < raw
    assert sizes == {1: 50, 2: 2}
