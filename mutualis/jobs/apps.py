from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "mutualis.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # A worker runs a job by its task's name: import every app's `jobs.py` and
        # `tasks.py` (as the admin imports `admin.py`) so that every process, web or worker,
        # knows every task before the first job is enqueued or claimed.
        from . import checks  # noqa: F401 - registers the jobs' system checks
        from .registration import check_periodic_tasks

        autodiscover_modules("jobs", "tasks")
        check_periodic_tasks()
