from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator

from ..reply_placeholders import validate_placeholders
from .teams import Team

if TYPE_CHECKING:
    from mutualis.people.models import User


class ReplyTemplateQuerySet(OperatorDataQuerySet["ReplyTemplate"]):
    def offered_to(self, user: User) -> ReplyTemplateQuerySet:
        """The active templates `user` may insert: those for everyone and those of the teams
        they are in; their teams' first (by team name), then by title. One query, whatever
        the number of templates and teams."""
        theirs = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        return (
            self.filter(is_active=True)
            .filter(Q(team__isnull=True) | Q(team_id__in=theirs))
            .select_related("team")
            .order_by(F("team__name").asc(nulls_last=True), "title", "pk")
        )


class ReplyTemplate(models.Model):
    """A text the operator's staff insert into a reply or a note instead of typing it again
    ("Votre demande est prise en compte…"), with placeholders filled from the ticket
    (servicedesk/reply_placeholders.py). Inserting sends nothing."""

    # No index of its own: reply_template_title_per_operator starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="+", verbose_name=_("operator"), db_index=False
    )
    title = models.CharField(
        _("title"), max_length=100, help_text=_("What the agents choose it by, e.g. “Serial number needed”.")
    )
    body = models.TextField(_("text"), max_length=10_000, validators=[validate_placeholders])
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_templates",
        verbose_name=_("for the team"),
        help_text=_("Empty: offered to all the operator’s staff. Otherwise, to this team’s members only."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive template is kept but no longer offered.")
    )
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    objects = ReplyTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        constraints = [
            # Two templates of one title would be one choice twice in the agents' list.
            models.UniqueConstraint(fields=["operator", "title"], name="reply_template_title_per_operator"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        team = self.team if self.team_id is not None else None
        if team is not None and self.operator_id is not None and team.operator_id != self.operator_id:
            raise ValidationError({"team": _("Choose one of the operator’s own teams.")})
