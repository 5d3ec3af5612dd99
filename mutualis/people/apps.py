from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "mutualis.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the ProConnect settings' system check
