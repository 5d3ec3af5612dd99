"""What a run creates, removed so that it never changes what the next run measures.

The creation cases declare a few thousand tickets titled after the declared type: left
in place, they made that title the member's most common one, which is what the search
case looks for, and the search measured went from 3,300 matches to 63,000.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

# The description of every ticket a creation case declares (bench/cases.py, bench/measure.py).
MARKER = "Mesure des performances."
TOKEN_NAME = "bench"  # noqa: S105 - the name of the bench's token, not a secret


@transaction.atomic
def remove_created() -> int:
    from mutualis.people.models import ApiToken
    from mutualis.servicedesk.models import Ticket, TicketCounter

    created = Ticket.objects.filter(description=MARKER)
    count = created.count()
    created.delete()
    ApiToken.objects.filter(name=TOKEN_NAME).delete()
    # Numbers go on from the last ticket kept, as if the removed ones had never been.
    for counter in TicketCounter.objects.all():
        last = (
            Ticket.objects.filter(operator_id=counter.operator_id).aggregate(last=Max("number"))["last"] or 0
        )
        TicketCounter.objects.filter(pk=counter.pk).update(last=last)
    return count
