"""A digest of the demo operator's rows by their natural fields (never by primary key), to
tell whether two generations produced the same data."""

from __future__ import annotations

import hashlib
from typing import Any

from mutualis.people.models import Membership, User
from mutualis.registry.models import Asset, AssetStatusChange, Member, MemberService, Operator, Site
from mutualis.servicedesk.models import Comment, IncidentType, Ticket, TicketEvent

# Event values that are primary keys (users, assets, teams) differ between two runs; their
# labels say the same thing by natural fields.
KEYED_EVENTS = {"assignee", "asset_linked", "asset_unlinked", "team", "category", "incident_type"}


def _rows(queryset: Any, *fields: str) -> list[str]:
    return sorted(repr(row) for row in queryset.values_list(*fields))


def _desk(operator: Operator) -> dict[str, list[str]]:
    tickets = Ticket.objects.filter(operator=operator)
    answers = [
        repr((number, [(a["key"], a["display"]) for a in rows]))
        for number, rows in tickets.values_list("number", "answers")
    ]
    events = [
        repr((number, at, kind, actor, label_old, label_new) + (() if kind in KEYED_EVENTS else (old, new)))
        for number, at, kind, actor, old, new, label_old, label_new in TicketEvent.objects.filter(
            ticket__operator=operator
        ).values_list(
            "ticket__number", "at", "kind", "actor__email", "old_value", "new_value", "old_label", "new_label"
        )
    ]
    return {
        "catalogue": _rows(
            IncidentType.objects.filter(operator=operator),
            "category__name", "name", "default_priority", "default_team__code", "asset_type__code",
            "site_kinds__code", "fields__key", "fields__kind", "fields__choices",
        ),
        "tickets": _rows(
            tickets,
            "number", "site__name", "site__member__siren", "incident_type__name", "title", "description",
            "priority", "state", "team__code", "assignee__email", "requester__email", "channel",
            "merged_into__number", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
            "search_text", "search_internal", "assets__inventory_tag",
        ),
        "answers": sorted(answers),
        "events": sorted(events),
        "comments": _rows(
            Comment.objects.filter(ticket__operator=operator),
            "ticket__number", "author__email", "body", "internal", "channel", "created_at",
        ),
    }  # fmt: skip


def demo_digest(operator: Operator) -> str:
    members = Member.objects.filter(operator=operator)
    sites = Site.objects.filter(operator=operator)
    assets = Asset.objects.filter(operator=operator)
    memberships = Membership.objects.filter(operator=operator)
    tables = {
        "members": _rows(
            members,
            "kind", "establishment_type", "name", "siren", "commune__code", "epci__code",
            "departement__code", "parent__siren", "joined_on", "left_on", "email", "phone",
        ),
        "subscriptions": _rows(
            MemberService.objects.filter(member__operator=operator), "member__siren", "service__code", "since", "until"
        ),
        "sites": _rows(
            sites,
            "member__siren", "kind__code", "name", "code", "address", "postal_code", "commune__code",
            "latitude", "longitude", "opening_hours", "phone",
        ),
        "assets": _rows(
            assets,
            "inventory_tag", "site__member__siren", "site__name", "asset_type__code", "model__manufacturer",
            "model__name", "serial_number", "label", "status", "status_changed_at", "acquired_on",
            "acquisition_cost", "warranty_ends_on", "parent__inventory_tag",
        ),
        "history": _rows(
            AssetStatusChange.objects.filter(asset__operator=operator),
            "asset__inventory_tag", "from_status", "to_status", "changed_at", "note", "changed_by__email",
        ),
        "users": _rows(
            User.objects.filter(memberships__operator=operator).distinct(), "email", "full_name", "date_joined"
        ),
        "memberships": _rows(
            memberships, "user__email", "member__siren", "role", "job_title", "sites__member__siren", "sites__name"
        ),
        **_desk(operator),
    }  # fmt: skip
    digest = hashlib.sha256()
    for name, rows in tables.items():
        digest.update(name.encode())
        for row in rows:
            digest.update(row.encode())
    return digest.hexdigest()
