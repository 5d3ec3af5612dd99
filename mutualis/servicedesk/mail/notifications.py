"""Who is told what about a ticket: the verbs announce their changes here.

Each `announce_*` runs inside the verb's transaction. It picks the recipients, drops the
person who made the change, those who switched the notification off and those who may
not see the ticket, renders the email in each recipient's language, writes it to the
outbox (OutboundEmail) and enqueues the job that sends it (`outbound.send_email`). If the
change is rolled back, so are its emails; if the mail server is down, the job retries.
A new ticket's notices are the exception: the declaration queues a job that writes them
(`announce_created`), so that declaring does not wait for a team's worth of emails; they
are due from the declaration, and leave before those of any change made meanwhile.

What never happens: a member reading an internal note (only public replies are
announced, and only their text is put in an email), a member user hearing about a ticket
of a site they do not see, an operator's staff hearing about another operator's ticket.
The one exception to "never tell the person who made the change" is the acknowledgement
of a new ticket: it is the requester's receipt, with its number and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation

from mutualis.jobs import enqueue, enqueue_many, task
from mutualis.people.models import Membership, User
from mutualis.people.roles import OPERATOR_ROLES, Role

from ..models import (
    DeskSettings,
    EmailTemplate,
    NotificationEvent,
    OutboundEmail,
    OutboundState,
    Priority,
    Ticket,
    TicketState,
)
from . import identity, texts
from .outbound import MAX_ATTEMPTS, SEND_EMAIL
from .preferences import disabled_among
from .rendering import render_wording

if TYPE_CHECKING:
    from ..models import Comment

E = NotificationEvent
# The job writing a new ticket's notices (see announce_created).
ANNOUNCE_CREATED = "servicedesk.announce_created"
STATE_EVENTS = (E.STATE_CHANGED, E.RESOLVED)
# A member is not told their ticket went back to the queue: that is the operator's business.
UNANNOUNCED_STATES = frozenset({TicketState.NEW})


class SlaAlertLike(Protocol):
    """What `notify_sla_alerts` reads of an alert of the service levels' sweep."""

    @property
    def ticket_id(self) -> int: ...
    @property
    def target(self) -> str: ...  # "take_charge" or "resolve"
    @property
    def level(self) -> str: ...  # "warning" or "breach"
    @property
    def due_at(self) -> datetime: ...


# Public verbs' hooks ---------------------------------------------------------------------


def announce_created(ticket: Ticket, *, by: User | None) -> None:
    """A new ticket: its notices are written by a job (`write_created_notices`), queued in
    the declaration's transaction. Writing them there cost a declaration two thirds of its
    time (rendering each recipient's email, a team of any size: docs/benchmarks-history.md), while
    the emails leave through jobs anyway: the acknowledgement arrives as soon as before,
    and the person declaring no longer waits for it."""
    enqueue(
        ANNOUNCE_CREATED,
        operator_id=ticket.operator_id,
        ticket_id=ticket.pk,
        by_id=by.pk if by is not None else None,
    )


