"""The one tenancy door.

A `Scope` says who acts and for whom: a user, through one of their memberships, for one
member (or for the operator, as its staff). It is resolved once per request (by
`ScopeMiddleware` for pages, by `ApiTokenAuthentication` for API tokens) and put on
`request.scope`. Every read of member data goes through a `visible_to(scope)` QuerySet
method (Member, Site, Asset…), and every object lookup through `get_visible_or_404`, so an
outsider gets the same 404 as for a row that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404, HttpRequest

from .roles import OPERATOR_ROLES, READ_ONLY_ROLES, Role

if TYPE_CHECKING:
    from mutualis.registry.models import Member, Operator

    from .models import Membership, User


class _Scoped(Protocol):
    def visible_to(self, scope: Scope) -> models.QuerySet[Any]: ...


M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    user: User | None = None
    membership: Membership | None = None
    # Every active membership of the user, for the member switcher.
    memberships: tuple[Membership, ...] = ()
    # A token may be read-only even when its membership's role could write.
    token_read_only: bool = False
    site_ids: frozenset[int] | None = field(default=None)

    @classmethod
    def anonymous(cls) -> Scope:
        return cls()

    @classmethod
    def for_membership(
        cls,
        membership: Membership,
        *,
        user: User | None = None,
        memberships: tuple[Membership, ...] = (),
        token_read_only: bool = False,
    ) -> Scope:
        site_ids = None
        if membership.role == Role.SITE_CONTACT:
            site_ids = frozenset(membership.sites.values_list("pk", flat=True))
        return cls(
            user=user or membership.user,
            membership=membership,
            memberships=memberships or (membership,),
            token_read_only=token_read_only,
            site_ids=site_ids,
        )

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def operator_id(self) -> int | None:
        return self.membership.operator_id if self.membership else None

    @property
    def operator(self) -> Operator | None:
        return self.membership.operator if self.membership else None

    @property
    def member_id(self) -> int | None:
        return self.membership.member_id if self.membership else None

    @property
    def member(self) -> Member | None:
        return self.membership.member if self.membership else None

    @property
    def is_operator_staff(self) -> bool:
        return self.membership is not None and self.membership.role in OPERATOR_ROLES

    @property
    def is_operator_admin(self) -> bool:
        return self.membership is not None and self.membership.role == Role.OPERATOR_ADMIN

    @property
    def can_write(self) -> bool:
        return (
            self.membership is not None
            and self.membership.role not in READ_ONLY_ROLES
            and not self.token_read_only
        )


def get_visible_or_404(model: type[M], scope: Scope, **lookup: Any) -> M:
    """Fetch one row through the model's tenancy door; 404 whether missing or not ours."""
    manager: _Scoped = model._default_manager  # type: ignore[assignment]
    try:
        found: M = manager.visible_to(scope).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    return found


class ScopedRequest(HttpRequest):
    """A request as views see it after ScopeMiddleware (and login_required): typed so that
    `request.scope` and `request.user` need no casts."""

    scope: Scope
    user: User  # narrowed from User | AnonymousUser by login_required


SESSION_KEY = "mutualis_membership_id"


def resolve_scope(user: User, chosen_membership_id: int | None) -> Scope:
    """The scope of a logged-in user: the chosen membership when it is still theirs and
    active, otherwise their first: an operator role if they have one, else the membership
    they were given first (a town-hall agent also acting for their EPCI starts at the town
    hall). The switcher lists operator roles first, then members by name."""
    from .models import Membership

    memberships = tuple(Membership.objects.active().filter(user=user).with_scope_related())
    if not memberships:
        return Scope(user=user)
    ordered = sorted(
        memberships, key=lambda m: (m.member_id is not None, m.member.name if m.member else "", m.pk)
    )
    first = min(memberships, key=lambda m: (m.member_id is not None, m.pk))
    chosen = next((m for m in ordered if m.pk == chosen_membership_id), first)
    return Scope.for_membership(chosen, user=user, memberships=tuple(ordered))


class OperatorDataQuerySet(models.QuerySet[M]):
    """For data that belongs to the operator itself (teams, catalogue, settings): its staff
    see their operator's rows; members' users see none."""

    operator_lookup = "operator_id"

    def visible_to(self, scope: Scope) -> OperatorDataQuerySet[M]:
        if scope.operator_id is None or not scope.is_operator_staff:
            return self.none()
        return self.filter(**{self.operator_lookup: scope.operator_id})
