"""Roles a membership gives, and what each may do. Declared once, read everywhere."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Roles on a member
    MEMBER_AGENT = "member_agent", _("member agent")
    SITE_CONTACT = "site_contact", _("site contact")
    ELECTED = "elected", _("elected official (read-only)")
    # Roles on the operator
    DESK_AGENT = "desk_agent", _("service-desk agent")
    TECHNICIAN = "technician", _("technician")
    SUPERVISOR = "supervisor", _("supervisor")
    OPERATOR_ADMIN = "operator_admin", _("operator administrator")


MEMBER_ROLES = frozenset({Role.MEMBER_AGENT, Role.SITE_CONTACT, Role.ELECTED})
OPERATOR_ROLES = frozenset({Role.DESK_AGENT, Role.TECHNICIAN, Role.SUPERVISOR, Role.OPERATOR_ADMIN})
READ_ONLY_ROLES = frozenset({Role.ELECTED})

# What each operator role may do in the back-office, per registry model. "view" alone
# means read-only. Operator admins also manage people and reference lists.
BACKOFFICE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.OPERATOR_ADMIN: {"*": frozenset({"view", "add", "change", "delete"})},
    Role.SUPERVISOR: {
        "registry.member": frozenset({"view", "add", "change"}),
        "registry.site": frozenset({"view", "add", "change"}),
        "registry.asset": frozenset({"view", "add", "change"}),
        "registry.assetmodel": frozenset({"view", "add", "change"}),
        # Only those of the teams they run; the others they read or do not see at all
        # (servicedesk/admin_reply_templates.py narrows it row by row).
        "servicedesk.replytemplate": frozenset({"view", "add", "change", "delete"}),
        "*": frozenset({"view"}),
    },
    Role.TECHNICIAN: {
        "registry.asset": frozenset({"view", "add", "change"}),
        "registry.assetmodel": frozenset({"view", "add"}),
        "*": frozenset({"view"}),
    },
    Role.DESK_AGENT: {"*": frozenset({"view"})},
}
# Nobody but operator admins sees or edits people, memberships and API tokens.
ADMIN_ONLY_MODELS = frozenset({"people.user", "people.membership", "people.apitoken", "people.loginattempt"})


def backoffice_allows(role: str, model_label: str, action: str) -> bool:
    if model_label in ADMIN_ONLY_MODELS and role != Role.OPERATOR_ADMIN:
        return False
    table = BACKOFFICE_PERMISSIONS.get(role, {})
    allowed = table.get(model_label, table.get("*", frozenset()))
    return action in allowed
