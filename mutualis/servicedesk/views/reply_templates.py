"""Reply templates on the ticket page, for the operator's staff: the list to choose from,
beside each box (the public reply, the internal note), and the text of the one chosen,
filled for this ticket.

The reply's and the note's boxes are one form of the page (ticket_detail.html), each box's
buttons posting it to that box's view. Each list's button (`insert_template`) posts it
there: without JavaScript, the page comes back with what was typed in both boxes, the
template's text after that of its own box, sending and saving nothing (`ticket_page(...,
inserting=...)`); each list is named after its box (`reply-template`, `note-template`), as
both are posted. With JavaScript, servicedesk/reply_templates.js puts the same filled text
at the cursor instead, and nothing is posted. Links of the earlier list, a GET of the page
(`?reply_template=12&into=note`), still fill the box. Either way the agent reads, then
sends the reply or adds the note as usual.
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
# internal note (always, for staff). Each is also its form's prefix.
REPLY, NOTE = "reply", "note"
# The name of the insert buttons, beside the reply's and the note's boxes.
INSERT = "insert_template"


def choice_name(box: str) -> str:
    """The name of the list of templates beside `box`, as its form fields are prefixed."""
    return f"{box}-template"


@dataclass
class TemplatePicker:
    groups: list[tuple[str, list[ReplyTemplate]]]
    texts: dict[int, str]  # each template's text, filled for this ticket and this agent
    targets: list[str]  # the boxes it is offered beside
    announcements: dict[str, str]  # what is said once inserted, per box; "{title}" to fill
    chosen: ReplyTemplate | None = None
    into: str = REPLY
    prefill: dict[str, str] = field(default_factory=dict)  # {box: text} for the forms' initial

    @property
    def inserted(self) -> str:
        """What the page says after an insertion by the server, else nothing. (Files chosen
        before it are asked for again at their own file box: `ticket_page`.)"""
        if self.chosen is None:
            return ""
        return self.announcements[self.into].replace("{title}", self.chosen.title)


def template_picker(
    request: ScopedRequest,
    ticket: Ticket,
    *,
    reply_box: bool,
    typed: dict[str, str],
    inserting: str | None = None,
) -> TemplatePicker | None:
    """The templates offered to the staff member on `ticket`'s page (None when there is
    none), and the one asked for: by the insert button beside the `inserting` box (a POST
    of that box's list, `choice_name`), else by `?reply_template=`; its text goes after what
    its box holds (`typed`, {box: text}). An id that is not among
    those offered (another operator's, another team's, inactive, or none at all), or a box
    the page does not have, is a 404, like any row the person may not see."""
    offered = list(ReplyTemplate.objects.offered_to(request.user).visible_to(request.scope))
    if inserting is not None:
        asked: str | None = request.POST.get(choice_name(inserting), "")
        into = inserting
    else:
        asked, into = request.GET.get("reply_template"), request.GET.get("into", REPLY)
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
    picker = TemplatePicker(
        groups=groups,
        texts={t.pk: fill(t.body, ticket=ticket, agent=request.user) for t in offered},
        targets=[REPLY, NOTE] if reply_box else [NOTE],
        announcements={
            REPLY: _("“{title}” is in the public reply box: read it over, then send it."),
            NOTE: _("“{title}” is in the internal note box: read it over, then add the note."),
        },
    )
    if asked is not None:
        wanted = whole_number(asked)
        chosen = next((t for t in offered if t.pk == wanted), None)
        if chosen is None or into not in picker.targets:
            raise Http404
        picker.chosen, picker.into = chosen, into
        picker.prefill[into] = after(typed.get(into, ""), picker.texts[chosen.pk])
    return picker


def after(typed: str, text: str) -> str:
    """What the agent typed, then the template's text, a blank line between them. (Browsers
    post a box's line breaks as CRLF, and show them back the same either way.)"""
    typed = typed.replace("\r\n", "\n").rstrip()
    return f"{typed}\n\n{text}" if typed else text
