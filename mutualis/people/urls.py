from django.contrib.auth.decorators import login_required
from django.urls import path

from . import proconnect_views, views

app_name = "people"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # Login with ProConnect (404 unless configured); the callback and logged-out addresses
    # are the redirect URIs registered with ProConnect (docs/configuration.md).
    path("proconnect/", proconnect_views.start, name="proconnect-start"),
    path("proconnect/callback/", proconnect_views.callback, name="proconnect-callback"),
    path("proconnect/logged-out/", proconnect_views.logged_out, name="proconnect-logged-out"),
    path("switch/", views.switch_membership, name="switch"),
    path("language/", views.set_language, name="language"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.create_token, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_token, name="token-revoke"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.MutualisPasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/", login_required(views.MutualisPasswordChangeView.as_view()), name="password-change"),
]
