"""Which notifications a person gets: every one that concerns their roles, unless they
switched it off on their notifications page (/accounts/notifications/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mutualis.people.models import Membership

from ..models.notifications import (
    MEMBER_EVENTS,
    STAFF_EVENTS,
    NotificationEvent,
    NotificationPreference,
    events_for_roles,
)

if TYPE_CHECKING:
    from mutualis.people.models import User


def events_for(user: User) -> list[NotificationEvent]:
    """The notifications that concern `user`, from the roles they hold today."""
    roles = set(Membership.objects.active().filter(user=user).values_list("role", flat=True))
    return events_for_roles(roles)


def choices_of(user: User) -> dict[str, bool]:
    """Each notification of `user`'s roles, on or off (no choice recorded: on)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "enabled"))
    return {event: chosen.get(event, True) for event in events_for(user)}


def disabled_among(user_ids: list[int], event: str) -> set[int]:
    """Those of `user_ids` who switched `event` off."""
    if not user_ids:
        return set()
    return set(
        NotificationPreference.objects.filter(user_id__in=user_ids, event=event, enabled=False).values_list(
            "user_id", flat=True
        )
    )


@transaction.atomic
def set_preferences(*, user: User, enabled: set[str]) -> None:
    """Record `user`'s choices for the notifications of their roles: those in `enabled`
    on, the others off. Notifications of roles they do not hold are left as they were."""
    for event in events_for(user):
        NotificationPreference.objects.update_or_create(
            user=user, event=event, defaults={"enabled": event in enabled}
        )


class PreferencesForm(forms.Form):
    """One group of checkboxes per side (a person may be both a member's agent and the
    operator's staff); each renders as a fieldset with its legend."""

    member_events = forms.MultipleChoiceField(
        label=_("About my requests, email me when…"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff_events = forms.MultipleChoiceField(
        label=_("About the tickets I handle, email me when…"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, events: list[NotificationEvent], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the legends end with "…", not "… :"
        super().__init__(*args, **kwargs)
        for name, side in (("member_events", MEMBER_EVENTS), ("staff_events", STAFF_EVENTS)):
            offered = [(e.value, e.label) for e in events if e in side]
            if offered:
                self.fields[name].choices = offered  # type: ignore[attr-defined]
            else:
                del self.fields[name]

    @classmethod
    def initial_for(cls, choices: dict[str, bool]) -> dict[str, list[str]]:
        on = [event for event, enabled in choices.items() if enabled]
        return {
            "member_events": [e for e in on if e in MEMBER_EVENTS],
            "staff_events": [e for e in on if e in STAFF_EVENTS],
        }

    def enabled(self) -> set[str]:
        return {*self.cleaned_data.get("member_events", []), *self.cleaned_data.get("staff_events", [])}
