"""Writes of the service desk. Pages, the API, commands (and later email and alert rules)
call these verbs; none writes ticket tables another way."""

from .conversation import add_note, reply
from .declaring import Declaration, declare, open_ticket
from .handling import (
    assign,
    bulk_assign,
    change_priority,
    close_resolved,
    link_asset,
    merge,
    reclassify,
    route_to_team,
    take,
    transition,
    unlink_asset,
)

__all__ = [
    "Declaration",
    "add_note",
    "assign",
    "bulk_assign",
    "change_priority",
    "close_resolved",
    "declare",
    "link_asset",
    "merge",
    "open_ticket",
    "reclassify",
    "reply",
    "route_to_team",
    "take",
    "transition",
    "unlink_asset",
]
