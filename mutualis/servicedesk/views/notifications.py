"""A person's own notification choices (/accounts/notifications/): only ever the signed-in
user's; nothing in the request names anyone else."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mutualis.people.tenancy import ScopedRequest
from mutualis.web.decorators import member_area

from ..mail.preferences import PreferencesForm, choices_of, events_for, set_preferences


@member_area
def preferences(request: ScopedRequest) -> HttpResponse:
    user = request.user
    events = events_for(user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, events=events)
        if form.is_valid():
            set_preferences(user=user, enabled=form.enabled())
            messages.success(request, _("Your notification choices are saved."))
            return redirect("servicedesk:notification-preferences")
        status = 400
    else:
        form = PreferencesForm(events=events, initial=PreferencesForm.initial_for(choices_of(user)))
        status = 200
    return render(
        request,
        "servicedesk/notification_preferences.html",
        {"form": form, "email": user.email},
        status=status,
    )
