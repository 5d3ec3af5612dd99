"""The pages of a login through ProConnect (mutualis.people.proconnect holds the protocol).

Every page answers 404 while ProConnect is not configured. Whatever goes wrong, the person
gets a page in their language saying what happened and what to do; nothing is created:
ProConnect proves who someone is, an administrator decides what they may do.
"""

from __future__ import annotations

import hmac
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import proconnect
from .models import User
from .views import _safe_next, complete_login

logger = logging.getLogger(__name__)

# An error code as OAuth 2.0 defines them (RFC 6749, 4.1.2.1: ASCII, no spaces or quotes);
# anything else from the address bar is not repeated on the page.
ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


def _enabled_or_404() -> None:
    if not proconnect.is_enabled():
        raise Http404


def callback_uri() -> str:
    """The redirect URI registered with ProConnect (docs/configuration.md)."""
    return settings.SITE_URL + reverse("people:proconnect-callback")


def _failure(request: HttpRequest, *, message: str, status: int, hint: str = "") -> HttpResponse:
    return render(request, "people/proconnect_failed.html", {"message": message, "hint": hint}, status=status)


def _unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning("ProConnect unavailable: %s", exc)
    page = _failure(
        request,
        message=_("ProConnect cannot be reached at the moment."),
        hint=_("Try again in a few minutes, or log in with your email and password."),
        status=503,
    )
    page["Retry-After"] = "60"
    return page


@never_cache
def start(request: HttpRequest) -> HttpResponse:
    """Leave for ProConnect: the authentication request (OpenID Connect Core 1.0, 3.1.2.1).
    A POST from the login page's button, so that no link follower or prefetch starts one."""
    _enabled_or_404()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    flow = proconnect.Flow.new(next_url=_safe_next(request))
    try:
        url = proconnect.authorization_url(flow, redirect_uri=callback_uri())
    except proconnect.ProConnectError as exc:
        return _unavailable(request, exc)
    # One attempt at a time per browser: a new one replaces the last, whose state then fails.
    request.session[proconnect.FLOW_SESSION_KEY] = flow.as_session()
    return HttpResponseRedirect(url)


@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """ProConnect sends the person back here (Core 3.1.2.5-6), with a code or an error."""
    _enabled_or_404()
    # Taken out of the session whatever follows: a state serves once (Core 3.1.2.7 and RFC
    # 6749, 10.12), and a replayed or forged return finds nothing to match.
    flow = proconnect.Flow.from_session(request.session.pop(proconnect.FLOW_SESSION_KEY, None))
    error = request.GET.get("error", "")
    if error:
        return _provider_error(request, error)
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if flow is None or not state or not code or not flow.matches(state):
        return _failure(
            request,
            message=_("This ProConnect login has expired or was already used; nobody was logged in."),
            hint=_("Start again from the login page."),
            status=400,
        )
    try:
        identity = proconnect.complete(flow, code=code, redirect_uri=callback_uri())
    except proconnect.ProviderUnavailableError as exc:
        return _unavailable(request, exc)
    except proconnect.InvalidResponseError as exc:
        logger.warning("ProConnect answer refused: %s", exc)
        return _failure(
            request,
            message=_("ProConnect’s answer could not be verified; nobody was logged in."),
            hint=_("Start again from the login page. If this happens again, tell your operator."),
            status=400,
        )
    user = authenticate(request, proconnect_email=identity.email)
    if not isinstance(user, User):
        logger.info("ProConnect login of an address with no active account (subject %s)", identity.subject)
        return _failure(
            request,
            message=_(
                "ProConnect identified you as %(email)s, but no active Mutualis account uses this address."
            )
            % {"email": identity.email},
            hint=_(
                "Access to Mutualis is given by your operator’s administrator: ask them to open an "
                "account for this address, or to reactivate it."
            ),
            status=403,
        )
    response = complete_login(request, user, next_url=flow.next_url)
    request.session[proconnect.ID_TOKEN_SESSION_KEY] = identity.id_token
    logger.info("ProConnect login of user %s", user.pk)
    return response


def _provider_error(request: HttpRequest, error: str) -> HttpResponse:
    """An error response of ProConnect (Core 3.1.2.6; RFC 6749, 4.1.2.1). Its description is
    not shown: it comes from the address bar, where anyone could have written it."""
    if error == "access_denied":
        message = _("The ProConnect login was cancelled or refused; nobody was logged in.")
    elif error in ("login_required", "interaction_required", "consent_required"):
        message = _("ProConnect needs you to identify yourself again; nobody was logged in.")
    elif ERROR_CODE.match(error):
        message = _("ProConnect could not identify you (error “%(code)s”); nobody was logged in.") % {
            "code": error
        }
    else:
        message = _("ProConnect could not identify you; nobody was logged in.")
    return _failure(request, message=message, hint=_("Start again from the login page."), status=400)


@never_cache
def logged_out(request: HttpRequest) -> HttpResponse:
    """Where ProConnect sends the browser back after logging out (RP-Initiated Logout 1.0,
    3): the state must be the one this browser left with."""
    _enabled_or_404()
    expected = request.session.pop(proconnect.LOGOUT_STATE_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if isinstance(expected, str) and state and hmac.compare_digest(expected.encode(), state.encode()):
        messages.info(request, _("You are logged out of Mutualis and of ProConnect."))
    return redirect(settings.LOGOUT_REDIRECT_URL)
