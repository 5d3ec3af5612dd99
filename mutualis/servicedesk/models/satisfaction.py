"""How satisfied the member was with a resolved ticket: one rating per ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .teams import Team
from .tickets import Ticket

RATING_MIN, RATING_MAX = 1, 5
# A bound for what one person writes in a survey; a complaint longer than this is a reply.
COMMENT_MAX_LENGTH = 2000


class Rating(models.IntegerChoices):
    # Each value written out with its meaning: the number alone says nothing to a screen
    # reader, and colours or stars alone say nothing to those who do not see them.
    VERY_DISSATISFIED = 1, _("1 – very dissatisfied")
    DISSATISFIED = 2, _("2 – dissatisfied")
    NEUTRAL = 3, _("3 – neither satisfied nor dissatisfied")
    SATISFIED = 4, _("4 – satisfied")
    VERY_SATISFIED = 5, _("5 – very satisfied")


class RatingChannel(models.TextChoices):
    WEB = "web", _("portal")
    EMAIL_LINK = "email_link", _("link in the email")


class SatisfactionRating(models.Model):
    """The requester's answer to "how satisfied are you?", once their ticket is resolved.

    `team` is the team that had the ticket when it was resolved, kept here so that the
    results per team stay right when the ticket is moved to another team later.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="satisfaction", verbose_name=_("ticket")
    )
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rated by"),
    )
    channel = models.CharField(_("channel"), max_length=12, choices=RatingChannel.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team at resolution"),
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now)
    updated_at = models.DateTimeField(_("last change"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            # The verb checks it with a clear message; the database refuses it from anywhere else.
            models.CheckConstraint(
                condition=models.Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="satisfaction_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        # Named by the ticket's number, as people know it (the row's id told them nothing:
        # a team's delete page listed « Évaluation de satisfaction: 3: 2/5 »).
        return _("n° %(number)s, %(rating)s/5") % {"number": self.ticket.number, "rating": self.rating}
