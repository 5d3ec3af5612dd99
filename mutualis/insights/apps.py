from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "mutualis.insights"
    verbose_name = _("Incidentology")

    def ready(self) -> None:
        # The copies the heavy panels read follow every ticket saved (insights.ticket_facts).
        from . import ticket_facts

        ticket_facts.connect()
