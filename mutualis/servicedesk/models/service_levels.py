"""Service levels: how fast the operator takes charge of and resolves a ticket.

A policy ("Standard", "Renforcé", "Vidéoprotection 24/7") runs on a business calendar and
sets, per priority, the time to take charge and the time to resolve, in business minutes.
Which policy a ticket gets: its category's (CategoryServiceLevel, e.g. video protection on
24/7), else its member's contract (ServiceContract), else the operator's default. Missed
deadlines are recorded once each (SlaBreach); EscalationRule says what the sweep
(servicedesk.sla) does when a deadline is near or missed.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.calendar_bounds import within_calendar
from mutualis.lib.wording import labelled
from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Member, Operator

from .calendars import BusinessCalendar
from .catalogue import Category, Priority
from .teams import Team


class Target(models.TextChoices):
    TAKE_CHARGE = "take_charge", _("take charge")
    RESOLVE = "resolve", _("resolve")


class AlertLevel(models.TextChoices):
    WARNING = "warning", _("deadline near")
    BREACH = "breach", _("deadline missed")


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", _("tell the team lead and supervisors")
    RAISE_PRIORITY = "raise_priority", _("raise the priority by one")
    ROUTE = "route", _("give the ticket to a team")


class SlaPolicy(models.Model):
    # No index of its own: sla_policy_name_per_operator starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator"), db_index=False
    )
    name = models.CharField(_("name"), max_length=100)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("business calendar"),
    )
    is_default = models.BooleanField(
        _("operator's default"),
        default=False,
        help_text=_("For members without a contract naming their service level."),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the time is used (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    warn_minutes_before = models.PositiveIntegerField(
        _("warn this many business minutes before the deadline"), null=True, blank=True
    )

    objects = OperatorDataQuerySet["SlaPolicy"].as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="sla_policy_name_per_operator"),
            models.UniqueConstraint(
                fields=["operator"],
                condition=Q(is_default=True),
                name="sla_policy_one_default_per_operator",
                violation_error_message=_("The operator already has a default service level."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.calendar_id and self.operator_id and self.calendar.operator_id != self.operator_id:
            raise ValidationError({"calendar": _("The calendar belongs to another operator.")})

    def warning_minutes(self, minutes: int) -> int:
        """Business minutes into a target of `minutes` when its warning is due: the first
        of "this share used" and "this long before"; the deadline itself without either."""
        moments = [minutes]
        if self.warn_percent:
            moments.append(minutes * self.warn_percent // 100)
        if self.warn_minutes_before:
            moments.append(minutes - self.warn_minutes_before)
        return max(0, min(moments))


# The longest deadline a target may set: about a year of office hours (7.5 h a day, five
# days a week). The arithmetic walks at most three years of days (calendars.
# LONGEST_WALK_DAYS); a longer target was accepted, then left every ticket without a
# deadline (or, on SQLite, overflowed a timedelta while declaring).
MAX_TARGET_MINUTES = 100_000


class SlaTarget(models.Model):
    """Deadlines of one priority under a policy, in business minutes of its calendar."""

    # No index of its own: sla_target_per_priority starts with it.
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets", db_index=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    take_charge_minutes = models.PositiveIntegerField(
        _("time to take charge (business minutes)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    resolve_minutes = models.PositiveIntegerField(
        _("time to resolve (business minutes)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("deadline by priority")
        verbose_name_plural = _("deadlines by priority")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_per_priority")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.get_priority_display()}"

    def clean(self) -> None:
        too_long = {
            name: ValidationError(
                _(
                    "At most %(max)s business minutes (about a year of office hours): a longer "
                    "deadline could not be computed."
                ),
                code="max_value",
                params={"max": formats.number_format(MAX_TARGET_MINUTES, force_grouping=True)},
            )
            for name in ("take_charge_minutes", "resolve_minutes")
            if (getattr(self, name) or 0) > MAX_TARGET_MINUTES
        }
        if too_long:
            raise ValidationError(too_long)
        if (
            self.take_charge_minutes
            and self.resolve_minutes
            and self.resolve_minutes < self.take_charge_minutes
        ):
            raise ValidationError(
                {"resolve_minutes": _("The time to resolve cannot be shorter than the time to take charge.")}
            )

    def minutes(self, target: str) -> int | None:
        return self.take_charge_minutes if target == Target.TAKE_CHARGE else self.resolve_minutes


class CategoryServiceLevelQuerySet(OperatorDataQuerySet["CategoryServiceLevel"]):
    operator_lookup = "category__operator_id"


class CategoryServiceLevel(models.Model):
    """A category handled under its own policy whatever the member's contract (and its
    sub-categories too): cameras on 24/7."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="service_level", verbose_name=_("category")
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="categories", verbose_name=_("service level")
    )

    objects = CategoryServiceLevelQuerySet.as_manager()

    class Meta:
        verbose_name = _("service level of a category")
        verbose_name_plural = _("service levels of categories")

    def __str__(self) -> str:
        return f"{self.category} – {self.policy}"

    def clean(self) -> None:
        if self.category_id and self.policy_id and self.category.operator_id != self.policy.operator_id:
            raise ValidationError({"policy": _("The service level belongs to another operator.")})


