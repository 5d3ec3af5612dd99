"""A ticket's timeline in words: what each recorded change says to the person reading it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Attachment, AttachmentState, Priority, TicketEvent, TicketEventKind, TicketState
from ..selectors import Entry
from .service_level import deadline_text, escalation_text

K = TicketEventKind


def _state(value: str) -> str:
    # A value recorded before the choices changed is shown as it was stored.
    return str(TicketState(value).label) if value in TicketState.values else value


def _priority(value: str) -> str:
    return str(Priority(int(value)).label) if value.isdigit() and int(value) in Priority.values else value


def event_text(event: TicketEvent, attachment: Attachment | None = None) -> str:
    kind, old, new = event.kind, event.old_label, event.new_label
    if kind == K.CREATED:
        return _("Declared.")
    if kind == K.STATE:
        return _("State: %(old)s → %(new)s.") % {
            "old": _state(event.old_value),
            "new": _state(event.new_value),
        }
    if kind == K.PRIORITY:
        return _("Priority: %(old)s → %(new)s.") % {
            "old": _priority(event.old_value),
            "new": _priority(event.new_value),
        }
    if kind == K.ASSIGNEE:
        return _("Assigned to %(name)s.") % {"name": new} if new else _("No longer assigned to anyone.")
    if kind == K.TEAM:
        return _("Given to the team %(team)s.") % {"team": new} if new else _("No longer given to a team.")
    if kind == K.CATEGORY:
        return _("Category: %(old)s → %(new)s.") % {"old": old, "new": new}
    if kind == K.INCIDENT_TYPE:
        return _("Incident type: %(old)s → %(new)s.") % {"old": old, "new": new}
    if kind == K.ASSET_LINKED:
        return _("Equipment %(tag)s linked.") % {"tag": new}
    if kind == K.ASSET_UNLINKED:
        return _("Equipment %(tag)s unlinked.") % {"tag": old}
    if kind == K.MERGED_INTO:
        return _("Closed as a duplicate of n° %(number)s.") % {"number": event.new_value}
    if kind == K.MERGED_FROM:
        return _("n° %(number)s (“%(title)s”) was merged into this ticket.") % {
            "number": event.new_value,
            "title": new,
        }
    if kind == K.ATTACHMENT and old and attachment is not None and attachment.state != AttachmentState.READY:
        # Not converted yet, or never: the page says so beside it (includes/file.html).
        return _("File attached: %(name)s (the HEIC photo “%(sent)s”).") % {"name": new, "sent": old}
    if kind == K.ATTACHMENT and old:
        return _("File attached: %(name)s (the HEIC photo “%(sent)s”, converted to JPEG).") % {
            "name": new,
            "sent": old,
        }
    if kind == K.ATTACHMENT:
        return _("File attached: %(name)s.") % {"name": new}
    if kind == K.RATED:
        return _("Satisfaction rated %(rating)s out of 5.") % {"rating": event.new_value}
    if kind == K.DEADLINE:
        return deadline_text(event.old_value, event.new_value)
    if kind == K.ESCALATED:
        return escalation_text(event.old_value, event.new_value)
    return str(TicketEventKind(kind).label) if kind in K.values else kind


@dataclass
class Line:
    """One line of the timeline as the page shows it."""

    entry: Entry
    text: str = ""
    ticket_number: int | None = None  # another ticket this line points to (merges)


def lines(entries: list[Entry]) -> list[Line]:
    shown = []
    for entry in entries:
        event = entry.event
        if event is None:
            shown.append(Line(entry))
            continue
        number = None
        if event.kind in (K.MERGED_INTO, K.MERGED_FROM) and event.new_value.isdigit():
            number = int(event.new_value)
        shown.append(Line(entry, text=event_text(event, entry.attachment), ticket_number=number))
    return shown
