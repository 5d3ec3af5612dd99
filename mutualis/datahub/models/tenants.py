from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Member, Operator

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope

# NGSI-LD 6.3.14: a request without `NGSILD-Tenant` addresses the default tenant. Here the
# default tenant is the operator's shared space, stored with an empty name.
DEFAULT_TENANT = ""


class TenantQuerySet(models.QuerySet["Tenant"]):
    def visible_to(self, scope: Scope) -> TenantQuerySet:
        """Operator staff see every tenant of their operator; a member's people their own."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        if scope.member_id is not None:
            return self.filter(member_id=scope.member_id)
        return self.none()


class Tenant(models.Model):
    """An NGSI-LD tenant: a member's own space, or the operator's shared space (no member).

    Entities, their history and subscriptions belong to exactly one tenant; one tenant
    never sees another's (NGSI-LD 4.14).
    """

    # No index of its own: datahub_tenant_name_unique starts with it.
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+", db_index=False)
    member = models.OneToOneField(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="datahub_tenant",
        verbose_name=_("member"),
    )
    # The value clients send in the NGSILD-Tenant header.
    name = models.CharField(_("tenant name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("data hub tenant")
        verbose_name_plural = _("data hub tenants")
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="datahub_tenant_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name or str(_("shared space"))
