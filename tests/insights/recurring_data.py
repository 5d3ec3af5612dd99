"""A fleet with a realistic background and injected patterns, for the recurring-failure and
failure-rate analyses (issue 5: "on generated data with injected patterns — a defective
tablet model, a site with a recurring network fault — the analyses must find each one").

Background (seeded, so every run builds the same data): 16 collèges of member A and 8 of
member B, 480 tablets of six models (two of them also at B), 40 projectors of two models;
tablet incidents at a base rate of BASE_RATE per tablet-year, network incidents at
NETWORK_RATE per site-year, each on a random day of the period.

Injected:
1. DEFECTIVE_MODEL fails at 4 × the base rate;
2. the site NETWORK_SITE (member A) has a network fault every 21 days all year, alternating
   between "Wi-Fi en panne" and "Accès internet coupé" (same category, not the same type);
3. the tablet SCREEN_TAG (member A) breaks its screen four times in 80 days.

Everything is written with bulk_create: a few hundred rows, well under a second.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetStatusChange, AssetType, Site
from mutualis.servicedesk.models import Category, IncidentType, Ticket, TicketState
from tests.conftest import Cast
from tests.factories import SiteFactory, SiteKindFactory

SEED = 20240905
PERIOD_DAYS = 365
BASE_RATE = 0.25  # tablet incidents per tablet-year
DEFECT_FACTOR = 4
NETWORK_RATE = 1.5  # network incidents per site-year
DEFECTIVE_MODEL = "Tab Fragile 10"
TABLET_MODELS = ["Tab M10", "Galaxy Tab A9", "iPad 10", "Tab P11", "Tab Robuste 8", DEFECTIVE_MODEL]
NETWORK_SITE = "Collège des Pannes Réseau"
SCREEN_TAG = "TAB-ECRAN-0001"
FAULT_EVERY_DAYS = 21


@dataclass
class Fleet:
    """What was generated, for the tests to check the analyses' numbers against."""

    start: dt.date
    end: dt.date
    tablet: AssetType
    models: dict[str, AssetModel]
    network_site: Site
    screen_asset: Asset
    network: Category
    tablet_category: Category
    types: dict[str, IncidentType]
    # Per model name: asset-years in service within the period, and incidents on them.
    exposure: dict[str, float] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    network_faults: int = 0
    sites_a: list[Site] = field(default_factory=list)


