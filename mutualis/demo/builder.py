"""The orchestrator: territory, reference lists, then members, sites, people and assets
of the demo operator, in one transaction; and the reset that removes them again."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mutualis.datahub import demo as hub_demo
from mutualis.insights import ticket_facts
from mutualis.people.models import Membership, User
from mutualis.registry.models import Asset, AssetStatusChange, Member, Operator, Site
from mutualis.registry.territory import import_territory

from .catalogue import ensure_reference
from .context import DEPARTEMENTS, DemoContext, Territory
from .desk_catalogue import build_catalogue
from .desk_satisfaction import build_ratings
from .desk_service_levels import build_service_levels
from .desk_tickets import DeskSummary, build_tickets, reset_desk, summarise_desk
from .fleet import build_assets
from .members import build_members
from .people import build_people
from .plan import NON_MEMBER_COMMUNES, demo_plan
from .progress import Progress
from .sites import build_sites

DEMO_SLUG = "demo"
OPERATOR = {
    "name": "Opérateur public numérique Yvelines – Hauts-de-Seine (démo)",
    "short_name": "OPN 78-92",
    "slug": DEMO_SLUG,
    "email": "contact@mutualis.example",
}


@dataclass
class DemoSummary:
    """What the demo operator holds, counted in the database (labels -> counts)."""

    members: dict[str, int]
    sites: dict[str, int]
    assets: dict[str, int]
    roles: dict[str, int]
    users: int
    status_changes: int
    desk: DeskSummary


def demo_operator() -> Operator | None:
    return Operator.objects.filter(slug=DEMO_SLUG).first()


def build_demo(
    *, seed: int, today: dt.date, scale: float, progress: Progress, replacing: Operator | None = None
) -> Operator:
    """Create the demo operator and everything it holds; the same seed and reference date
    give the same data. `replacing`, the previous demo operator, is removed in the same
    transaction: if the generation fails, the previous demo data is still there."""
    report = import_territory(list(DEPARTEMENTS), source=settings.TERRITORY_DATA_DIR)
    per = report.communes_per_departement
    where = ", ".join(f"{n} in {code}" for code, n in sorted(per.items()))
    progress.say(f"Territory: {sum(per.values())} communes ({where}); import: {report.communes}")
    with transaction.atomic():
        if replacing is not None:
            reset_demo(replacing, progress)
        reference = ensure_reference()
        operator = Operator.objects.create(**OPERATOR)
        territory = Territory.load()
        plan = demo_plan(scale, commune_members=len(territory.communes) - NON_MEMBER_COMMUNES)
        ctx = DemoContext(
            rng=random.Random(seed),
            today=today,
            plan=plan,
            operator=operator,
            territory=territory,
            reference=reference,
            progress=progress,
        )
        members = build_members(ctx)
        sites = build_sites(ctx, members)
        people = build_people(ctx, members, sites)
        build_assets(ctx, members, sites, people)
        build_catalogue(ctx, members, people)
        build_service_levels(ctx, members)
        build_tickets(ctx)
        build_ratings(ctx)
        # Written in bulk, not by the verbs: incidentology's copies of the tickets are made
        # again (insights.ticket_facts).
        ticket_facts.rebuild()
        # The data hub's sensors at the members' sites, with a month of history up to now
        # (or up to the reference date's noon, for a reproducible demo of another day).
        if today == timezone.localdate():
            hub_now = timezone.now()
        else:
            hub_now = dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_current_timezone())
        hub_demo.build(operator=operator, now=hub_now, progress=progress, scale=scale)
    return operator


@transaction.atomic
def reset_demo(operator: Operator, progress: Progress) -> None:
    """Delete the demo operator's members, sites, assets and people (and the operator).

    The service desk goes first: tickets hold on to members, sites, assets and people.
    Territory and reference lists stay: they are shared with every other operator. People
    who also hold a role at another operator keep their account.
    """
    reset_desk(operator)
    # The hub's tenants hold on to members, its entities to sites and assets.
    hub_demo.remove_hub_data(operator)
    elsewhere = Membership.objects.exclude(operator=operator).values("user_id")
    User.objects.filter(memberships__operator=operator).exclude(pk__in=elsewhere).distinct().delete()
    Membership.objects.filter(operator=operator).delete()
    AssetStatusChange.objects.filter(asset__operator=operator).delete()
    assets = Asset.objects.filter(operator=operator)
    # Parents and children go together; unlinking first spares the collector the updates.
    assets.exclude(parent=None).update(parent=None)
    assets.delete()
    Site.objects.filter(operator=operator).delete()
    members = Member.objects.filter(operator=operator)
    members.exclude(parent=None).update(parent=None)
    members.delete()
    operator.delete()
    progress.say("Removed the previous demo data")


def summarise(operator: Operator, today: dt.date) -> DemoSummary:
    """Counts of what the demo operator holds; tickets per 12-month period before `today`."""
    members = Member.objects.filter(operator=operator).order_by()
    member_rows = members.values("kind", "establishment_type").annotate(n=Count("id"))
    kinds = dict(Member._meta.get_field("kind").flatchoices)
    types = dict(Member._meta.get_field("establishment_type").flatchoices)
    member_counts = {
        str(types[row["establishment_type"]] if row["establishment_type"] else kinds[row["kind"]]): row["n"]
        for row in member_rows
    }
    sites = Site.objects.filter(operator=operator).order_by().values("kind__name").annotate(n=Count("id"))
    assets = (
        Asset.objects.filter(operator=operator).order_by().values("asset_type__name").annotate(n=Count("id"))
    )
    memberships = Membership.objects.filter(operator=operator).order_by()
    roles = dict(Membership._meta.get_field("role").flatchoices)
    return DemoSummary(
        members=_sorted(member_counts),
        sites=_sorted({row["kind__name"]: row["n"] for row in sites}),
        assets=_sorted({row["asset_type__name"]: row["n"] for row in assets}),
        roles=_sorted(
            {str(roles[row["role"]]): row["n"] for row in memberships.values("role").annotate(n=Count("id"))}
        ),
        users=User.objects.filter(memberships__operator=operator).distinct().count(),
        status_changes=AssetStatusChange.objects.filter(asset__operator=operator).count(),
        desk=summarise_desk(operator, today),
    )


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    """Largest first, then by name: a stable order for printing."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
