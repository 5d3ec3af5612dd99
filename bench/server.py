"""The application as production runs it: gunicorn, the production settings, static files
collected; and its access log, where gunicorn writes each request's time in the server.

Server time is `%(D)s` of gunicorn's access log: microseconds from the moment the worker
has read the request to the moment it has written the response, so network and the
client are left out. Each request carries an `X-Bench` header naming its case, logged with
the time, so that times are matched to cases without touching the application.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from .config import GUNICORN, PROJECT, Config
from .database import mutualis

ACCESS_FORMAT = "%({x-bench}i)s %(s)s %(D)s"
STARTUP_SECONDS = 180  # five workers importing Django on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_options(config: Config) -> list[str]:
    """gunicorn's worker settings of the run: sync workers, or gthread with threads each."""
    options = ["--workers", str(config.workers), "--worker-class", config.worker_class]
    if config.worker_class == "gthread":
        options += ["--threads", str(config.threads)]
    return options


def describe_workers(config: Config) -> str:
    if config.worker_class == "gthread":
        return f"{config.workers} gthread workers × {config.threads} threads"
    return f"{config.workers} {config.worker_class} workers"


class Server:
    health_path = "/healthz"

    def __init__(self, config: Config, say: Callable[[str], None]) -> None:
        self.config, self.say = config, say
        self.port = free_port()
        self.access_log: Path = config.var_dir / "access.log"
        self.error_log: Path = config.var_dir / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def collect_static(self) -> None:
        mutualis(self.config, self.say, "collectstatic", "--noinput", "--verbosity", "0")

    def command(self) -> list[str]:
        return [str(GUNICORN), "mutualis.wsgi:application", "--chdir", str(PROJECT)]

    def environment(self) -> dict[str, str]:
        return self.config.environment()

    def start(self) -> None:
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        self.collect_static()
        self.access_log.write_text("")
        command = [
            *self.command(),
            "--bind",
            f"127.0.0.1:{self.port}",
            *worker_options(self.config),
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            ACCESS_FORMAT,
            "--error-logfile",
            str(self.error_log),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=self.environment())
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start (see {self.error_log}).")
            try:
                with urllib.request.urlopen(f"{self.base}{self.health_path}", timeout=2) as answer:  # noqa: S310 - our URL
                    if answer.status == 200:
                        self.say(f"gunicorn: {describe_workers(self.config)} on {self.base}")
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within {STARTUP_SECONDS} s (see {self.error_log}).")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def times(self) -> dict[str, list[tuple[int, float]]]:
        """(status, milliseconds in the server) of each logged request, by `X-Bench` tag."""
        found: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for line in self.access_log.read_text().splitlines():
            parts = line.split(" ")
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                continue
            tag = parts[0]
            found[tag].append((int(parts[1]), int(parts[2]) / 1000))
        return found