@task(ANNOUNCE_CREATED, max_attempts=MAX_ATTEMPTS)
def write_created_notices(*, ticket_id: int, by_id: int | None) -> list[OutboundEmail]:
    """The requester's acknowledgement of a new ticket, and a notice to the team's members.
    Nothing for a ticket deleted meanwhile, nor a second time if the job runs again (a
    worker lost after writing them)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return []
        if OutboundEmail.objects.filter(ticket=ticket, event__in=(E.CREATED, E.TEAM_NEW_TICKET)).exists():
            return []
        by = User.objects.filter(pk=by_id).first() if by_id is not None else None
        ticket = _fresh(ticket)
        # Due from the declaration: workers take due jobs oldest first, so these leave
        # before the email of a change made meanwhile ("in progress" after "received").
        contexts: dict[str, dict[str, str]] = {}
        due = ticket.created_at
        requester = _member_side(ticket, [ticket.requester])
        emails = _queue(ticket, E.CREATED, requester, by=None, contexts=contexts, send_from=due)
        team = _team_members(ticket)
        emails += _queue(ticket, E.TEAM_NEW_TICKET, team, by=by, contexts=contexts, send_from=due)
        return emails


def announce_reply(
    ticket: Ticket, comment: Comment, *, by: User | None, as_staff: bool
) -> list[OutboundEmail]:
    """A public reply: the operator's to the requester; a member's to the technician
    handling the ticket, or to its team when nobody has it yet. Internal notes: nothing."""
    if comment.internal:
        return []
    ticket = _fresh(ticket)
    extra = {"reply": comment.body, "author": _name(comment.author)}
    if not as_staff:
        people = [ticket.assignee] if ticket.assignee_id else _team_members(ticket)
        return _queue(ticket, E.MEMBER_REPLY, _staff_side(ticket, people), by=by, extra=extra)
    emails = []
    for person in _member_side(ticket, [ticket.requester]):
        # A reply written with a change of state (resolve "with a message") joins the
        # state's email still waiting in the outbox: one email, not two. A second reply
        # gets its own email rather than replace the first.
        pending = _pending_state_email(ticket, person)
        if pending is not None and not pending.context.get("reply"):
            _rerender(pending, extra)
            emails.append(pending)
        else:
            emails += _queue(ticket, E.STAFF_REPLY, [person], by=by, extra=extra)
    return emails


def announce_state(ticket: Ticket, *, old: str, new: str, by: User | None) -> list[OutboundEmail]:
    """A change of state, told to the requester. Several changes before the email leaves
    (assigned then in progress, in one "take") update that email rather than add one."""
    if new in UNANNOUNCED_STATES or old == new:
        return []
    ticket = _fresh(ticket)
    event = E.RESOLVED if new == TicketState.RESOLVED else E.STATE_CHANGED
    emails = []
    for person in _member_side(ticket, [ticket.requester]):
        if person == by or person.pk in disabled_among([person.pk], event):
            continue
        pending = _pending_state_email(ticket, person)
        if pending is not None:
            pending.event = event
            _rerender(pending, _state_context(ticket, pending.language, new))
            emails.append(pending)
            continue
        extra = {"previous_state": _state_label(old, _language(person))}
        emails += _queue(ticket, event, [person], by=by, extra=extra)
    return emails


def announce_assigned(ticket: Ticket, *, assignee: User | None, by: User | None) -> list[OutboundEmail]:
    """A technician is given a ticket (by someone else)."""
    if assignee is None:
        return []
    ticket = _fresh(ticket)
    extra = {"author": _name(by)}
    return _queue(ticket, E.ASSIGNED, _staff_side(ticket, [assignee]), by=by, extra=extra)


@transaction.atomic
def notify_sla_alerts(alerts: Iterable[SlaAlertLike]) -> list[OutboundEmail]:
    """Deadline warnings and breaches found by the service levels' sweep (sla.sweep): to
    the technician, the team's members and lead, and the operator's supervisors (each may
    switch warnings off). Each alert is told once per call: the sweep returns each once."""
    emails: list[OutboundEmail] = []
    for alert in alerts:
        ticket = (
            Ticket.objects.with_list_related().select_related("operator").filter(pk=alert.ticket_id).first()
        )
        if ticket is None:
            continue
        event = E.SLA_BREACH if str(alert.level) == "breach" else E.SLA_WARNING
        supervisors = User.objects.filter(
            memberships__operator_id=ticket.operator_id,
            memberships__member__isnull=True,
            memberships__role=Role.SUPERVISOR,
            memberships__is_active=True,
        )
        lead = ticket.team.lead if ticket.team else None
        people = [ticket.assignee, *_team_members(ticket), lead, *supervisors]
        emails += _queue(ticket, event, _staff_side(ticket, people), by=None, per_language=_deadline(alert))
    return emails


def _deadline(alert: SlaAlertLike) -> Callable[[str], dict[str, str]]:
    """The alert's variables, in a recipient's language."""
    target = str(alert.target)

    def words(language: str) -> dict[str, str]:
        return {
            "deadline": texts.DEADLINES[language].get(target, target),
            "due_at": _when(alert.due_at, language),
        }

    return words


# Recipients ------------------------------------------------------------------------------


def _fresh(ticket: Ticket) -> Ticket:
    """The ticket with what emails name, read once (verbs hand over a locked bare row)."""
    return (
        Ticket.objects.with_list_related()
        .select_related("operator", "requester", "category__parent")
        .get(pk=ticket.pk)
    )


def _team_members(ticket: Ticket) -> list[User]:
    if ticket.team is None or not ticket.team.is_active:
        return []
    return list(ticket.team.members.all())


def _member_side(ticket: Ticket, people: Iterable[User | None]) -> list[User]:
    """Those of `people` who, as users of the ticket's member, see it (a site contact: a
    ticket of their sites). The operator's staff get staff notifications, not these."""
    ids = {p.pk for p in people if p is not None}
    if not ids:
        return []
    follows = Membership.objects.active().filter(user_id__in=ids, member_id=ticket.member_id)
    follows = follows.filter(~Q(role=Role.SITE_CONTACT) | Q(sites=ticket.site_id))
    allowed = set(follows.values_list("user_id", flat=True))
    return [p for p in people if p is not None and p.pk in allowed]


