from django.urls import URLPattern, path

app_name = "insights"

urlpatterns: list[URLPattern] = []

from .views import reports as report_views  # noqa: E402 - reports (issue 5, item 5)

urlpatterns += [
    path("reports/", report_views.reports, name="reports"),
    path("reports/generate/", report_views.generate, name="report-generate"),
    path("reports/subscription/", report_views.subscription, name="report-subscription"),
    path("reports/<int:pk>/download/", report_views.download, name="report-download"),
]

from .views import dashboard as dashboard_views  # noqa: E402 - dashboard (issue 5, items 1, 4, 6)

urlpatterns += [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("panel/<slug:name>/", dashboard_views.panel, name="panel"),
]

from .views import recurring as recurring_views  # noqa: E402 - recurring failures (issue 5, item 2)

urlpatterns += [
    path("recurring/", recurring_views.recurring_page, name="recurring"),
]

from .views import forecast as forecast_views  # noqa: E402 - anticipation (issue 5, item 3)

urlpatterns += [
    path("forecast/", forecast_views.forecast_page, name="forecast"),
    path("forecast/compute/", forecast_views.compute, name="forecast-compute"),
    path("forecast/assets/", forecast_views.assets_page, name="forecast-assets"),
]
