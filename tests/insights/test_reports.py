"""Reports: exact figures on known tickets, a real PDF, the reports page and who may use
it, and the schedule that emails each subscriber once through a real SMTP server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone, translation

from mutualis.insights.models import (
    GeneratedReport,
    ReportDelivery,
    ReportKind,
    ReportStatus,
    ReportSubscription,
)
from mutualis.insights.reports import delivery, generation, member_monthly, operator_yearly
from mutualis.insights.reports.periods import month, year
from mutualis.jobs import Job, run_pending
from mutualis.people.roles import Role
from tests.conftest import Cast
from tests.factories import MembershipFactory
from tests.servicedesk.mail.conftest import SmtpServer, closed_smtp_port, smtp_server  # noqa: F401 - the real SMTP server fixtures

from .reports_support import AS_OF, PARIS, at, known_month

pytestmark = pytest.mark.django_db

OCTOBER = month(dt.date(2026, 10, 1))


# Figures ---------------------------------------------------------------------------


def test_member_figures_are_exact_on_known_tickets(cast: Cast) -> None:
    known_month(cast)
    figures = member_monthly.compute(cast.member_a, OCTOBER, as_of=AS_OF)
    assert (figures.tickets, figures.previous_tickets, figures.delta) == (5, 2, 3)
    # t1 and t3 answered in time, t2 late; t4 has no deadline, t5 was cancelled.
    assert (figures.take_charge_on_time, figures.take_charge_judged, figures.take_charge_percent) == (
        2,
        3,
        67,
    )
    # Resolved in October with a deadline: t1 on time, t2 late (the dashboard's definition).
    assert figures.month is not None
    assert (figures.month.resolved_on_time, figures.month.resolved_with_deadline) == (1, 2)
    assert figures.resolve_percent == 50
    assert (figures.satisfaction_average, figures.satisfaction_count) == (4.5, 2)
    assert figures.by_category == [("Réseau", 3), ("Écrans", 2)]
    assert figures.by_site == [("Mairie de Versailles", 4, 2), ("École Jules Ferry", 1, 1)]
    # Open on 1 November at midnight: t3, t4 and the August ticket (t5 was cancelled).
    assert figures.open_at_end == 3
    assert list(figures.open_by_age.values()) == [1, 1, 1]
    assert [t.age_days for t in figures.oldest_open] == [91, 16, 3]
    by_month = {p.month: p.tickets for p in figures.months}
    assert len(figures.months) == 12
    assert figures.months[0].month == dt.date(2025, 11, 1)
    assert (by_month[dt.date(2026, 8, 1)], by_month[dt.date(2026, 9, 1)], by_month[dt.date(2026, 10, 1)]) == (
        1,
        2,
        5,
    )
    assert sum(by_month.values()) == 8  # member B's tickets are not counted


def test_member_summary_in_french_says_the_figures(cast: Cast) -> None:
    known_month(cast)
    with translation.override("fr"):
        figures = member_monthly.compute(cast.member_a, OCTOBER, as_of=AS_OF)
        text = member_monthly.summary(figures)
    assert "5 " in text
    assert "octobre 2026" in text.lower()
    assert "67\xa0%" in text
    assert "3 " in text  # three still open at the end of the month


def test_member_pdf_is_a_real_pdf_with_the_member_and_its_metadata(cast: Cast) -> None:
    known_month(cast)
    with translation.override("fr"):
        content, text = member_monthly.build(cast.member_a, OCTOBER, compress=False, as_of=AS_OF)
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert len(content) > 5_000
    assert b"(Versailles)" in content or b"Versailles" in content
    assert b"/Lang (fr-FR)" in content
    assert b"/Title (Monthly report" in content or b"/Title (" in content
    # The values are written on the charts and in the tables, not said by colour only.
    assert b"Jules Ferry" in content
    assert text


def test_operator_yearly_figures(cast: Cast) -> None:
    known_month(cast)
    cast.alice.last_login = at("2026-03-01")
    cast.alice.save(update_fields=["last_login"])
    cast.charlie.last_login = at("2025-06-01")
    cast.charlie.save(update_fields=["last_login"])
    # Bob's last login is from 2025 and he declared nothing: he counts for 2025 alone.
    cast.bob.last_login = at("2025-02-01")
    cast.bob.save(update_fields=["last_login"])
    figures = operator_yearly.compute(cast.operator, 2026, as_of=AS_OF)
    assert figures.years == [(2026, 11, None)]
    assert (figures.tickets, figures.previous_tickets) == (11, 0)
    assert figures.by_category == [("Réseau", 9), ("Écrans", 2)]
    assert figures.by_member_kind == [("commune", 11)]
    # alice logged in and declared in 2026; charlie's and bob's last logins are from 2025.
    assert (figures.users, figures.previous_users) == (1, 2)
    # Declaring counts without a login in the year: alice's last login moves to 2025.
    cast.alice.last_login = at("2025-12-01")
    cast.alice.save(update_fields=["last_login"])
    declared = operator_yearly.compute(cast.operator, 2026, as_of=AS_OF)
    assert (declared.users, declared.previous_users) == (1, 3)
    assert (figures.members, figures.sites) == (2, 3)
    assert (figures.take_charge_on_time, figures.take_charge_judged) == (2, 3)
    assert (figures.satisfaction_average, figures.satisfaction_count) == (4.5, 2)
    content, text = operator_yearly.build(cast.operator, 2026, compress=False, as_of=AS_OF)
    assert content.startswith(b"%PDF-")
    assert b"/Lang (fr-FR)" in content
    assert "11" in text


def test_yearly_deadlines_met_are_the_dashboards(cast: Cast) -> None:
    # A duplicate merged into t1, never answered, and a cancelled ticket answered in time:
    # nobody had to meet their deadlines. The report counted the first as missed and the
    # second as met (75 % where the dashboard said 67 % for the same year).
    from mutualis.insights import measures
    from mutualis.servicedesk.models import Ticket, TicketState

    from .reports_support import _Numbers, ticket

    known = known_month(cast)
    numbers = _Numbers()
    numbers.value = 100
    t1 = Ticket.objects.get(created_at=at("2026-10-03"))
    ticket(
        cast,
        known,
        numbers,
        created_at=at("2026-10-03", 10),
        take_charge_due=at("2026-10-03", 13),
        resolve_due=at("2026-10-05"),
        state=TicketState.CLOSED,
        merged_into=t1,
    )
    ticket(
        cast,
        known,
        numbers,
        created_at=at("2026-10-20"),
        take_charge_due=at("2026-10-20", 12),
        first_response_at=at("2026-10-20", 10),
        state=TicketState.CANCELLED,
    )
    figures = operator_yearly.compute(cast.operator, 2026, as_of=AS_OF)
    assert (figures.take_charge_on_time, figures.take_charge_judged, figures.take_charge_percent) == (
        2,
        3,
        67,
    )
    assert (figures.resolved_on_time, figures.resolve_judged) == (1, 2)
    dashboard = measures.service_levels(Ticket.objects.filter(operator=cast.operator), AS_OF)
    assert (dashboard.take_charge.met, dashboard.take_charge.met + dashboard.take_charge.missed) == (2, 3)
    assert (dashboard.resolve.met, dashboard.resolve.met + dashboard.resolve.missed) == (1, 2)
    october = member_monthly.compute(cast.member_a, OCTOBER, as_of=AS_OF)
    assert (october.take_charge_on_time, october.take_charge_judged) == (2, 3)


def test_growth_over_the_years(cast: Cast) -> None:
    known = known_month(cast)
    from .reports_support import _Numbers, ticket

    numbers = _Numbers()
    numbers.value = 100
    for day in ("2024-02-01", "2024-05-01", "2025-01-10", "2025-03-01", "2025-04-01", "2025-12-31"):
        ticket(cast, known, numbers, created_at=at(day))
    figures = operator_yearly.compute(cast.operator, 2026, as_of=AS_OF)
    assert figures.years == [(2024, 2, None), (2025, 4, 100), (2026, 11, 175)]


# Generating and regenerating --------------------------------------------------------


def test_generating_again_replaces_the_file_and_counts_a_version(cast: Cast) -> None:
    known_month(cast)
    report = generation.request_report(
        kind=ReportKind.MEMBER_MONTHLY,
        operator=cast.operator,
        member=cast.member_a,
        period=OCTOBER,
        by=cast.alice,
    )
    assert report.status == ReportStatus.QUEUED
    run_pending()
    report.refresh_from_db()
    assert (report.status, report.progress, report.version) == (ReportStatus.DONE, 100, 1)
    first_name = report.file.name
    assert report.size == report.file.size > 1000
    assert "octobre 2026" in report.summary.lower()
    generation.request_report(
        kind=ReportKind.MEMBER_MONTHLY,
        operator=cast.operator,
        member=cast.member_a,
        period=OCTOBER,
        by=cast.bob,
    )
    run_pending()
    report.refresh_from_db()
    assert report.version == 2
    assert report.created_by == cast.bob
    assert report.file.name != first_name
    assert not report.file.storage.exists(first_name)
    assert GeneratedReport.objects.count() == 1


# The page ---------------------------------------------------------------------------


def _ready_report(cast: Cast, *, member: bool = True) -> GeneratedReport:
    report = GeneratedReport.objects.create(
        operator=cast.operator,
        kind=ReportKind.MEMBER_MONTHLY if member else ReportKind.OPERATOR_YEARLY,
        member=cast.member_a if member else None,
        period_start=dt.date(2026, 10, 1) if member else dt.date(2025, 1, 1),
        period_end=dt.date(2026, 10, 31) if member else dt.date(2025, 12, 31),
        status=ReportStatus.DONE,
        summary="Résumé secret de Versailles" if member else "Rapport annuel secret",
        version=1,
        generated_at=timezone.now(),
    )
    report.file.save("r.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    report.size = 13
    report.save()
    return report


def test_member_user_lists_generates_and_downloads(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    report = _ready_report(cast)
    _ready_report(cast, member=False)
    client: Client = as_user(cast.alice)
    page = client.get("/insights/reports/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Résumé secret de Versailles" in body
    assert "Rapport annuel secret" not in body  # the operator's yearly report is staff's
    download = client.get(f"/insights/reports/{report.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    response = client.post("/insights/reports/generate/", {"kind": "member_monthly", "month": "2026-10"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    assert (
        "en cours" in client.get("/insights/reports/").content.decode()
        or "in progress" in client.get("/insights/reports/").content.decode()
    )
    assert Job.objects.filter(name="insights.generate_report").count() == 1
    # Asking again while it waits does not queue a second job.
    client.post("/insights/reports/generate/", {"kind": "member_monthly", "month": "2026-10"})
    assert Job.objects.filter(name="insights.generate_report").count() == 1


def test_a_period_outside_the_list_is_refused(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client: Client = as_user(cast.alice)
    for month_value in ("2099-01", "garbage", "2026-13"):
        response = client.post(
            "/insights/reports/generate/", {"kind": "member_monthly", "month": month_value}
        )
        assert response.status_code == 400, month_value


def test_members_cannot_get_the_operator_yearly_report(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    yearly = _ready_report(cast, member=False)
    for who in (cast.alice, cast.bob, cast.charlie):
        client: Client = as_user(who)
        assert client.get(f"/insights/reports/{yearly.pk}/download/").status_code == 404
        assert (
            client.post(
                "/insights/reports/generate/", {"kind": "operator_yearly", "year": "2025"}
            ).status_code
            == 404
        )
        assert client.post("/insights/reports/subscription/", {"kind": "operator_yearly"}).status_code == 404
    assert not ReportSubscription.objects.exists()
    client = as_user(cast.olivia)
    staff_download = client.get(f"/insights/reports/{yearly.pk}/download/")
    assert staff_download.status_code == 200
    assert b"".join(staff_download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_outsiders_cannot_see_generate_download_or_subscribe(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    report = _ready_report(cast)
    for who in (cast.charlie, cast.oscar):
        client: Client = as_user(who)
        assert "Résumé secret" not in client.get("/insights/reports/").content.decode()
        assert client.get(f"/insights/reports/{report.pk}/download/").status_code == 404
        generate = {"kind": "member_monthly", "member": cast.member_a.pk, "month": "2026-10"}
        assert client.post("/insights/reports/generate/", generate).status_code == 404
        subscribe = {"kind": "member_monthly", "member": cast.member_a.pk, "action": "subscribe"}
        assert client.post("/insights/reports/subscription/", subscribe).status_code == 404
    assert not ReportSubscription.objects.exists()
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE


def test_a_site_contact_gets_no_member_report(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    report = _ready_report(cast)
    contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="sc@versailles.example"
    )
    contact.sites.add(cast.site_a)
    client: Client = as_user(contact.user)
    assert client.get("/insights/reports/").status_code == 200
    assert client.get(f"/insights/reports/{report.pk}/download/").status_code == 404
    assert client.post("/insights/reports/subscription/", {"kind": "member_monthly"}).status_code == 404


def test_anonymous_visitors_are_sent_to_login(cast: Cast, client: Client) -> None:
    report = _ready_report(cast)
    for url in ("/insights/reports/", f"/insights/reports/{report.pk}/download/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post("/insights/reports/generate/", {"kind": "member_monthly", "month": "2026-10"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_people_subscribe_and_unsubscribe_themselves(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client: Client = as_user(cast.bob)
    client.post("/insights/reports/subscription/", {"kind": "member_monthly", "action": "subscribe"})
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.member, subscription.active) == (cast.bob, cast.member_a, True)
    assert (
        "Unsubscribe" in client.get("/insights/reports/").content.decode()
        or "désabonner" in client.get("/insights/reports/").content.decode()
    )
    client.post("/insights/reports/subscription/", {"kind": "member_monthly", "action": "unsubscribe"})
    subscription.refresh_from_db()
    assert not subscription.active
    staff: Client = as_user(cast.olivia)
    staff.post("/insights/reports/subscription/", {"kind": "operator_yearly", "action": "subscribe"})
    staff.post(
        "/insights/reports/subscription/",
        {"kind": "member_monthly", "member": cast.member_b.pk, "action": "subscribe"},
    )
    assert set(
        ReportSubscription.objects.filter(user=cast.olivia).values_list("kind", "member_id", "operator_id")
    ) == {
        (ReportKind.OPERATOR_YEARLY, None, cast.operator.pk),
        (ReportKind.MEMBER_MONTHLY, cast.member_b.pk, cast.operator.pk),
    }


# On schedule, by email ----------------------------------------------------------------


def _first_of_next_month() -> dt.datetime:
    """The schedule's day must be after the real clock: jobs the run enqueues are due now."""
    today = timezone.localtime(timezone.now(), PARIS).date()
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first, dt.time(6), tzinfo=PARIS)


