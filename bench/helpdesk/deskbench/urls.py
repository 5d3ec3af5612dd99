"""django-helpdesk at the root, as its own documentation mounts it, with Django's admin
(its ticket page links a submitter to their admin page, and fails without it)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