class _Numbers:
    def __init__(self, operator_id: int) -> None:
        last = Ticket.objects.filter(operator_id=operator_id).order_by("-number").first()
        self.next = (last.number if last else 0) + 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def build_fleet(cast: Cast, *, seed: int = SEED) -> Fleet:
    rng = random.Random(seed)
    now = timezone.now()
    end = timezone.localdate()
    start = end - dt.timedelta(days=PERIOD_DAYS - 1)
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    finish = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    operator = cast.operator
    college = SiteKindFactory(code="college", name="Collège")
    sites_a = [SiteFactory(member=cast.member_a, kind=college, name=f"Collège A{i:02d}") for i in range(15)]
    network_site = SiteFactory(member=cast.member_a, kind=college, name=NETWORK_SITE)
    sites_a.append(network_site)
    sites_b = [SiteFactory(member=cast.member_b, kind=college, name=f"Collège B{i:02d}") for i in range(8)]

    tablet, _ = AssetType.objects.get_or_create(code="tablette", defaults={"name": "Tablette"})
    projector, _ = AssetType.objects.get_or_create(code="projecteur", defaults={"name": "Projecteur"})
    models = {
        name: AssetModel.objects.get_or_create(asset_type=tablet, manufacturer="Fabricant", name=name)[0]
        for name in TABLET_MODELS
    }
    projectors = [
        AssetModel.objects.get_or_create(asset_type=projector, manufacturer="Epson", name=name)[0]
        for name in ("EB-735", "EB-770")
    ]

    tablette = Category.objects.create(operator=operator, name="Tablette")
    network = Category.objects.create(operator=operator, name="Réseau")
    video = Category.objects.create(operator=operator, name="Vidéoprojection")
    types = {
        name: IncidentType.objects.create(operator=operator, category=category, name=name)
        for name, category in [
            ("Écran cassé", tablette),
            ("Batterie", tablette),
            ("Ne démarre pas", tablette),
            ("Wi-Fi en panne", network),
            ("Accès internet coupé", network),
            ("Lampe", video),
        ]
    }

    # The fleet: 80 tablets per model, the first two models also at member B; most in
    # service before the period, some put in service during it, a few retired during it.
    assets: list[Asset] = []
    spans: list[tuple[dt.datetime, dt.datetime | None]] = []
    tag = 0
    for name in TABLET_MODELS:
        for i in range(80):
            at_b = name in TABLET_MODELS[:2] and i % 4 == 3  # the first tablet (SCREEN_TAG) is at A
            site = rng.choice(sites_b if at_b else sites_a)
            tag += 1
            assets.append(
                Asset(
                    operator_id=operator.pk,
                    site=site,
                    asset_type=tablet,
                    model=models[name],
                    inventory_tag=SCREEN_TAG if tag == 1 else f"TAB-{tag:05d}",
                )
            )
    for i in range(40):
        tag += 1
        assets.append(
            Asset(
                operator_id=operator.pk,
                site=rng.choice(sites_a),
                asset_type=projector,
                model=projectors[i % 2],
                inventory_tag=f"VP-{tag:05d}",
            )
        )
    for asset in assets:
        entered = begin + dt.timedelta(days=rng.randint(-400, 120), hours=rng.randint(8, 17))
        left = begin + dt.timedelta(days=rng.randint(150, 360)) if rng.random() < 0.05 else None
        asset.status = AssetStatus.RETIRED if left else AssetStatus.IN_SERVICE
        asset.status_changed_at = left or entered
        asset.acquired_on = (entered - dt.timedelta(days=10)).date()
        spans.append((entered, left))
    Asset.objects.bulk_create(assets)
    history = []
    for asset, (entered, left) in zip(assets, spans, strict=True):
        history.append(
            AssetStatusChange(
                asset=asset,
                from_status="",
                to_status=AssetStatus.IN_STOCK,
                changed_at=entered - dt.timedelta(days=5),
            )
        )
        history.append(
            AssetStatusChange(
                asset=asset,
                from_status=AssetStatus.IN_STOCK,
                to_status=AssetStatus.IN_SERVICE,
                changed_at=entered,
            )
        )
        if left:
            history.append(
                AssetStatusChange(
                    asset=asset,
                    from_status=AssetStatus.IN_SERVICE,
                    to_status=AssetStatus.RETIRED,
                    changed_at=left,
                )
            )
    AssetStatusChange.objects.bulk_create(history)

    fleet = Fleet(
        start=start,
        end=end,
        tablet=tablet,
        models=models,
        network_site=network_site,
        screen_asset=assets[0],
        network=network,
        tablet_category=tablette,
        types=types,
        sites_a=sites_a,
    )
    numbers = _Numbers(operator.pk)
    tickets: list[Ticket] = []
    links: list[tuple[int, Asset]] = []  # (index in tickets, asset)

    def ticket(site: Site, kind: IncidentType, at: dt.datetime) -> int:
        tickets.append(
            Ticket(
                operator_id=operator.pk,
                number=numbers.take(),
                member_id=site.member_id,
                site=site,
                incident_type=kind,
                category_id=kind.category_id,
                title=kind.name,
                state=TicketState.RESOLVED if at < now - dt.timedelta(days=7) else TicketState.NEW,
                created_at=at,
                updated_at=at,
            )
        )
        return len(tickets) - 1

    def random_moment(low: dt.datetime, high: dt.datetime) -> dt.datetime:
        seconds = int((high - low).total_seconds())
        return low + dt.timedelta(seconds=rng.randint(0, max(0, seconds - 1)))

    tablet_kinds = [types["Écran cassé"], types["Batterie"], types["Ne démarre pas"]]
    for asset, (entered, left) in zip(assets, spans, strict=True):
        low, high = max(entered, begin), min(left or finish, finish, now)
        if high <= low:
            continue
        # The exposure as the analysis counts it: to the end of the period's last day.
        years = (min(left or finish, finish) - low) / dt.timedelta(days=365.25)
        name = asset.model.name if asset.model else ""
        if asset.asset_type_id == tablet.pk:
            fleet.exposure[name] = fleet.exposure.get(name, 0.0) + years
            rate = BASE_RATE * (DEFECT_FACTOR if name == DEFECTIVE_MODEL else 1)
            kinds = tablet_kinds
        else:
            rate, kinds = BASE_RATE, [types["Lampe"]]
        for _i in range(_poisson(rng, rate * (high - low) / dt.timedelta(days=365.25))):
            links.append((ticket(asset.site, rng.choice(kinds), random_moment(low, high)), asset))
            if asset.asset_type_id == tablet.pk:
                fleet.events[name] = fleet.events.get(name, 0) + 1

    # The screen that keeps breaking: four times in 80 days, the last a month ago.
    screen = assets[0]
    for days_ago in (110, 85, 60, 30):
        links.append((ticket(screen.site, types["Écran cassé"], now - dt.timedelta(days=days_ago)), screen))
        fleet.events[screen.model.name] += 1  # type: ignore[union-attr]

    network_kinds = [types["Wi-Fi en panne"], types["Accès internet coupé"]]
    for site in sites_a + sites_b:
        if site == network_site:
            continue
        for _i in range(_poisson(rng, NETWORK_RATE)):
            ticket(site, rng.choice(network_kinds), random_moment(begin, now))
    at = begin + dt.timedelta(days=3, hours=9)
    while at < now:
        ticket(network_site, network_kinds[fleet.network_faults % 2], at)
        fleet.network_faults += 1
        at += dt.timedelta(days=FAULT_EVERY_DAYS)

    Ticket.objects.bulk_create(tickets)
    through = Ticket.assets.through
    through.objects.bulk_create(
        [through(ticket_id=tickets[index].pk, asset_id=asset.pk) for index, asset in links]
    )
    return fleet


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's product of uniforms (small means only)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