def test_the_schedule_emails_each_subscriber_once(cast: Cast, smtp_server: SmtpServer) -> None:  # noqa: F811
    first = _first_of_next_month()
    last_month = month(first.date() - dt.timedelta(days=1))
    for user, member in (
        (cast.alice, cast.member_a),
        (cast.bob, cast.member_a),
        (cast.charlie, cast.member_b),
    ):
        generation.subscribe(user=user, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=member)
    # Unsubscribed, and a subscriber who has since lost their role: neither gets an email.
    generation.subscribe(
        user=cast.olivia, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_b
    )
    generation.unsubscribe(
        user=cast.olivia, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_b
    )
    gone = MembershipFactory(
        member=cast.member_b, role=Role.MEMBER_AGENT, user__email="gone@nanterre.example"
    )
    generation.subscribe(
        user=gone.user, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_b
    )
    gone.is_active = False
    gone.save()

    run_pending(now=first - dt.timedelta(days=1))  # the daily schedule is first seen
    assert smtp_server.received == []
    run_pending(now=first)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "alice@versailles.example",
        "bob@versailles.example",
        "charlie@nanterre.example",
    ]
    mail = smtp_server.to("alice@versailles.example")[0]
    attachments = list(mail.message.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content().startswith(b"%PDF")
    assert attachments[0].get_filename() == f"rapport-versailles-{last_month.start:%Y-%m}.pdf"
    assert "/insights/reports/" in mail.text
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert smtp_server.to("charlie@nanterre.example")[0].message.get_body(("plain",)) is not None
    assert (
        GeneratedReport.objects.filter(period_start=last_month.start, status=ReportStatus.DONE).count() == 2
    )
    assert ReportDelivery.objects.filter(sent_at__isnull=False).count() == 3

    # The same day again, and the task run again by hand for that day: nothing more is sent.
    run_pending(now=first + dt.timedelta(hours=1))
    from mutualis.jobs import enqueue

    enqueue("insights.scheduled_reports", day=first.date().isoformat())
    run_pending(now=first + dt.timedelta(hours=2))
    assert len(smtp_server.received) == 3
    assert ReportDelivery.objects.count() == 3


def test_outside_the_first_days_the_schedule_does_nothing(cast: Cast) -> None:
    generation.subscribe(
        user=cast.alice, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_a
    )
    assert delivery.scheduled_run(dt.date(2026, 11, 15)) == 0
    assert not GeneratedReport.objects.exists()


def test_in_january_the_yearly_report_goes_to_its_subscribers(cast: Cast, smtp_server: SmtpServer) -> None:  # noqa: F811
    generation.subscribe(user=cast.adam, kind=ReportKind.OPERATOR_YEARLY, operator=cast.operator, member=None)
    generation.subscribe(
        user=cast.oscar, kind=ReportKind.OPERATOR_YEARLY, operator=cast.other_operator, member=None
    )
    today = timezone.localtime(timezone.now(), PARIS).date()
    january = dt.date(today.year + 1, 1, 2)
    assert delivery.scheduled_run(january) == 2
    run_pending(now=dt.datetime.combine(january, dt.time(7), tzinfo=PARIS))
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "adam@operator.example",
        "oscar@other.example",
    ]
    adam = smtp_server.to("adam@operator.example")[0]
    assert next(iter(adam.message.iter_attachments())).get_filename() == f"rapport-activite-{today.year}.pdf"
    reports = GeneratedReport.objects.filter(
        kind=ReportKind.OPERATOR_YEARLY, period_start=year(today.year).start
    )
    assert reports.count() == 2  # one per operator, each sent only to its own staff


