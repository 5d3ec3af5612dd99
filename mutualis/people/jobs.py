"""People's background tasks, imported by every process (see mutualis.jobs)."""

from . import password_reset  # noqa: F401 - registers people.send_password_reset
