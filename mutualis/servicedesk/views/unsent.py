"""What was typed in the ticket page's other writing box when one box was sent.

The public reply's and the internal note's boxes are one form (ticket.py, WRITING_FORM):
each box's button posts both, and its view reads its own box only, then redirects
(POST/redirect/GET). The other box's text would be lost on the way: it is kept in the
session, for that ticket, that person and that box, and the next GET of the ticket's page
shows it back in the same box, once. Its files cannot be kept (no page refills a file
box): their names are kept, for that box to ask for them again. A box's text only ever goes
back into its own box: a note never comes back in the public reply's box.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from mutualis.people.tenancy import ScopedRequest

from ..forms import BODY_MAX_LENGTH, chosen_names
from ..models import Ticket
from .reply_templates import NOTE, REPLY

SESSION_KEY = "servicedesk.unsent"
# The page that follows a send reads what was kept at once; should it never be loaded (a
# tab closed meanwhile), the session still keeps no more than this many tickets' texts.
MOST_TICKETS = 10


@dataclass(frozen=True)
class Unsent:
    text: str
    files: list[str]  # the names of the files that were chosen, to be chosen again


def keep_other_box(request: ScopedRequest, ticket: Ticket, *, sent: str, other_shown: bool) -> str:
    """After the `sent` box of `ticket`'s page was sent, keep what the other box (if the
    page had it: `other_shown`) was posted with, and return what to say about it (or "")."""
    other = NOTE if sent == REPLY else REPLY
    kept = {
        key: entry for key, entry in request.session.get(SESSION_KEY, {}).items() if key != str(ticket.pk)
    }
    # A browser types no more than the box takes (its `maxlength`): only a forged post holds
    # more, and the session, read on each request, keeps no more than that.
    text = request.POST.get(f"{other}-body", "")[:BODY_MAX_LENGTH]
    files = chosen_names(request.FILES.getlist(f"{other}-files"))
    said = ""
    if other_shown and (text.strip() or files):
        kept[str(ticket.pk)] = {"user": request.user.pk, "box": other, "text": text, "files": files}
        said = (
            _("The internal note you were writing is not added yet: it is still in its box.")
            if other == NOTE
            else _("The reply you were writing is not sent yet: it is still in its box.")
        )
    if kept:
        request.session[SESSION_KEY] = dict(list(kept.items())[-MOST_TICKETS:])
    else:
        request.session.pop(SESSION_KEY, None)
    return said


def take_kept(request: ScopedRequest, ticket: Ticket, *, shown: list[str]) -> dict[str, Unsent]:
    """What was kept for `ticket`'s page by this person ({box: Unsent}), no longer kept:
    only for a box among those the page `shown`s, the others left for a page that has them."""
    kept = request.session.get(SESSION_KEY) or {}
    entry = kept.get(str(ticket.pk))
    if entry is None:
        return {}
    mine = entry["user"] == request.user.pk
    if mine and entry["box"] not in shown:
        return {}
    del kept[str(ticket.pk)]
    if kept:
        request.session.modified = True
    else:
        del request.session[SESSION_KEY]
    if not mine:
        return {}
    return {entry["box"]: Unsent(text=entry["text"], files=entry["files"])}
