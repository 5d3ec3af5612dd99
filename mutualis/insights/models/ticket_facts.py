"""A narrow copy of each ticket's columns the dashboard's heavy panels read.

At a million tickets, a year of the operator's declarations is 300,000 rows of the ticket
table, whose rows are wide (texts, answers, two search vectors: 2.4 GB in all); reading
them took most of a panel's time (docs/benchmarks-history.md). A fact row holds only what the
volumes, breakdowns, durations, service levels and reopenings need (about 150 bytes), with
the same field names as the ticket (and three columns computed once: the day of declaration
and the two durations), so the same filters (`servicedesk.selectors.
filter_tickets`) and the same measures (`insights.measures`) apply to both, and the figures
are the same by construction. Kept by `insights.ticket_facts` (see there for when).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from mutualis.registry.models import Member, Operator, Site
from mutualis.servicedesk.models import Category, Team, Ticket

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class TicketFactQuerySet(models.QuerySet["TicketFact"]):
    def visible_to(self, scope: Scope) -> TicketFactQuerySet:
        """The same door as `Ticket.objects.visible_to`, on the copies of the tickets."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        qs = self.filter(member_id=scope.member_id)
        if scope.site_ids is not None:
            qs = qs.filter(site_id__in=scope.site_ids)
        return qs


# No database constraints nor per-column indexes: the rows are copies rebuilt from the
# tickets (a constraint would only slow the rebuild and every verb's write, and would stop
# the bench's loader from dropping the ticket table's keys during its bulk load). The
# foreign keys are there for the joins the filters and breakdowns make to the small
# registry tables (a site's kind, a category's parent), read at query time so that a site
# changing kind or a category moving never leaves a copy stale.
def _key(model: type[models.Model], *, null: bool = False) -> models.ForeignKey:
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=null,
        related_name="+",
    )


class TicketFact(models.Model):
    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="+"
    )
    operator = _key(Operator)
    member = _key(Member)
    site = _key(Site)
    category = _key(Category)
    team = _key(Team, null=True)
    merged_into = _key(Ticket, null=True)
    state = models.CharField(max_length=24)
    created_at = models.DateTimeField()
    # The day of declaration in the site's time zone (settings.TIME_ZONE, the one every
    # figure uses): the panels group by its month or week without converting the time zone
    # of 300,000 timestamps per request.
    created_day = models.DateField()
    first_response_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    take_charge_due = models.DateTimeField(null=True)
    resolve_due = models.DateTimeField(null=True)
    # Elapsed seconds from the declaration to the first response and to the resolution,
    # computed when copied by the same expression as the direct measure (durations.Seconds),
    # so the percentiles read a column instead of computing two timestamps' difference.
    take_charge_seconds = models.FloatField(null=True)
    resolve_seconds = models.FloatField(null=True)
    # Put back in progress after being resolved at least once (measures.reopened_events).
    reopened = models.BooleanField(default=False)

    objects = TicketFactQuerySet.as_manager()

    class Meta:
        # The panels read a period of declarations for the operator or one member. On
        # PostgreSQL both indexes also carry what those panels read of each copy: the two
        # durations (migration 0004), the day and the ticket (0005), the breakdowns' keys and
        # the reopening (0006) (INCLUDE, not declared here because SQLite has no INCLUDE
        # and Django would warn on every command). The volumes, breakdown, durations and
        # reopen panels then read the period from the index alone (an index-only scan of
        # the operator's year instead of 18,000 pages of rows at a million tickets), and
        # the durations panel sorts the durations for the exact percentiles
        # (docs/insights-method.md).
        indexes = [
            models.Index(fields=["operator", "created_at"], name="ticket_fact_operator_created"),
            models.Index(fields=["member", "created_at"], name="ticket_fact_member_created"),
        ]

    def __str__(self) -> str:
        return f"facts of ticket {self.ticket_id}"
