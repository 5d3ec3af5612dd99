from django.contrib.admin.apps import AdminConfig


class BackOfficeConfig(AdminConfig):
    """Django's admin, as the operator staff's back-office (see backoffice.site)."""

    default_site = "mutualis.backoffice.site.BackOfficeSite"
