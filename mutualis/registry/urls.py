from django.urls import path

from . import import_views, views

app_name = "registry"
urlpatterns = [
    path("members/", views.member_list, name="member-list"),
    path("members/<int:pk>/", views.member_detail, name="member-detail"),
    path("sites/", views.site_list, name="site-list"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("equipment/", views.asset_list, name="asset-list"),
    path("equipment/<int:pk>/", views.asset_detail, name="asset-detail"),
    path("imports/", import_views.import_list, name="import-list"),
    path("imports/new/", import_views.import_new, name="import-new"),
    path("imports/columns/", import_views.import_columns, name="import-columns"),
    path("imports/example/<slug:kind>.csv", import_views.import_example, name="import-example"),
    path("imports/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/apply/", import_views.import_apply, name="import-apply"),
    path("imports/<int:pk>/errors/", import_views.import_errors, name="import-errors"),
    path("imports/<int:pk>/file/", import_views.import_file, name="import-file"),
]
