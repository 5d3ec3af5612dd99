"""The demo's satisfaction ratings: about a third of the requesters who could answer did,
mostly pleased, some with a word, written in bulk after the tickets (desk_tickets.py).

The rows follow servicedesk.satisfaction's rules: only tickets resolved or closed (not
merged), declared by a person of the member; answered after the last resolution and,
for a closed ticket, before its closing; each answer is a "rated" line of the timeline,
and the ticket's "last change" when it is the latest.
"""

from __future__ import annotations

import datetime as dt

from mutualis.people.models import Membership
from mutualis.servicedesk.models import (
    RatingChannel,
    SatisfactionRating,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.satisfaction.rating import RATE_WITHIN_DAYS

from .context import DemoContext
from .draw import PARIS

ANSWERED = 0.30  # what satisfaction surveys of public service desks get, give or take
# Mostly satisfied, as people whose problem was solved tend to be; a tail of unhappy ones.
WEIGHTS = {5: 47, 4: 31, 3: 11, 2: 6, 1: 5}
DELAY_SECONDS = 10 * 3600  # the mean time to answer: the email is read the same day
BY_LINK = 0.65  # most answer from the email rather than the portal
# The unhappy explain themselves more often than the happy.
COMMENTED = {5: 0.2, 4: 0.25, 3: 0.45, 2: 0.7, 1: 0.8}
COMMENTS = {
    5: [
        "Intervention rapide et efficace, merci !",
        "Technicien très aimable, problème réglé dans la journée.",
        "Parfait, tout fonctionne de nouveau.",
        "Merci pour la réactivité, les élèves ont pu reprendre le cours.",
        "Très bon suivi, on a été prévenus à chaque étape.",
    ],
    4: [
        "Bien, même si le délai était un peu long.",
        "Problème résolu, merci. Un appel avant de passer aurait été apprécié.",
        "Efficace une fois le technicien sur place.",
        "Satisfaits dans l’ensemble.",
    ],
    3: [
        "Résolu, mais il a fallu relancer deux fois.",
        "Le délai d’intervention est trop long pour une école.",
        "Ça marche de nouveau, sans qu’on sache ce qui s’est passé.",
    ],
    2: [
        "Trois semaines pour remplacer un écran, c’est beaucoup trop.",
        "On nous a demandé plusieurs fois les mêmes informations.",
        "La panne est revenue le lendemain.",
    ],
    1: [
        "Personne n’est venu, la demande a été close sans nous prévenir.",
        "Toujours en panne malgré la clôture du ticket.",
        "Aucune réponse pendant dix jours.",
    ],
}
RATINGS, CUMULATIVE = list(WEIGHTS), [sum(list(WEIGHTS.values())[: i + 1]) for i in range(len(WEIGHTS))]


def build_ratings(ctx: DemoContext) -> int:
    """Draw and write the ratings of the demo's resolved tickets; return how many."""
    rng = ctx.rng
    now = dt.datetime.combine(ctx.today, dt.time(0), tzinfo=PARIS)
    people = Membership.objects.filter(operator=ctx.operator, member__isnull=False).values("user_id")
    candidates = (
        Ticket.objects.filter(
            operator=ctx.operator,
            state__in=(TicketState.RESOLVED, TicketState.CLOSED),
            merged_into__isnull=True,
            requester__in=people,
        )
        .order_by("pk")
        .values_list("pk", "requester_id", "team_id", "resolved_at", "closed_at", "updated_at")
    )
    ratings, events, touched = [], [], []
    for pk, requester, team, resolved_at, closed_at, updated_at in candidates.iterator(chunk_size=2000):
        if rng.random() >= ANSWERED or resolved_at is None:
            continue
        # Within hours mostly, before the ticket closes and before the reference moment.
        until = min(closed_at or now, now, resolved_at + dt.timedelta(days=RATE_WITHIN_DAYS))
        span = (until - resolved_at).total_seconds()
        if span < 60:
            continue
        delay = rng.expovariate(1 / DELAY_SECONDS)
        if delay >= span:
            delay = span * rng.random()
        at = resolved_at + dt.timedelta(seconds=delay)
        rating = rng.choices(RATINGS, cum_weights=CUMULATIVE)[0]
        comment = rng.choice(COMMENTS[rating]) if rng.random() < COMMENTED[rating] else ""
        channel = RatingChannel.EMAIL_LINK if rng.random() < BY_LINK else RatingChannel.WEB
        ratings.append(
            SatisfactionRating(
                ticket_id=pk,
                rating=rating,
                comment=comment,
                rated_by_id=requester,
                channel=channel,
                team_id=team,
                created_at=at,
                updated_at=at,
            )
        )
        events.append(
            TicketEvent(
                ticket_id=pk, at=at, actor_id=requester, kind=TicketEventKind.RATED, new_value=str(rating)
            )
        )
        if at > updated_at:
            touched.append(Ticket(pk=pk, updated_at=at))
    SatisfactionRating.objects.bulk_create(ratings, batch_size=1000)
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    Ticket.objects.bulk_update(touched, ["updated_at"], batch_size=500)
    ctx.progress.say(f"Satisfaction ratings: {len(ratings):,}")
    return len(ratings)
