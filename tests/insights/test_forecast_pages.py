"""The anticipation pages: computed by the job, read from what it stored; staff only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from mutualis.insights.forecast_batches import TASK, request_forecast, run_batch
from mutualis.insights.models import AssetRisk, BatchState, ForecastBatch, ForecastRun
from mutualis.jobs import Job, JobState, run_pending
from tests.conftest import Cast

from .test_asset_risk import make_fleet
from .test_forecast import make_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(cast: Cast) -> ForecastBatch:
    """Three years of tickets up to this week and a fleet, computed by the job."""
    make_tickets(cast, until=timezone.localdate())
    request_forecast(operator=cast.operator, by=cast.olivia)
    report = run_pending()
    assert report.ran == 1
    batch = ForecastBatch.objects.get(operator=cast.operator)
    assert batch.state == BatchState.DONE, batch.error
    return batch


def test_the_daily_job_computes_every_operator(cast: Cast) -> None:
    make_tickets(cast, until=timezone.localdate(), weeks=20)
    run_pending()  # the periodic task's schedule is created, first due in a day
    run_pending(now=timezone.now() + dt.timedelta(days=1, minutes=1))
    jobs = Job.objects.filter(name=TASK)
    assert {j.operator_id for j in jobs} == {cast.operator.pk, cast.other_operator.pk}
    assert all(j.state == JobState.DONE for j in jobs)
    batch = ForecastBatch.objects.get(operator=cast.operator)
    assert batch.state == BatchState.DONE
    assert batch.series_done == 3
    assert ForecastBatch.objects.get(operator=cast.other_operator).series_total == 0


def test_the_page_reads_the_stored_forecast(as_user, cast: Cast, computed: ForecastBatch) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.olivia).get("/insights/forecast/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tablettes" in html
    assert "Vidéoprotection" in html
    assert "<svg" in html  # the chart, with its band
    total = ForecastRun.objects.get(batch=computed, series_key="total")
    mae = total.backtest["mae"]
    assert f"{mae:.1f}".replace(".", ",") in html  # the past accuracy, in words and numbers
    tablets = ForecastRun.objects.get(batch=computed, label="Tablettes")
    response = as_user(cast.olivia).get(f"/insights/forecast/?series=category:{tablets.category_id}")
    assert response.context["chosen"] == tablets


def test_the_page_says_computing_while_the_job_waits(as_user, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.adam)
    assert "/insights/forecast/compute/" in client.get("/insights/forecast/").content.decode()
    response = client.post("/insights/forecast/compute/")
    assert response.status_code == 302
    batch = ForecastBatch.objects.get(operator=cast.operator)
    assert batch.state == BatchState.QUEUED
    assert batch.requested_by == cast.adam
    assert Job.objects.get(name=TASK).kwargs == {"batch_id": batch.pk}
    response = client.get("/insights/forecast/")
    assert response.context["pending"] == batch
    assert 'class="notice" role="status"' in response.content.decode()
    client.post("/insights/forecast/compute/")  # a second click queues nothing more
    assert ForecastBatch.objects.count() == 1
    run_pending()
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE
    response = client.get("/insights/forecast/")
    assert response.context["pending"] is None
    assert response.context["batch"] == batch
    assert 'class="notice" role="status"' not in response.content.decode()


def test_a_failed_computation_keeps_the_last_good_one(
    as_user, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    make_tickets(cast, until=timezone.localdate(), weeks=20)
    good = request_forecast(operator=cast.operator)
    run_batch(good.pk)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr("mutualis.insights.forecast_batches.forecast_run_fields", broken)
    bad = request_forecast(operator=cast.operator)
    with pytest.raises(RuntimeError):
        run_batch(bad.pk)
    bad.refresh_from_db()
    assert bad.state == BatchState.FAILED
    assert "boom" in bad.error
    assert as_user(cast.olivia).get("/insights/forecast/").context["batch"] == good


@pytest.mark.parametrize("table", ["summary", "weekly", "monthly", "backtest"])
def test_every_table_exports(as_user, cast: Cast, computed: ForecastBatch, table: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.olivia)
    response = client.get(f"/insights/forecast/?export=csv&table={table}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "Tablettes" in text
    response = client.get(f"/insights/forecast/?export=xlsx&table={table}")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet.max_row > 3
    assert client.get("/insights/forecast/?export=csv&table=secrets").status_code == 404
    # Two tables named at once are neither (the last one was exported, as if alone).
    assert client.get(f"/insights/forecast/?export=csv&table=secrets&table={table}").status_code == 404


def test_the_asset_list_ranks_explains_filters_and_exports(as_user, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    injected = make_fleet(cast)
    batch = request_forecast(operator=cast.operator)
    run_batch(batch.pk, now=dt.datetime(2025, 7, 9, 10, 0, tzinfo=dt.UTC))
    client = as_user(cast.olivia)
    response = client.get("/insights/forecast/assets/")
    assert response.status_code == 200
    first_risk, why = response.context["rows"][0]
    assert first_risk.asset_id == injected.pk
    assert any("Acme XYZ" in line for line in why)
    html = response.content.decode()
    assert f"/equipment/{injected.pk}/" in html
    assert response.context["page"].paginator.count == AssetRisk.objects.count() > 50
    # Filters: member B has one tablet (the cast's), the defective model's type all of them.
    filtered = client.get(f"/insights/forecast/assets/?member={cast.member_b.pk}")
    assert [risk.asset for risk, _why in filtered.context["rows"]] == [cast.asset_b]
    by_kind = client.get(
        f"/insights/forecast/assets/?site_kind={cast.site_a.kind_id}&asset_type={injected.asset_type_id}"
    )
    assert by_kind.context["page"].paginator.count == AssetRisk.objects.count()
    export = client.get("/insights/forecast/assets/?export=csv")
    lines = b"".join(export.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert lines[1].startswith("OLD-XYZ;")
    assert "Acme XYZ" in lines[1]
    xlsx = client.get(f"/insights/forecast/assets/?export=xlsx&member={cast.member_a.pk}")
    assert load_workbook(io.BytesIO(xlsx.getvalue())).active.cell(2, 1).value == "OLD-XYZ"


def test_members_and_other_operators_see_no_forecast(as_user, cast: Cast, computed: ForecastBatch) -> None:  # type: ignore[no-untyped-def]
    # Decision (docs/insights-method.md): forecasts are operator-level; member users are refused.
    for who in (cast.alice, cast.bob, cast.charlie):
        client = as_user(who)
        assert client.get("/insights/forecast/").status_code == 403
        assert client.get("/insights/forecast/assets/").status_code == 403
        assert client.get("/insights/forecast/?export=csv&table=weekly").status_code == 403
        assert client.post("/insights/forecast/compute/").status_code == 403
    # Another operator's staff see their own (none), never ours.
    client = as_user(cast.oscar)
    html = client.get("/insights/forecast/").content.decode()
    assert "Tablettes" not in html
    assert client.get("/insights/forecast/").context["batch"] is None
    text = b"".join(client.get("/insights/forecast/?export=csv&table=weekly").streaming_content).decode()  # type: ignore[attr-defined]
    assert "Tablettes" not in text
    assert ForecastBatch.objects.filter(operator=cast.other_operator).count() == 0


def test_anonymous_visitors_are_sent_to_login(client) -> None:  # type: ignore[no-untyped-def]
    for url in ("/insights/forecast/", "/insights/forecast/assets/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.post("/insights/forecast/compute/").status_code == 302


def test_the_summary_groups_thousands(as_user, cast: Cast, computed: ForecastBatch) -> None:  # type: ignore[no-untyped-def]
    """Large figures read as the rest of the page writes them: 32 498,1, not 32498,1."""
    total = ForecastRun.objects.get(batch=computed, series_key="total")
    total.monthly = [{**total.monthly[0], "mean": 32498.14}, *total.monthly[1:]]
    total.backtest = {**total.backtest, "mase": 0.87}
    total.save()
    html = as_user(cast.olivia).get("/insights/forecast/").content.decode()
    assert "32\xa0498,1" in html  # French groups thousands with a no-break space
    assert "32498,1" not in html
    assert ">0,87<" in html  # the precision each column gives is kept