def _staff_side(ticket: Ticket, people: Iterable[User | None]) -> list[User]:
    """Those of `people` who are, still, active staff of the ticket's operator."""
    ids = {p.pk for p in people if p is not None}
    if not ids:
        return []
    allowed = set(
        Membership.objects.active()
        .filter(
            user_id__in=ids,
            operator_id=ticket.operator_id,
            member__isnull=True,
            role__in=OPERATOR_ROLES,
        )
        .values_list("user_id", flat=True)
    )
    return [p for p in people if p is not None and p.pk in allowed]


def _pending_state_email(ticket: Ticket, person: User) -> OutboundEmail | None:
    """The state email to `person` no job has tried to send yet, locked: the job sending
    it waits, or it is already sent and no longer found."""
    return (
        OutboundEmail.objects.select_for_update()
        .filter(
            ticket=ticket,
            recipient=person,
            state=OutboundState.QUEUED,
            attempts=0,
            event__in=STATE_EVENTS,
        )
        .order_by("-id")
        .first()
    )


# Writing the outbox ------------------------------------------------------------------------


def _queue(
    ticket: Ticket,
    event: str,
    people: Iterable[User],
    *,
    by: User | None,
    extra: dict[str, str] | None = None,
    per_language: Callable[[str], dict[str, str]] | None = None,
    contexts: dict[str, dict[str, str]] | None = None,
    send_from: datetime | None = None,
) -> list[OutboundEmail]:
    """Write one email per person (once each) and enqueue its sending: one read of the
    operator's templates for the event, one INSERT of the emails and one of their jobs,
    however many people (a team of twenty hears of a new ticket in the same few queries).
    `contexts`: the ticket's variables by language, shared by the calls of one verb;
    `send_from`: when the sending is due (default: now), which orders it among the others."""
    chosen: dict[int, User] = {}
    for person in people:
        if person.pk in chosen or (by is not None and person.pk == by.pk):
            continue
        if not person.is_active or not person.email:
            continue
        chosen[person.pk] = person
    for user_id in disabled_among(list(chosen), event):
        del chosen[user_id]
    if not chosen:
        return []
    if contexts is None or per_language is not None:
        contexts = {}
    wordings = _wordings(ticket.operator_id, event)
    emails = []
    for person in chosen.values():
        language = _language(person)
        if language not in contexts:
            contexts[language] = ticket_context(ticket, language)
            if per_language is not None:
                contexts[language].update(per_language(language))
        context = {**contexts[language], **(extra or {}), "recipient": _name(person)}
        subject, body = render_event(ticket.operator_id, event, language, context, wording=wordings[language])
        emails.append(
            OutboundEmail(
                operator_id=ticket.operator_id,
                ticket=ticket,
                event=event,
                recipient=person,
                to=person.email,
                language=language,
                subject=subject[:250],
                body=body,
                context=context,
                message_id=identity.message_id(ticket.operator_id, ticket.number),
            )
        )
    emails = OutboundEmail.objects.bulk_create(emails)
    enqueue_many(
        SEND_EMAIL,
        [{"email_id": email.pk} for email in emails],
        run_at=send_from,
        operator_id=ticket.operator_id,
    )
    return emails


