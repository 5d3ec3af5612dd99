"""NGSI-LD tenants (4.14) on the registry: each member has its own, the operator a shared one.

The tenant of a member is created the first time it is needed, named after the member's
INSEE code (a commune's "78646", an EPCI's SIREN) so that a client can guess it, or after
its SIREN, or its id.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from mutualis.registry.models import Member, Operator

from .models import Tenant
from .models.tenants import DEFAULT_TENANT


def shared_tenant(operator: Operator | int) -> Tenant:
    """The operator's shared space: the default tenant (no NGSILD-Tenant header)."""
    operator_id = operator if isinstance(operator, int) else operator.pk
    tenant, _created = Tenant.objects.get_or_create(
        operator_id=operator_id, name=DEFAULT_TENANT, defaults={"member": None}
    )
    return tenant


def member_tenant_name(member: Member) -> str:
    return member.insee_code or member.siren or f"member-{member.pk}"


def tenant_for_member(member: Member) -> Tenant:
    """The member's tenant, created on first use."""
    existing = Tenant.objects.filter(member=member).first()
    if existing is not None:
        return existing
    name = member_tenant_name(member)
    try:
        with transaction.atomic():
            return Tenant.objects.create(operator_id=member.operator_id, member=member, name=name)
    except IntegrityError:
        # Another request created it meanwhile, or two members share the name (an
        # establishment without its own INSEE code): fall back on the member's id.
        existing = Tenant.objects.filter(member=member).first()
        if existing is not None:
            return existing
        return Tenant.objects.create(
            operator_id=member.operator_id, member=member, name=f"member-{member.pk}"
        )
