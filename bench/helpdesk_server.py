"""django-helpdesk under gunicorn, as the Mutualis side runs (bench/server.py): the same
gunicorn version, worker class and count, access log format (server time per request,
`X-Bench` tag), DEBUG off and persistent connections (bench/helpdesk/deskbench/settings.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import helpdesk_data, helpdesk_env
from .config import Config
from .server import Server


class HelpdeskServer(Server):
    health_path = "/login/"

    def __init__(self, config: Config, say: Callable[[str], None]) -> None:
        super().__init__(config, say)
        self.var_dir: Path = config.var_dir / "helpdesk"
        self.access_log = self.var_dir / "access.log"
        self.error_log = self.var_dir / "gunicorn.log"

    def collect_static(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        helpdesk_env.manage(self.environment(), lambda _text: None, "collectstatic", "--noinput", "-v", "0")

    def command(self) -> list[str]:
        return [
            str(helpdesk_env.gunicorn()),
            "deskbench.wsgi:application",
            "--chdir",
            str(helpdesk_env.HELPDESK_PROJECT),
        ]

    def environment(self) -> dict[str, str]:
        return helpdesk_data.environment(self.config)
