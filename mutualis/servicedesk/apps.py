from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    name = "mutualis.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        # The registry's asset page and the home pages show the desk's boxes without
        # importing the desk (mutualis.web.panels).
        from mutualis.web.panels import register

        from .views.panels import ASSET_PANEL, HOME_PANEL

        register("registry:asset-detail", ASSET_PANEL)
        register("web:home", HOME_PANEL)
