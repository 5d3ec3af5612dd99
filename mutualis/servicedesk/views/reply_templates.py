"""Reply templates on the ticket page, for the operator's staff: the list to choose from,
and the text of the one chosen, filled for this ticket.

Without JavaScript, choosing one is a GET of the ticket page (`?reply_template=12&into=note`)
that shows the page with the box filled in; with it, servicedesk/reply_templates.js puts the
same filled text at the cursor, keeping what was typed. Either way nothing is sent: the
agent reads, then sends the reply or adds the note as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404
from django.utils.translation import gettext as _

from mutualis.lib.numbers import whole_number
from mutualis.people.tenancy import ScopedRequest

from ..models import ReplyTemplate, Ticket
from ..reply_placeholders import fill

# Where a template can go: the public reply (when the ticket still takes replies) and the
# internal note (always, for staff).
REPLY, NOTE = "reply", "note"


@dataclass
class TemplatePicker:
    groups: list[tuple[str, list[ReplyTemplate]]]
    texts: dict[int, str]  # each template's text, filled for this ticket and this agent
    targets: list[tuple[str, str]]  # (value of `into`, the box's name)
    announcements: dict[str, str]  # what is said once inserted, per box; "{title}" to fill
    chosen: ReplyTemplate | None = None
    into: str = REPLY
    prefill: dict[str, str] = field(default_factory=dict)  # {box: text} for the forms' initial

    @property
    def inserted(self) -> str:
        """What the page says after a GET insertion, else nothing."""
        if self.chosen is None:
            return ""
        return self.announcements[self.into].replace("{title}", self.chosen.title)


def template_picker(request: ScopedRequest, ticket: Ticket, *, reply_box: bool) -> TemplatePicker | None:
    """The templates offered to the staff member on `ticket`'s page (None when there is
    none), and the one asked for by `?reply_template=`. An id that is not among those offered
    (another operator's, another team's, inactive, or none at all) is a 404, like any row
    the person may not see."""
    offered = list(ReplyTemplate.objects.offered_to(request.user).visible_to(request.scope))
    asked = request.GET.get("reply_template")
    if not offered:
        if asked is not None:
            raise Http404
        return None
    groups: list[tuple[str, list[ReplyTemplate]]] = []
    for template in offered:
        label = (
            _("Your team: %(team)s") % {"team": template.team.name} if template.team else _("For every team")
        )
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(template)
    targets = [(REPLY, _("Public reply"))] if reply_box else []
    targets.append((NOTE, _("Internal note")))
    picker = TemplatePicker(
        groups=groups,
        texts={t.pk: fill(t.body, ticket=ticket, agent=request.user) for t in offered},
        targets=targets,
        announcements={
            REPLY: _("“{title}” is in the public reply box: read it over, then send it."),
            NOTE: _("“{title}” is in the internal note box: read it over, then add the note."),
        },
    )
    if asked is not None:
        wanted = whole_number(asked)
        into = request.GET.get("into", REPLY)
        chosen = next((t for t in offered if t.pk == wanted), None)
        if chosen is None or into not in dict(targets):
            raise Http404
        picker.chosen, picker.into = chosen, into
        picker.prefill[into] = picker.texts[chosen.pk]
    return picker
