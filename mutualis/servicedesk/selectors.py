"""Reads of the service desk shared by pages and the API: lists, filters, pages, timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Window
from django.utils import timezone

from mutualis.lib.search import search
from mutualis.people.models import User
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset

from .models import Attachment, Category, Comment, Ticket, TicketEvent, TicketState
from .models.tickets import OPEN_STATES
from .sla import deadline_filter


class View:
    """Which of a member's tickets a list shows."""

    MINE = "mine"  # those I declared
    SITES = "sites"  # those of my sites (a site contact's whole view)
    MEMBER = "member"  # all of my member's
    ALL = "all"  # the operator's staff: every member's


# The value of the filter "counted" that keeps only the tickets counted as incidents.
COUNTED_INCIDENTS = "incidents"


def tickets_for(scope: Scope, view: str = "") -> QuerySet[Ticket]:
    """The tenancy door, then the person's chosen view of it."""
    tickets = Ticket.objects.visible_to(scope)
    if view == View.MINE and scope.user is not None:
        tickets = tickets.filter(requester=scope.user)
    return tickets


def default_view(scope: Scope) -> str:
    if scope.is_operator_staff:
        return View.ALL
    if scope.site_ids is not None:
        return View.SITES
    return View.MEMBER


def incidents(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets that count as incidents: a duplicate merged into another ticket is the
    same incident counted once (on the ticket it was merged into), and a cancelled ticket
    was declared by mistake."""
    return tickets.filter(merged_into__isnull=True).exclude(state=TicketState.CANCELLED)


def filter_tickets(tickets: QuerySet[Ticket], data: dict[str, Any], *, scope: Scope) -> QuerySet[Ticket]:
    """Apply list filters; values come from a validated form or serializer."""
    if data.get("state") == "open":
        tickets = tickets.filter(state__in=OPEN_STATES)
    elif data.get("state"):
        tickets = tickets.filter(state=data["state"])
    if data.get("priority"):
        tickets = tickets.filter(priority=data["priority"])
    for name in ("member", "site", "team", "incident_type"):
        if data.get(name):
            tickets = tickets.filter(**{name: data[name]})
    if data.get("category"):
        # A category and the categories under it, as `category_id IN (ids)`, the ids read
        # first from the small category table: the (member, category, id) index then serves
        # the page and its count, where `category = c OR category.parent = c` joined every
        # ticket of the member to its category (a 142 ms count at 1M tickets, bench/).
        category = getattr(data["category"], "pk", data["category"])  # a Category, or its id
        tickets = tickets.filter(
            category__in=list(
                Category.objects.filter(Q(pk=category) | Q(parent=category)).values_list("pk", flat=True)
            )
        )
    if data.get("site_kind"):
        tickets = tickets.filter(site__kind=data["site_kind"])
    assignee = data.get("assignee")
    if assignee == "me" and scope.user is not None:
        tickets = tickets.filter(assignee=scope.user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif isinstance(assignee, User):
        tickets = tickets.filter(assignee=assignee)
    if data.get("older_than_days"):
        tickets = tickets.filter(created_at__lt=timezone.now() - timedelta(days=int(data["older_than_days"])))
    if data.get("created_after"):
        tickets = tickets.filter(created_at__gte=start_of_day(data["created_after"]))
    if data.get("created_before"):
        tickets = tickets.filter(created_at__lt=start_of_day(data["created_before"] + timedelta(days=1)))
    if data.get("asset"):
        tickets = tickets.filter(assets=data["asset"])
    # The next three are set by the figures' links (insights' recurring failures), so that
    # the list shows exactly the tickets a figure counted.
    if data.get("exact_category"):  # the category alone, not the ones under it
        tickets = tickets.filter(category=data["exact_category"])
    if data.get("model"):
        # Naming equipment of the model that the person may see; a subquery rather than a
        # join, so that a ticket naming two tablets of the model is listed once. Not a
        # correlated EXISTS: without planner statistics (SQLite never gathers them, a fresh
        # PostgreSQL until autovacuum) it ran once per ticket from the model's thousands of
        # assets (7.6 s for the page, as much again for its count, at the demo's full
        # scale); this set of ticket ids is read once (under 50 ms), with or without them.
        named = Asset.objects.visible_to(scope).filter(model=data["model"]).values("tickets")
        tickets = tickets.filter(pk__in=named)
    if data.get("counted") == COUNTED_INCIDENTS:
        tickets = incidents(tickets)
    if data.get("deadline"):
        tickets = tickets.filter(deadline_filter(data["deadline"], timezone.now()))
    if data.get("q"):
        vectors = ["search_vector"]
        texts = ["search_text"]
        if scope.is_operator_staff:  # internal notes are searched for the staff only
            vectors.append("search_vector_internal")
            texts.append("search_internal")
        tickets = search(tickets, data["q"], vector_fields=vectors, text_fields=texts)
    return tickets


@dataclass
class Page:
    """A keyset page of a list ordered newest first (by id): cost does not grow with depth."""

    rows: list[Any]
    next_cursor: int | None
    previous_cursor: int | None
    total: int | None = None  # when counted with the page (see keyset_page's count_all)


def keyset_page(
    queryset: QuerySet[Any],
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = 50,
    count_all: bool = False,
    rows_from: QuerySet[Any] | None = None,
) -> Page:
    """`after`: rows older than this id (next page); `before`: rows newer (previous page).
    `rows_from`: where the page's rows are read by id (`rows_by_ids`).

    The page is read in two steps: the ids, by the list's filters alone, then those rows
    with what the list shows (`queryset`'s select_related). In one query the planner joined
    the related tables before sorting and cutting, which costs its join search on every
    list, and when it misjudged how many rows match (a full-text search matching thousands
    of a member's tickets, estimated at one) it joined them all row by row. At a million
    tickets (bench/, docs/benchmarks-history.md) the list page went from 50 to 39 ms and such a
    search from 99 to 69 ms."""
    ids = queryset.values_list("pk", flat=True)
    if before is not None:
        found = list(ids.filter(pk__gt=before).order_by("pk")[: size + 1])
        has_more = len(found) > size
        rows = rows_by_ids(queryset, list(reversed(found[:size])), rows_from=rows_from)
        return Page(
            rows, next_cursor=rows[-1].pk if rows else None, previous_cursor=rows[0].pk if has_more else None
        )
    ordered = ids.order_by("-pk")
    total = None
    if count_all and after is None:
        # A search reads all its matches anyway (to sort them); counting them in the same
        # query saves reading them a second time for the count (10 ms at a million tickets).
        counted = list(ordered.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[: size + 1])
        found = [pk for pk, _count in counted]
        total = counted[0][1] if counted else 0
    else:
        if after is not None:
            ordered = ordered.filter(pk__lt=after)
        found = list(ordered[: size + 1])
    has_more = len(found) > size
    rows = rows_by_ids(queryset, found[:size], rows_from=rows_from)
    return Page(
        rows,
        next_cursor=rows[-1].pk if has_more else None,
        previous_cursor=rows[0].pk if after and rows else None,
        total=total,
    )


def rows_by_ids(
    queryset: QuerySet[Any], ids: list[int], *, rows_from: QuerySet[Any] | None = None
) -> list[Any]:
    """The rows of `ids`, in that order, read from `rows_from` if given (a queryset shaped
    for the page, e.g. `Ticket.objects.for_lists()`), else with what `queryset` fetches with
    them (its select_related, deferred fields and prefetches).

    By id alone: the ids came from `queryset` (its tenancy door and filters), and repeating
    its filters here re-ran a full-text search over thousands of matches for 50 known rows
    (13 ms of a 70 ms search page at a million tickets)."""
    if not ids:
        return []
    if rows_from is not None:
        fresh = rows_from.filter(pk__in=ids)
    else:
        fresh = queryset.model._default_manager.filter(pk__in=ids)
        fresh.query.select_related = queryset.query.select_related
        fresh.query.deferred_loading = queryset.query.deferred_loading
        fresh = fresh.prefetch_related(*queryset._prefetch_related_lookups)  # type: ignore[attr-defined]
    by_id = {row.pk: row for row in fresh}
    return [by_id[pk] for pk in ids if pk in by_id]


def capped_count(queryset: QuerySet[Any], cap: int = 10_000) -> tuple[int, bool]:
    """The count, stopping at `cap` (a list of a million tickets says "more than 10 000")."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap


@dataclass
class Entry:
    """One line of a ticket's timeline: an event, or a comment with its files."""

    at: datetime
    kind: str  # "event" or "comment"
    event: TicketEvent | None = None
    comment: Comment | None = None
    files: list[Attachment] = field(default_factory=list)
    attachment: Attachment | None = None  # the file an "attachment" event is about

    @property
    def internal(self) -> bool:
        if self.comment is not None:
            return self.comment.internal
        return self.event is not None and not self.event.public


def timeline(ticket: Ticket, *, staff: bool) -> list[Entry]:
    """Events and comments in time order; members see neither internal notes nor their files."""
    events = ticket.events.select_related("actor")
    comments = ticket.comments.select_related("author")
    files = ticket.attachments.all()
    if not staff:
        events = events.filter(public=True)
        comments = comments.filter(internal=False)
        files = files.filter(internal=False)
    by_comment: dict[int, list[Attachment]] = {}
    by_pk: dict[str, Attachment] = {}
    for attachment in files:
        by_pk[str(attachment.pk)] = attachment
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    # Files sent with a comment are shown with it, not as a line of their own.
    with_comments = {str(a.pk) for attached in by_comment.values() for a in attached}
    entries = [
        Entry(
            at=e.at,
            kind="event",
            event=e,
            attachment=by_pk.get(e.new_value) if e.kind == "attachment" else None,
        )
        for e in events
        if not (e.kind == "attachment" and e.new_value in with_comments)
    ]
    entries += [
        Entry(at=c.created_at, kind="comment", comment=c, files=by_comment.get(c.pk, [])) for c in comments
    ]
    return sorted(entries, key=lambda entry: (entry.at, entry.kind == "comment"))


def ticket_files(ticket: Ticket, *, staff: bool) -> QuerySet[Attachment]:
    files = ticket.attachments.all()
    return files if staff else files.filter(internal=False)


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in the current time zone: a range on `created_at` that an index
    on it serves, where `created_at__date` computes a date for every row."""
    return timezone.make_aware(datetime.combine(day, time.min))


# A declaration sent again within this delay, word for word, is the same one sent twice:
# the back button after sending, a second press on a slow connection.
RESENT_WITHIN = timedelta(minutes=10)


def resent_declaration(
    scope: Scope,
    *,
    requester: User,
    site_id: int,
    incident_type_id: int,
    title: str,
    description: str,
    answers: list[dict[str, Any]],
    file_digests: list[str],
) -> Ticket | None:
    """The ticket, still open and just declared, that a declaration repeats word for word,
    with no file it does not already hold; None when the declaration is a new one."""
    recent = (
        Ticket.objects.visible_to(scope)
        .filter(
            requester=requester,
            site_id=site_id,
            incident_type_id=incident_type_id,
            title=" ".join(title.split())[:200],  # as open_ticket records them
            description=description.strip(),
            state__in=OPEN_STATES,
            created_at__gte=timezone.now() - RESENT_WITHIN,
        )
        .order_by("-created_at")
    )
    for ticket in recent[:5]:
        if ticket.answers != answers:
            continue
        # A converted photo is known by the file as sent too (its JPEG has another digest).
        held = {digest for pair in ticket.attachments.values_list("sha256", "sent_sha256") for digest in pair}
        if held.issuperset(file_digests):
            return ticket
    return None


def resent_comment(
    ticket: Ticket, *, body: str, by: User | None, internal: bool, file_digests: list[str]
) -> Comment | None:
    """The ticket's last message, when `body` repeats it word for word: the same person's,
    as public or as internal, within RESENT_WITHIN, with no file it does not already hold (a
    form sent twice, a client retrying). None when the message is a new one, such as the
    same words after someone else's."""
    last = ticket.comments.order_by("-created_at", "-id").first()
    if (
        by is None
        or last is None
        or last.author_id != by.pk
        or last.internal != internal
        or last.body != body.strip()  # as post_comment records it
        or last.created_at < timezone.now() - RESENT_WITHIN
    ):
        return None
    held = {digest for pair in last.attachments.values_list("sha256", "sent_sha256") for digest in pair}
    return last if held.issuperset(file_digests) else None