def _rerender(email: OutboundEmail, changes: dict[str, str]) -> None:
    """Update a queued email with newer facts (its job, already enqueued, sends it)."""
    email.context = {**email.context, **changes}
    email.subject, email.body = render_event(email.operator_id, email.event, email.language, email.context)
    email.subject = email.subject[:250]
    email.save(update_fields=["event", "context", "subject", "body"])


def _wordings(operator_id: int, event: str) -> dict[str, texts.Wording]:
    """The wording of `event` in each language: the operator's template, else the default."""
    wordings = {language: texts.default_wording(event, language) for language in texts.LANGUAGES}
    for custom in EmailTemplate.objects.filter(operator_id=operator_id, event=event):
        if custom.language in wordings:
            wordings[custom.language] = texts.Wording(custom.subject, custom.body)
    return wordings


def render_event(
    operator_id: int,
    event: str,
    language: str,
    context: dict[str, Any],
    *,
    wording: texts.Wording | None = None,
) -> tuple[str, str]:
    """Subject and text of one notification: the operator's template for the language,
    else the default (`wording`, when the caller read it already); the text starts with
    the reply marker and ends with the footer."""
    language = texts.language_of(language)
    if wording is None:
        wording = _wordings(operator_id, event)[language]
    subject, body = render_wording(wording, context)
    footer = texts.FOOTER[language].format(
        operator=context.get("operator", ""), preferences_url=preferences_url()
    )
    return subject, f"{identity.REPLY_ABOVE}\n\n{body}\n\n{footer}\n"


# The variables -----------------------------------------------------------------------------


def ticket_context(ticket: Ticket, language: str) -> dict[str, str]:
    """The ticket as templates see it: strings in `language` (see rendering.VARIABLES)."""
    with translation.override(language):
        return {
            "number": str(ticket.number),
            "title": ticket.title,
            "description": ticket.description,
            "state": _state_label(ticket.state, language),
            "state_code": ticket.state,
            "previous_state": "",
            "site": ticket.site.name,
            "member": ticket.member.name,
            "category": ticket.category.path,
            "priority": str(Priority(ticket.priority).label),
            "team": ticket.team.name if ticket.team else "",
            "assignee": _name(ticket.assignee),
            "requester": _name(ticket.requester),
            "author": "",
            "reply": "",
            "url": ticket_url(ticket),
            "created_at": _when(ticket.created_at, language),
            # Service levels add these to tickets that have one (issue 4, SLAs).
            "take_charge_due": _when(getattr(ticket, "take_charge_due", None), language),
            "resolve_due": _when(getattr(ticket, "resolve_due", None), language),
            "reopen_days": str(DeskSettings.for_operator(ticket.operator_id).reopen_days),
            "survey_url": _survey_url(ticket) if ticket.state == TicketState.RESOLVED else "",
            "deadline": "",
            "due_at": "",
            "operator": ticket.operator.name,
        }


def _state_context(ticket: Ticket, language: str, state: str) -> dict[str, str]:
    return {
        "state": _state_label(state, language),
        "state_code": state,
        "survey_url": _survey_url(ticket) if state == TicketState.RESOLVED else "",
        "assignee": _name(ticket.assignee),
    }


def _survey_url(ticket: Ticket) -> str:
    # Imported here: satisfaction reads tickets through the verbs that announce here.
    from mutualis.servicedesk.satisfaction import survey_url

    return survey_url(ticket)


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("servicedesk:ticket-detail", args=[ticket.number])


def preferences_url() -> str:
    return settings.SITE_URL + reverse("servicedesk:notification-preferences")


def _state_label(state: str, language: str) -> str:
    with translation.override(language):
        return str(TicketState(state).label) if state in TicketState.values else state


def _when(moment: datetime | None, language: str) -> str:
    if moment is None:
        return ""
    with translation.override(language):
        text = formats.date_format(timezone.localtime(moment), texts.DATETIME_FORMATS[language])
    # The catalogue capitalises day names (for column headers); in a French sentence they
    # are lower case: "le lundi 4 mars".
    return text[:1].lower() + text[1:] if language == "fr" else text


def _language(person: User) -> str:
    return texts.language_of(getattr(person, "language", None))


def _name(person: User | None) -> str:
    if person is None:
        return ""
    return person.full_name or person.email
