"""Failure rates per model: the exact intervals, the comparison with the fleet, exposure
from the status history, and the defective model injected into a realistic fleet."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from mutualis.insights.failure_rates import exposure_by_model, failure_rates, garwood, rate_ratio_test
from mutualis.people.models import Membership, User
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetStatusChange
from mutualis.servicedesk.models import Ticket, TicketState
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetModelFactory

from .recurring_data import DEFECTIVE_MODEL, Fleet, build_fleet

pytestmark = pytest.mark.django_db


def scope_of(user: User) -> Scope:
    return Scope.for_membership(Membership.objects.get(user=user))


def test_garwood_gives_the_published_exact_interval() -> None:
    # Poisson 95 % limits for 0 and 10 events (Garwood 1936; e.g. Ulm 1990, table 1).
    low, high = garwood(0, 100)
    assert low == 0
    assert high == pytest.approx(3.689, abs=1e-3)
    low, high = garwood(10, 100)
    assert (low, high) == (pytest.approx(4.795, abs=1e-3), pytest.approx(18.390, abs=1e-3))


def test_rate_ratio_test_is_significant_only_for_a_real_difference() -> None:
    p_same, (low, high) = rate_ratio_test(20, 10.0, 80, 40.0)
    assert p_same > 0.3
    assert low < 1 < high
    p_four, (low, high) = rate_ratio_test(40, 10.0, 40, 40.0)
    assert p_four < 1e-6
    assert 2 < low < 4 < high
    assert rate_ratio_test(0, 10.0, 0, 40.0)[0] == 1.0


@pytest.mark.parametrize(
    ("events", "years", "other_events", "other_years"),
    [
        (0, 5.0, 3, 40.0),
        (1, 2.5, 0, 10.0),
        (3, 10.0, 12, 30.0),
        (40, 10.0, 40, 40.0),
        (7, 1.0, 7, 1.0),
        (250, 80.0, 900, 400.0),
    ],
)
def test_the_closed_forms_agree_with_scipy_stats(
    events: int, years: float, other_events: int, other_years: float
) -> None:
    """garwood and rate_ratio_test compute in closed form what scipy.stats' χ² quantiles and
    binomtest (its p-value and exact interval) give, to many more digits than shown."""
    from scipy.stats import binomtest, chi2

    low, high = garwood(events, years)
    expected_low = 0.0 if events == 0 else chi2.ppf(0.025, 2 * events) / 2 * 100 / years
    assert (low, high) == (
        pytest.approx(expected_low, rel=1e-9),
        pytest.approx(chi2.ppf(0.975, 2 * events + 2) / 2 * 100 / years, rel=1e-9),
    )
    total = events + other_events
    share = years / (years + other_years)
    p_value, (ratio_low, ratio_high) = rate_ratio_test(events, years, other_events, other_years)
    assert p_value == pytest.approx(binomtest(events, total, share, alternative="greater").pvalue, rel=1e-9)
    ci = binomtest(events, total, share).proportion_ci(confidence_level=0.95, method="exact")
    odds = other_years / years
    assert ratio_low == pytest.approx(ci.low / (1 - ci.low) * odds, rel=1e-6, abs=1e-12)
    assert ratio_high == (
        math.inf if ci.high >= 1 else pytest.approx(ci.high / (1 - ci.high) * odds, rel=1e-6)
    )


def test_the_defective_model_is_flagged_and_ranked_first(cast: Cast) -> None:
    fleet = build_fleet(cast)
    scope = scope_of(cast.olivia)
    rates = failure_rates(
        Ticket.objects.visible_to(scope), Asset.objects.visible_to(scope), start=fleet.start, end=fleet.end
    )
    first = rates[0]
    assert first.model.name == DEFECTIVE_MODEL
    assert [r.model.name for r in rates if r.abnormal] == [DEFECTIVE_MODEL]  # no false alarm
    # The numbers are those the generator wrote.
    for r in rates:
        if r.model.asset_type_id == fleet.tablet.pk:
            assert r.assets == 80
            assert r.rate.events == fleet.events[r.model.name]
            assert r.rate.years == pytest.approx(fleet.exposure[r.model.name], abs=0.01)
    others = [name for name in fleet.exposure if name != DEFECTIVE_MODEL]
    assert first.fleet.events == sum(fleet.events[n] for n in others)
    assert first.fleet.years == pytest.approx(sum(fleet.exposure[n] for n in others), abs=0.05)
    # About 4 × the fleet, and the intervals say so: the true rates (100 and 25 per 100
    # tablets per year) are inside them, and the ratio's interval is well above 1.
    assert first.rate.interval[0] < 100 < first.rate.interval[1]
    assert first.fleet.interval[0] < 25 < first.fleet.interval[1]
    assert 3 < first.ratio < 5.5
    assert first.ratio_interval[0] > 2
    assert first.p_value < 1e-6
    # Projectors are compared with projectors only.
    projectors = [r for r in rates if r.model.asset_type.code == "projecteur"]
    assert len(projectors) == 2
    assert projectors[0].fleet.events == projectors[1].rate.events


def test_member_users_compare_their_own_fleet(cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    scope = scope_of(cast.charlie)
    with django_assert_max_num_queries(3):
        rates = failure_rates(
            Ticket.objects.visible_to(scope),
            Asset.objects.visible_to(scope),
            start=fleet.start,
            end=fleet.end,
        )
    # Member B has a quarter of the first two tablet models, nothing else.
    assert {r.model.name for r in rates} == {"Tab M10", "Galaxy Tab A9"}
    assert {r.assets for r in rates} == {20}
    at_b = Ticket.objects.filter(member=cast.member_b, assets__isnull=False).distinct().count()
    assert sum(r.rate.events for r in rates) == at_b
    assert not any(r.abnormal for r in rates)  # 20 tablets each: too little to judge, or fine


def test_exposure_is_the_time_in_service_within_the_period(cast: Cast) -> None:
    model = AssetModelFactory(name="Exposée")
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)  # 366 days

    def asset(tag: str, *lines: tuple[str, dt.date]) -> Asset:
        made = AssetFactory(site=cast.site_a, asset_type=model.asset_type, model=model, inventory_tag=tag)
        AssetStatusChange.objects.filter(asset=made).delete()
        for status, day in lines:
            at = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
            AssetStatusChange.objects.create(asset=made, to_status=status, changed_at=at)
            Asset.objects.filter(pk=made.pk).update(status=status, status_changed_at=at)
        return made

    # In service since before the period: the whole period (366 days).
    asset("E-1", (AssetStatus.IN_SERVICE, dt.date(2023, 6, 1)))
    # In stock, then in service on 1 July, retired on 1 October: 92 days.
    asset(
        "E-2",
        (AssetStatus.IN_STOCK, dt.date(2024, 3, 1)),
        (AssetStatus.IN_SERVICE, dt.date(2024, 7, 1)),
        (AssetStatus.RETIRED, dt.date(2024, 10, 1)),
    )
    # Never put in service: no exposure. Retired before the period: none either.
    asset("E-3", (AssetStatus.IN_STOCK, dt.date(2024, 2, 1)))
    asset("E-4", (AssetStatus.IN_SERVICE, dt.date(2020, 1, 1)), (AssetStatus.RETIRED, dt.date(2023, 1, 1)))
    found = exposure_by_model(Asset.objects.all(), start, end)
    n, years = found[model.pk]
    assert n == 2
    assert years * 365.25 == pytest.approx(366 + 92, abs=1e-6)


def test_duplicates_and_cancelled_tickets_are_not_failures(cast: Cast) -> None:
    fleet: Fleet = build_fleet(cast)
    scope = scope_of(cast.olivia)
    defective = AssetModel.objects.get(name=DEFECTIVE_MODEL)
    some = list(Ticket.objects.filter(assets__model=defective).order_by("pk")[:3])
    Ticket.objects.filter(pk=some[0].pk).update(state=TicketState.CANCELLED)
    Ticket.objects.filter(pk=some[1].pk).update(merged_into=some[2])
    rates = failure_rates(
        Ticket.objects.visible_to(scope), Asset.objects.visible_to(scope), start=fleet.start, end=fleet.end
    )
    assert next(r for r in rates if r.model == defective).rate.events == fleet.events[DEFECTIVE_MODEL] - 2
