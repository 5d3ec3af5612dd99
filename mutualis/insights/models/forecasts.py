"""Forecasts and asset risk scores (issue 5, anticipation), computed by a background job
(`insights.forecast`, daily, or on demand by operator staff) and read by the pages.

A `ForecastBatch` is one computation for an operator: its state says whether the page shows
"computing…", its counters how far it is. It holds one `ForecastRun` per series (all
tickets, each top-level category) and the `AssetRisk` scores of the operator's in-service
equipment. Forecasts are operator-level only (docs/insights-method.md says why): every
queryset here has the operator-data door, which gives member users nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Asset, Operator
from mutualis.servicedesk.models import Category


class BatchState(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("computing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


PENDING_STATES = (BatchState.QUEUED, BatchState.RUNNING)


class ForecastBatchQuerySet(OperatorDataQuerySet["ForecastBatch"]):
    def done(self) -> ForecastBatchQuerySet:
        return self.filter(state=BatchState.DONE)

    def pending(self) -> ForecastBatchQuerySet:
        return self.filter(state__in=PENDING_STATES)


class ForecastBatch(models.Model):
    # No index of its own: forecast_batch_latest starts with it.
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices, default=BatchState.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Progress, for the page while it computes: series forecast so far, out of how many.
    series_total = models.PositiveIntegerField(default=0)
    series_done = models.PositiveIntegerField(default=0)
    school_zone = models.CharField(_("school holiday zone"), max_length=1, blank=True)
    # The first week the forecasts start at (the current week when computed).
    first_week = models.DateField(null=True, blank=True)
    # The asset risk model: method, coefficients, training size, notes.
    asset_model = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    objects = ForecastBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("forecast computation")
        verbose_name_plural = _("forecast computations")
        indexes = [
            # The page reads the operator's latest done (and any pending) computation.
            models.Index(fields=["operator", "state", "-created_at"], name="forecast_batch_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.operator_id} {self.created_at:%Y-%m-%d %H:%M} {self.state}"


class ForecastRunQuerySet(OperatorDataQuerySet["ForecastRun"]):
    pass


class ForecastRun(models.Model):
    """The forecast of one series (all tickets, or one top-level category) and its backtest."""

    # No index of its own: forecast_run_series starts with it.
    batch = models.ForeignKey(ForecastBatch, on_delete=models.CASCADE, related_name="runs", db_index=False)
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    # Whose tickets: "operator" (all of them). Kept so member-level forecasts can be added
    # without a new table (docs/insights-method.md explains why there are none yet).
    scope_key = models.CharField(max_length=40, default="operator")
    # "total", "category:<id>" or "other" (the smaller top-level categories together).
    series_key = models.CharField(max_length=40)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The category's name when computed; empty for "total" and "other", named when shown
    # (in the reader's language).
    label = models.CharField(_("series"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(_("method"), max_length=20)
    distribution = models.CharField(max_length=20, blank=True)
    notes = models.JSONField(default=list, blank=True)
    coefficients = models.JSONField(default=dict, blank=True)
    # [{"week": "2025-09-01", "count": 12}], the last two years.
    history = models.JSONField(default=list, blank=True)
    # [{"week", "mean", "lo80", "hi80", "lo95", "hi95", "last_year"}], 12 weeks.
    weekly = models.JSONField(default=list, blank=True)
    # [{"month": "2025-10-01", "mean", "lo80", "hi80", "lo95", "hi95", "last_year"}], 6 months.
    monthly = models.JSONField(default=list, blank=True)
    # forecast.Backtest.summary() and its points ("rows").
    backtest = models.JSONField(default=dict, blank=True)

    objects = ForecastRunQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "position"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.UniqueConstraint(fields=["batch", "scope_key", "series_key"], name="forecast_run_series"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.name}"

    @property
    def name(self) -> str:
        if self.series_key == "total":
            return str(_("All tickets"))
        if self.series_key == "other":
            return str(_("Other categories"))
        return self.label


class AssetRiskQuerySet(OperatorDataQuerySet["AssetRisk"]):
    def with_list_related(self) -> AssetRiskQuerySet:
        """What the list of assets at risk shows, in the same query."""
        return self.select_related(
            "asset",
            "asset__asset_type",
            "asset__model",
            "asset__site",
            "asset__site__member",
            "asset__site__kind",
        )


class AssetRisk(models.Model):
    """An in-service asset's expected incidents in the next 90 days, and why. Only the
    latest computation's scores are kept."""

    # No index of its own: asset_risk_ranking starts with it.
    batch = models.ForeignKey(
        ForecastBatch, on_delete=models.CASCADE, related_name="asset_risks", db_index=False
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    expected = models.FloatField(_("expected incidents in 90 days"))
    probability = models.FloatField(_("probability of an incident in 90 days"))
    # [{"kind": "age"|"model"|"past"|"recent", "factor": 1.8, …}], strongest first.
    factors = models.JSONField(default=list)

    objects = AssetRiskQuerySet.as_manager()

    class Meta:
        ordering = ["-expected", "asset_id"]
        verbose_name = _("asset risk")
        verbose_name_plural = _("asset risks")
        constraints = [models.UniqueConstraint(fields=["batch", "asset"], name="asset_risk_per_batch")]
        indexes = [
            # The list, riskiest first, of the operator's latest computation.
            models.Index(fields=["batch", "-expected"], name="asset_risk_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.expected:.2f}"