def test_a_refused_email_is_retried_and_not_marked_sent(cast: Cast, closed_smtp_port: int) -> None:  # noqa: F811
    report = _ready_report(cast)
    generation.subscribe(
        user=cast.alice, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_a
    )
    assert delivery.deliver(report) == 1
    run_pending()
    # (The delivery's own note of the failure is rolled back with the failed attempt here,
    # inside the test's transaction; the job keeps the error and comes back later.)
    assert ReportDelivery.objects.get().sent_at is None
    job = Job.objects.get(name="insights.send_report")
    assert job.state == "queued"
    assert "ConnectionRefusedError" in job.last_error
    assert delivery.deliver(report) == 0  # already recorded: not queued twice


# Back-office ------------------------------------------------------------------------------


def test_operator_admins_manage_subscriptions_of_their_operator_only(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    generation.subscribe(
        user=cast.alice, kind=ReportKind.MEMBER_MONTHLY, operator=cast.operator, member=cast.member_a
    )
    admin: Client = as_user(cast.adam)
    listing = admin.get("/backoffice/insights/reportsubscription/")
    assert listing.status_code == 200
    assert "alice@versailles.example" in listing.content.decode()
    # Charlie (member B) may not read member A's report: the form refuses him.
    refused = admin.post(
        "/backoffice/insights/reportsubscription/add/",
        {"user": cast.charlie.pk, "kind": "member_monthly", "member": cast.member_a.pk, "active": "on"},
    )
    assert refused.status_code == 200
    assert not ReportSubscription.objects.filter(user=cast.charlie).exists()
    added = admin.post(
        "/backoffice/insights/reportsubscription/add/",
        {"user": cast.bob.pk, "kind": "member_monthly", "member": cast.member_a.pk, "active": "on"},
    )
    assert added.status_code == 302
    assert ReportSubscription.objects.get(user=cast.bob).operator == cast.operator
    other: Client = as_user(cast.oscar)
    assert (
        "alice@versailles.example"
        not in other.get("/backoffice/insights/reportsubscription/").content.decode()
    )
