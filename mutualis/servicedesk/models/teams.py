from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator

if TYPE_CHECKING:
    from mutualis.people.models import User


class TeamQuerySet(OperatorDataQuerySet["Team"]):
    def supervised_by(self, user: User) -> TeamQuerySet:
        """The teams `user` runs as a supervisor: those they lead, and those they are in
        (a team may have a supervisor among its members and another as its lead)."""
        theirs = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        return self.filter(Q(lead_id=user.pk) | Q(pk__in=theirs))


class Team(models.Model):
    """An operator team that handles tickets: service desk, field technicians, video…"""

    # No index of its own: team_code_per_operator starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="teams", verbose_name=_("operator"), db_index=False
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )
    # Who is told when the team's tickets are about to breach their service level (issue: SLAs).
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )
    email = models.EmailField(_("team mailbox"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["operator", "code"], name="team_code_per_operator")]

    def __str__(self) -> str:
        return self.name
