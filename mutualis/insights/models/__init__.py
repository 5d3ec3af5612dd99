"""Incidentology's own tables (issue 5); the figures read the service desk's, or their
narrow copies (TicketFact)."""

from .forecasts import AssetRisk, BatchState, ForecastBatch, ForecastRun
from .reports import GeneratedReport, ReportDelivery, ReportKind, ReportStatus, ReportSubscription
from .ticket_facts import TicketFact

__all__ = [
    "AssetRisk",
    "BatchState",
    "ForecastBatch",
    "ForecastRun",
    "GeneratedReport",
    "ReportDelivery",
    "ReportKind",
    "ReportStatus",
    "ReportSubscription",
    "TicketFact",
]
