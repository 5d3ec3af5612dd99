"""The forecast of weekly volumes (insights.forecast, insights.forecast_batches) on generated
tickets: three years with a rentrée surge, school-holiday dips, a weekly pattern and noise."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.utils import timezone

from mutualis.insights import forecast
from mutualis.insights.forecast_batches import request_forecast, run_batch, weekly_counts
from mutualis.insights.models import BatchState, ForecastBatch, ForecastRun
from mutualis.insights.school_calendar import monday, rentree, week_facts
from mutualis.registry.models import Site
from mutualis.servicedesk.models import Category, Ticket
from tests.conftest import Cast
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

# Tickets declared on each weekday, Monday first: a desk's week.
WEEKDAY_WEIGHTS = (1.4, 1.1, 1.0, 1.0, 1.0, 0.3, 0.2)


def school_rate(start: dt.date, origin: dt.date) -> float:
    """Tablets at collèges: few in holidays, many at the rentrée, growing 20 % a year."""
    facts = week_facts(start, "C")
    growth = 1 + 0.2 * (start - origin).days / 365.25
    return 9 * growth * (0.25 + 0.75 * facts.school_share) * (1 + 1.6 * facts.rentree)


def flat_rate(start: dt.date, origin: dt.date) -> float:
    """Video protection: no school effect, a mild winter peak."""
    angle = 2 * math.pi * (start.timetuple().tm_yday / 365.25)
    return 4 * (1 + 0.25 * math.cos(angle))


def make_tickets(
    cast: Cast, *, until: dt.date, weeks: int = 156, seed: int = 7, site: Site | None = None
) -> dict[str, Category]:
    """Weekly volumes as above, spread over the days of each week, bulk created."""
    rng = np.random.default_rng(seed)
    operator, site = cast.operator, site or cast.site_a
    tablets = CategoryFactory(operator=operator, name="Tablettes", position=1)
    screens = CategoryFactory(operator=operator, name="Écran", parent=tablets)
    video = CategoryFactory(operator=operator, name="Vidéoprotection", position=2)
    types = {
        "screens": IncidentTypeFactory(category=screens, name="Écran cassé"),
        "video": IncidentTypeFactory(category=video, name="Caméra hors ligne"),
    }
    end = monday(until)
    origin = end - weeks * forecast.WEEK
    tz = timezone.get_current_timezone()
    tickets, number = [], Ticket.objects.filter(operator=operator).count()
    for w in range(weeks):
        start = origin + w * forecast.WEEK
        for key, rate in (("screens", school_rate), ("video", flat_rate)):
            count = rng.poisson(rate(start, origin))
            days = rng.choice(7, size=count, p=np.array(WEEKDAY_WEIGHTS) / sum(WEEKDAY_WEIGHTS))
            for day in days:
                number += 1
                kind = types[key]
                at = dt.datetime.combine(
                    start + dt.timedelta(days=int(day)), dt.time(9 + number % 8), tzinfo=tz
                )
                tickets.append(
                    Ticket(
                        operator=operator,
                        number=number,
                        member=site.member,
                        site=site,
                        incident_type=kind,
                        category=kind.category,
                        title=f"Demande {number}",
                        created_at=at,
                        updated_at=at,
                    )
                )
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    return {"tablets": tablets, "video": video}


# A fixed "today" early in July: the next months run from August to January.
TODAY = dt.datetime(2025, 7, 9, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def computed(cast: Cast) -> ForecastBatch:
    make_tickets(cast, until=TODAY.date())
    batch = request_forecast(operator=cast.operator)
    run_batch(batch.pk, now=TODAY)
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE, batch.error
    return batch


def _run(batch: ForecastBatch, label: str) -> ForecastRun:
    if label == "All tickets":
        return ForecastRun.objects.get(batch=batch, series_key="total")
    return ForecastRun.objects.get(batch=batch, label=label)


def test_weekly_counts_group_by_top_level_category(cast: Cast) -> None:
    categories = make_tickets(cast, until=TODAY.date(), weeks=20)
    first_week = monday(TODAY.date())
    weeks, series = weekly_counts(cast.operator.pk, first_week=first_week)
    assert weeks[-1] == first_week - forecast.WEEK
    assert len(weeks) == 20
    by_key = {s.key: s for s in series}
    # "Écran" is inside "Tablettes": its tickets count for the top-level category.
    assert set(by_key) == {
        "total",
        f"category:{categories['tablets'].pk}",
        f"category:{categories['video'].pk}",
    }
    assert by_key["total"].counts.sum() == Ticket.objects.count()
    assert by_key[f"category:{categories['tablets'].pk}"].label == "Tablettes"


def test_school_calendar_of_zone_c() -> None:
    assert rentree("C", 2025) == dt.date(2025, 9, 1)
    assert week_facts(dt.date(2025, 8, 4), "C").school_share == 0
    assert week_facts(dt.date(2025, 9, 1), "C").rentree == 1
    assert week_facts(dt.date(2025, 10, 6), "C").school_share == 1
    # 14 July 2025 is a Monday: a public holiday, in the summer holidays.
    assert week_facts(dt.date(2025, 7, 14), "C").public_holidays == 1


def test_the_forecast_beats_the_naive_seasonal_forecast(computed: ForecastBatch) -> None:
    for label in ("Tablettes", "All tickets"):
        summary = _run(computed, label).backtest
        assert summary["naive"] == "seasonal"
        assert summary["origins"] == forecast.BACKTEST_WEEKS
        assert summary["mae"] < summary["mae_naive"], (label, summary["mae"], summary["mae_naive"])
        assert summary["mase"] < summary["mase_naive"]
        # The intervals hold the truth most of the time (loosely: 95 % → at least 80 %).
        assert summary["coverage95"] >= 0.8
        assert summary["coverage80"] >= 0.6
        assert len(summary["rows"]) == summary["points"]


def test_the_rentree_is_forecast_above_august(computed: ForecastBatch) -> None:
    run = _run(computed, "Tablettes")
    assert run.method == forecast.SEASONAL
    assert run.notes == []
    months = {m["month"]: m for m in run.monthly}
    assert list(months)[:2] == ["2025-08-01", "2025-09-01"]
    assert months["2025-09-01"]["mean"] > 2 * months["2025-08-01"]["mean"]
    for month in run.monthly:
        assert month["lo95"] <= month["lo80"] <= month["mean"] <= month["hi80"] <= month["hi95"]
        assert month["last_year"] is not None
    weeks = run.weekly
    assert len(weeks) == 12
    assert weeks[0]["week"] == "2025-07-07"
    # The week of the rentrée is the busiest of the coming weeks (1 September 2025).
    assert max(weeks, key=lambda w: w["mean"])["week"] in ("2025-09-01", "2025-09-08")


def test_every_series_is_stored_with_progress(computed: ForecastBatch) -> None:
    assert computed.series_total == computed.series_done == 3
    assert computed.school_zone == "C"
    assert computed.first_week == dt.date(2025, 7, 7)
    labels = list(ForecastRun.objects.filter(batch=computed).values_list("label", flat=True))
    assert labels == ["", "Tablettes", "Vidéoprotection"]
    video = _run(computed, "Vidéoprotection")
    assert video.coefficients["school_share"] == pytest.approx(0, abs=0.5)


def test_a_short_history_falls_back_and_says_so(cast: Cast) -> None:
    make_tickets(cast, until=TODAY.date(), weeks=30)
    batch = request_forecast(operator=cast.operator)
    run_batch(batch.pk, now=TODAY)
    run = _run(batch, "Tablettes")
    assert run.method == forecast.SIMPLE
    assert forecast.NOTE_SHORT_HISTORY in run.notes
    assert run.backtest["naive"] == forecast.RECENT_MEAN
    assert all(w["hi95"] >= w["mean"] for w in run.weekly)


def test_a_fit_that_does_not_converge_falls_back_to_the_recent_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_converged(y, x):  # type: ignore[no-untyped-def]
        raise forecast.NotConvergedError(["ConvergenceWarning: did not converge"])

    monkeypatch.setattr(forecast, "_fit_glm", not_converged)
    starts = [dt.date(2024, 1, 1) + i * forecast.WEEK for i in range(20)]
    y = np.array([5.0, 7, 6, 4, 5, 6, 8, 5, 6, 7, 5, 6, 4, 6, 7, 5, 6, 5, 7, 6])
    result = forecast.forecast_series(starts, y, [dt.date(2024, 5, 20)], zone="C")
    assert result.method == forecast.RECENT_MEAN
    assert forecast.NOTE_NOT_CONVERGED in result.notes
    assert result.mean[0] == pytest.approx(y[-8:].mean())


def test_too_little_history_gives_no_forecast() -> None:
    starts = [dt.date(2024, 1, 1) + i * forecast.WEEK for i in range(5)]
    result = forecast.forecast_series(starts, np.ones(5), [dt.date(2024, 2, 5)], zone="C")
    assert result.method == forecast.NONE
    assert result.notes == [forecast.NOTE_TOO_SHORT]


def test_asking_twice_queues_one_computation(cast: Cast) -> None:
    first = request_forecast(operator=cast.operator, by=cast.olivia)
    assert request_forecast(operator=cast.operator, by=cast.adam) == first
    run_batch(first.pk, now=TODAY)
    first.refresh_from_db()
    assert first.state == BatchState.DONE
    assert first.series_total == 0
    run_batch(first.pk, now=TODAY)  # a job run twice: nothing more
    assert request_forecast(operator=cast.operator) != first