class ServiceContractQuerySet(OperatorDataQuerySet["ServiceContract"]):
    operator_lookup = "member__operator_id"

    def in_force(self, day: dt.date) -> ServiceContractQuerySet:
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


class ServiceContract(models.Model):
    """The service level a member subscribed to, from a date (to a date)."""

    # No index of its own: service_contract_member starts with it.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="service_contracts",
        verbose_name=_("member"),
        db_index=False,
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("service level")
    )
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    starts_on = models.DateField(_("from"), validators=[within_calendar])
    ends_on = models.DateField(
        _("until"),
        null=True,
        blank=True,
        help_text=_("Empty: until further notice."),
        validators=[within_calendar],
    )

    objects = ServiceContractQuerySet.as_manager()

    class Meta:
        ordering = ["member", "-starts_on"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        indexes = [models.Index(fields=["member", "starts_on"], name="service_contract_member")]

    def __str__(self) -> str:
        return f"{self.member} – {self.policy}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The contract ends before it starts.")})
        if self.member_id and self.policy_id and self.member.operator_id != self.policy.operator_id:
            raise ValidationError({"policy": _("The service level belongs to another operator.")})
        if self.member_id and self.starts_on:
            others = ServiceContract.objects.filter(member_id=self.member_id).exclude(pk=self.pk)
            others = others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
            if self.ends_on:
                others = others.filter(starts_on__lte=self.ends_on)
            clash = others.first()
            if clash is not None:
                raise ValidationError(
                    _(
                        "%(member)s already has a contract in force then (%(policy)s from %(start)s): end it first."
                    )
                    % {
                        "member": self.member,
                        "policy": clash.policy,
                        "start": clash.starts_on.strftime("%d/%m/%Y"),
                    }
                )


class EscalationRule(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalation_rules")
    level = models.CharField(_("when"), max_length=10, choices=AlertLevel.choices)
    target = models.CharField(_("deadline"), max_length=12, choices=Target.choices)
    action = models.CharField(_("action"), max_length=16, choices=EscalationAction.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("For “give the ticket to a team”."),
    )

    class Meta:
        ordering = ["target", "level", "pk"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return labelled(
            f"{self.get_target_display()} / {self.get_level_display()}", str(self.get_action_display())
        )

    def clean(self) -> None:
        if self.action == EscalationAction.ROUTE and not self.team_id:
            raise ValidationError({"team": _("Choose the team to give the ticket to.")})
        if self.action != EscalationAction.ROUTE and self.team_id:
            raise ValidationError({"team": _("Only “give the ticket to a team” names a team.")})
        if self.team is not None and self.policy_id and self.team.operator_id != self.policy.operator_id:
            raise ValidationError({"team": _("The team belongs to another operator.")})


class SlaBreachQuerySet(OperatorDataQuerySet["SlaBreach"]):
    operator_lookup = "ticket__operator_id"


class SlaBreach(models.Model):
    """A deadline a ticket missed: recorded once per ticket and deadline, and kept when the
    deadline later moves (the timeline keeps the old deadlines)."""

    # No index of its own: sla_breach_once_per_target starts with it.
    ticket = models.ForeignKey(
        "servicedesk.Ticket", on_delete=models.CASCADE, related_name="sla_breaches", db_index=False
    )
    target = models.CharField(_("deadline"), max_length=12, choices=Target.choices)
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(
        _("missed at"),
        help_text=_("The deadline itself for a ticket still waiting; the late action otherwise."),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    priority = models.PositiveSmallIntegerField(_("priority then"), choices=Priority.choices)
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("service level")
    )

    objects = SlaBreachQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "pk"]
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        constraints = [
            # Once per ticket and deadline: the sweep and the verbs may both see a miss.
            models.UniqueConstraint(fields=["ticket", "target"], name="sla_breach_once_per_target")
        ]
        indexes = [models.Index(fields=["due_at"], name="sla_breach_due")]

    def __str__(self) -> str:
        # Read in the back-office's breadcrumb and lists: the deadline in words, not its code.
        return _("Deadline to %(deadline)s, ticket %(ticket)s, due %(due)s") % {
            "deadline": self.get_target_display(),
            "ticket": self.ticket_id,
            "due": formats.date_format(timezone.localtime(self.due_at), "SHORT_DATETIME_FORMAT"),
        }


class ServiceLevelRevision(models.Model):
    """One row whose token changes with every write to what a ticket's service level is read
    from: policies and their targets, calendars with their hours and closures, categories
    (their tree) and their levels, members' contracts (WATCHED_TABLES).

    Database triggers change it (`servicedesk/revision_triggers.py`, installed by migration 0010),
    so that no write escapes: not the admin's, nor a `bulk_create`, an `update()` or a
    cascade. Each process keeps what it read of the service levels while the token stays
    the same (services/deadlines.py); a token is random, never a counter, so that a
    rolled-back change cannot bring back a token that once meant other rows."""

    token = models.CharField(max_length=36)

    class Meta:
        verbose_name = _("service levels' revision")
        verbose_name_plural = _("service levels' revision")

    def __str__(self) -> str:
        return self.token
