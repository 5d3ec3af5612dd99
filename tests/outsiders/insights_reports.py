"""Outsider cases of reports: member A's monthly report, ready to download. Charlie (a
user of member B) and oscar (an admin of another operator) cannot download it, generate it
or subscribe to it (404, like a report that does not exist), and do not see it listed.
Members and the operator's yearly report: tests/insights/test_reports.py."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from mutualis.insights.models import GeneratedReport, ReportKind, ReportStatus, ReportSubscription
from tests.conftest import Cast

from . import Case, Check, Extra

SUMMARY = "Synthèse confidentielle de Versailles"
OUTSIDERS = ("charlie", "oscar")


def _report(cast: Cast) -> int:
    report = GeneratedReport.objects.create(
        operator=cast.operator,
        kind=ReportKind.MEMBER_MONTHLY,
        member=cast.member_a,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        status=ReportStatus.DONE,
        summary=SUMMARY,
        version=1,
        generated_at=timezone.now(),
    )
    report.file.save("r.pdf", ContentFile(b"%PDF-1.4 outsiders"), save=True)
    return report.pk


OBJECTS: dict[str, Case] = {
    "insights:report-download": Case(lambda c, x: f"/insights/reports/{x['report']}/download/", OUTSIDERS),
    "insights:report-generate": Case(
        lambda c, x: f"/insights/reports/generate/?member={c.member_a.pk}",
        OUTSIDERS,
        method="post",
        body={"kind": "member_monthly", "month": "2026-10"},
    ),
    "insights:report-subscription": Case(
        lambda c, x: f"/insights/reports/subscription/?member={c.member_a.pk}",
        OUTSIDERS,
        method="post",
        body={"kind": "member_monthly", "action": "subscribe"},
    ),
}

LISTS: dict[str, Case] = {
    "insights:reports": Case(lambda c, x: "/insights/reports/", OUTSIDERS, (200,), secret=lambda c: SUMMARY),
}

EXTRA: Extra = {"report": _report}


def _untouched(cast: Cast, extra: dict[str, int]) -> None:
    report = GeneratedReport.objects.get(pk=extra["report"])
    assert (report.status, report.version) == (ReportStatus.DONE, 1)
    assert not ReportSubscription.objects.filter(member=cast.member_a).exists()


CHECKS: dict[str, Check] = {
    "insights:report-generate": _untouched,
    "insights:report-subscription": _untouched,
}
