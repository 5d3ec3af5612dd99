"""The `mutualis` command: Django's management commands plus the project's own.

Like `weblate` or `sentry`, it is a thin wrapper over `django-admin` that picks the right
settings, so operators type `mutualis migrate`, `mutualis import_territory 78 92`,
`mutualis demo_data`, `mutualis runserver`.
"""

from __future__ import annotations

import os
import sys

ENVIRONMENTS = {"dev", "test", "prod"}


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get("MUTUALIS_ENV", "dev")
    if env not in ENVIRONMENTS:
        sys.exit(f"MUTUALIS_ENV must be one of {', '.join(sorted(ENVIRONMENTS))}, not {env!r}.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"mutualis.settings.{env}")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["mutualis", *argv])
    args[0] = "mutualis"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
