"""Satisfaction: once a ticket is resolved, its requester rates it from 1 to 5 with a
comment, on the portal or through a signed link in the "resolved" email; the operator's
staff read the results per team and per month.

- `rating`: who may rate and when, and the verb `rate`;
- `links`: `survey_url(ticket)`, the signed link the email carries, and its checking;
- `results`: the aggregate per team and month, and its export;
- `forms`: the survey's form and the results' period.
"""

from .links import LinkError, survey_url, ticket_for_token
from .rating import RATE_WITHIN_DAYS, RatingRefused, may_rate, may_rate_as, rate, refusal

__all__ = [
    "RATE_WITHIN_DAYS",
    "LinkError",
    "RatingRefused",
    "may_rate",
    "may_rate_as",
    "rate",
    "refusal",
    "survey_url",
    "ticket_for_token",
]
