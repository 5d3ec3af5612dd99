from django.contrib.admin.apps import AdminConfig


class BackOfficeConfig(AdminConfig):
    """Django's admin, as the operator staff's back-office (see backoffice.site)."""

    default_site = "mutualis.backoffice.site.BackOfficeSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib.admin.templatetags import admin_list

        from mutualis.backoffice.boolean_icon import boolean_icon

        # Every boolean the admin draws (lists, read-only fields) goes through this one
        # function, looked up on its module at each call: see boolean_icon's docstring.
        admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]
