"""Incidentology in the back-office; each part registers its own models."""

from .reports import admin as reports_admin  # noqa: F401 - report subscriptions and generated reports
