from __future__ import annotations

import logging
import secrets
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView, PasswordResetConfirmView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import proconnect, throttle
from .forms import LoginForm, PasswordResetRequestForm, TokenForm
from .middleware import remember_language
from .models import ApiToken, User
from .password_reset import request_password_reset
from .tenancy import SESSION_KEY, ScopedRequest, get_visible_or_404

logger = logging.getLogger(__name__)

# The language a person chose before logging in, in their (anonymous) session.
CHOSEN_LANGUAGE_KEY = "mutualis_chosen_language"


def _client_address(request: HttpRequest) -> str | None:
    # Behind the reverse proxy the client's address is the last hop it added; the proxy
    # must overwrite, not append to, X-Forwarded-For for this to be trustworthy.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(reverse_lazy(settings.LOGIN_REDIRECT_URL))


def complete_login(request: HttpRequest, user: User, *, next_url: str) -> HttpResponse:
    """Open the session of `user`, who proved who they are (password or ProConnect), and
    send them on. Django's login() gives the session a new key (no fixation) and records
    the login's time (last_login) and method (the authentication backend's path)."""
    # A language chosen on the login page, just before, wins over the account's.
    chosen = request.session.pop(CHOSEN_LANGUAGE_KEY, None)
    login(request, user)
    if chosen in dict(settings.LANGUAGES) and chosen != user.language:
        user.language = chosen
        user.save(update_fields=["language"])
    response = HttpResponseRedirect(next_url)
    remember_language(response, user.language)
    throttle.trust_device(request, response, user.email)
    return response


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request, data=request.POST or None)
    status = 200
    retry_after = 0
    if request.method == "POST":
        email = request.POST.get("email", "")
        address = _client_address(request)
        retry_after = throttle.retry_after_seconds(
            email, address, trusted=throttle.is_trusted(request, email)
        )
        if retry_after:
            status = 429
        elif form.is_valid() and form.user is not None:
            throttle.clear_failures(email)
            return complete_login(request, form.user, next_url=_safe_next(request))
        else:
            if email:
                throttle.record_failure(email, address)
            status = 400
    page = render(
        request,
        "people/login.html",
        {
            "form": form,
            "next": _safe_next(request),
            "retry_minutes": -(-retry_after // 60) if retry_after else 0,
            "proconnect": proconnect.is_enabled(),
        },
        status=status,
    )
    if retry_after:
        page["Retry-After"] = str(retry_after)
    return page


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get(proconnect.ID_TOKEN_SESSION_KEY)
    logout(request)
    if isinstance(id_token, str) and proconnect.is_enabled():
        # Logged in through ProConnect: log out there too, or the next "S’identifier avec
        # ProConnect" on this computer would let anyone in without a password.
        return _proconnect_logout(request, id_token)
    messages.info(request, _("You are logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _proconnect_logout(request: HttpRequest, id_token: str) -> HttpResponse:
    """RP-Initiated Logout 1.0, 2: to ProConnect's end-session endpoint, with the ID token
    as hint and a state that the page it sends back to checks (proconnect_views.logged_out)."""
    state = secrets.token_urlsafe(32)
    try:
        url = proconnect.end_session_url(
            id_token=id_token,
            state=state,
            post_logout_redirect_uri=settings.SITE_URL + reverse("people:proconnect-logged-out"),
        )
    except proconnect.ProConnectError as exc:
        logger.warning("ProConnect logout: %s", exc)
        url = None
    if url is None:
        messages.warning(
            request,
            _(
                "You are logged out of Mutualis, but ProConnect could not be reached: close your "
                "browser to end your ProConnect session."
            ),
        )
        return redirect(settings.LOGOUT_REDIRECT_URL)
    request.session[proconnect.LOGOUT_STATE_SESSION_KEY] = state
    return HttpResponseRedirect(url)


@login_required
@require_POST
def switch_membership(request: ScopedRequest) -> HttpResponse:
    """Act for another of one's members; a membership that is not the user's is a 404."""
    wanted = request.POST.get("membership", "")
    choice = next((m for m in request.scope.memberships if str(m.pk) == wanted), None)
    if choice is None:
        raise Http404
    request.session[SESSION_KEY] = choice.pk
    messages.success(request, _("You now act for %(name)s.") % {"name": choice.acts_for})
    return redirect("web:home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; kept on the account of a logged-in person."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language in dict(settings.LANGUAGES):
        remember_language(response, language)
        user = request.user
        if isinstance(user, User):
            if user.language != language:
                user.language = language
                user.save(update_fields=["language"])
        else:
            # Not logged in yet: kept for the account at login (the cookie alone is also
            # what the last person on this computer chose).
            request.session[CHOSEN_LANGUAGE_KEY] = language
    return response


@login_required
def profile(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    tokens = ApiToken.objects.filter(membership__user=request.user).select_related("membership__member")
    form = TokenForm(read_only=not scope.can_write)
    return render(request, "people/profile.html", {"tokens": tokens, "form": form, "scope": scope})


@login_required
@require_POST
@never_cache  # the page shows the secret: no copy of it in a browser or proxy cache
def create_token(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    form = TokenForm(request.POST, read_only=not scope.can_write)
    if scope.membership is None or not form.is_valid():
        tokens = ApiToken.objects.filter(membership__user=request.user).select_related("membership__member")
        return render(
            request, "people/profile.html", {"tokens": tokens, "form": form, "scope": scope}, status=400
        )
    token, clear = ApiToken.issue(
        membership=scope.membership,
        name=form.cleaned_data["name"],
        can_write=form.cleaned_data.get("can_write", False),
    )
    return render(request, "people/token_created.html", {"token": token, "clear": clear})


@login_required
@require_POST
def revoke_token(request: ScopedRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(ApiToken, request.scope, pk=pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("people:profile")


class MutualisPasswordChangeView(PasswordChangeView):
    """Throttled as logging in is: whoever finds a session open must not get unlimited
    guesses at its password here."""

    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:profile")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = cast(User, request.user)  # login_required
        retry_after = throttle.retry_after_seconds(
            user.email, _client_address(request), trusted=throttle.is_trusted(request, user.email)
        )
        if not retry_after:
            return super().post(request, *args, **kwargs)
        form = self.get_form_class()(user=user)
        context = self.get_context_data(form=form, retry_minutes=-(-retry_after // 60))
        page = self.render_to_response(context, status=429)
        page["Retry-After"] = str(retry_after)
        return page

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            throttle.record_failure(form.user.email, _client_address(self.request))
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a link to choose a new password; the answer never says whether an account
    uses the address."""
    form = PasswordResetRequestForm(request.POST or None)
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        retry_after = request_password_reset(
            email=form.cleaned_data["email"], address=_client_address(request)
        )
        if not retry_after:
            return redirect("people:password-reset-sent")
    status = 429 if retry_after else 400 if form.errors else 200
    page = render(
        request,
        "people/password_reset.html",
        {"form": form, "retry_minutes": -(-retry_after // 60) if retry_after else 0},
        status=status,
    )
    if retry_after:
        page["Retry-After"] = str(retry_after)
    return page


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/password_reset_sent.html",
        {"days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)},
    )


class MutualisPasswordResetConfirmView(PasswordResetConfirmView):
    """The page the emailed link opens (Django's view: the token leaves the address bar at
    once, for a session, so that no Referer carries it)."""

    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("people:login")

    def get_user(self, uidb64: str) -> Any:
        # A link sent before the account was deactivated dies with it (Django's view does
        # not look): a person who left may still read their mailbox.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The person proved who they are: the failed logins that locked them out are forgiven,
        # and this browser is trusted for the account, so that a stranger cannot lock it again.
        throttle.clear_failures(form.user.email)
        throttle.trust_device(self.request, response, form.user.email)
        messages.success(self.request, _("Your password has been changed. Log in with it."))
        return response
