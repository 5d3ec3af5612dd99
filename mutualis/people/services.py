"""Writes on people's roles that more than one page makes.

People are found by their roles: an operator's staff see the people holding a role at
their operator (`User.objects.visible_to`). A person left without any role is lost to every
operator's back office, yet can still log in; only a platform administrator could find the
account again to deactivate it. So a person's last role is never taken away (nor deleted
with its member): an admin deactivates the account instead, which keeps it findable (GLPI
and Zammad keep such accounts the same way).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db import transaction
from django.utils.translation import ngettext

from .models import Membership, User


class LastRoleError(Exception):
    """Removing these roles would leave people with none (see the module's doc)."""

    def __init__(self, people: Sequence[User]):
        self.people = list(people)
        super().__init__(last_role_message(self.people))


def last_role_message(people: Sequence[User]) -> str:
    names = ", ".join(person.full_name or person.email for person in people)
    return ngettext(
        "Without a role, nobody could find %(names)s again in the back office: deactivate the "
        "account (on the person's page) rather than remove their last role.",
        "Without a role, nobody could find %(names)s again in the back office: deactivate their "
        "accounts (on each person's page) rather than remove their last roles.",
        len(people),
    ) % {"names": names}


def lock_people(user_ids: Collection[int]) -> None:
    """Hold the rows of these people until the transaction ends: two admins removing a
    person's two last roles at once would otherwise each see the other role still there."""
    list(User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True))


def people_left_without_a_role(membership_ids: Collection[int]) -> list[User]:
    """The people whose every role is among `membership_ids`, so that removing these would
    leave them with none. Roles held at any operator count, whoever asks: a person who
    keeps a role elsewhere is not lost. Platform administrators need no role."""
    held = Membership.objects.filter(pk__in=membership_ids).values("user_id")
    kept = Membership.objects.exclude(pk__in=membership_ids).values("user_id")
    return list(
        User.objects.filter(pk__in=held, is_superuser=False).exclude(pk__in=kept).order_by("full_name", "pk")
    )


@transaction.atomic
def delete_memberships(*, membership_ids: Collection[int]) -> int:
    """Delete these roles (and the API tokens issued for them); raise LastRoleError, deleting
    nothing, if that would leave someone without any role. Returns how many were deleted."""
    ids = set(membership_ids)
    lock_people(set(Membership.objects.filter(pk__in=ids).values_list("user_id", flat=True)))
    stranded = people_left_without_a_role(ids)
    if stranded:
        raise LastRoleError(stranded)
    _total, per_model = Membership.objects.filter(pk__in=ids).delete()
    return per_model.get(Membership._meta.label, 0)
