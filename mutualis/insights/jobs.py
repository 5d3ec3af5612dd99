"""Incidentology's background tasks, imported by every process (see mutualis.jobs)."""

from datetime import timedelta

from mutualis.jobs import periodic, task
from mutualis.registry.models import Operator

from . import forecast_batches
from .models import GeneratedReport
from .reports import delivery, generation


@periodic("insights.forecast", every=timedelta(days=1))
@task("insights.forecast", max_attempts=3)
def forecast_every_operator() -> None:
    """Daily: queue each operator's forecast computation as its own job (with its
    operator_id), so that an operator's admins see their own job's failures."""
    for operator in Operator.objects.order_by("pk"):
        forecast_batches.request_forecast(operator=operator)


@task(forecast_batches.TASK, max_attempts=2, retry_delay=timedelta(minutes=5))
def forecast_operator(*, batch_id: int) -> None:
    """Forecasts, backtests and asset risk scores of one operator (a minute at most)."""
    forecast_batches.run_batch(batch_id)


# Reports (insights.reports): built on demand or by the daily schedule, then emailed.
@periodic(delivery.SCHEDULED_REPORTS, every=timedelta(days=1))
@task(delivery.SCHEDULED_REPORTS, max_attempts=3)
def scheduled_reports(*, day: str | None = None) -> None:
    """Daily: in the first days of a month, last month's member reports (members with an
    active subscriber) and in January the operator's yearly report, each emailed once."""
    delivery.scheduled_run(delivery.occurrence_day(day))


@task(generation.GENERATE_REPORT, max_attempts=3, retry_delay=timedelta(minutes=1))
def generate_report(*, report_id: int, deliver: bool = False) -> None:
    """Build one report's PDF (replacing the previous version); with `deliver`, email it to
    its subscribers afterwards. A report already built after its period ended is only sent."""
    report = GeneratedReport.objects.select_related("member", "operator").filter(pk=report_id).first()
    if report is None:
        return  # deleted with its member
    if not (deliver and generation.is_complete(report)):
        generation.build(report)
    if deliver:
        delivery.deliver(report)


# With the queue's 30 s doubled each time, 8 attempts span about two hours: a relay's
# restart or a short outage, not a lost report (as servicedesk.send_email).
@task(delivery.SEND_REPORT, max_attempts=8)
def send_report(*, delivery_id: int) -> None:
    """Email one report to one subscriber, once (ReportDelivery.sent_at)."""
    delivery.send(delivery_id)
