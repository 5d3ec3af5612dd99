from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.jobs.runner import Worker

logger = logging.getLogger("mutualis.jobs")


class Command(BaseCommand):
    help = (
        "Run background jobs from the database until stopped: due jobs, periodic tasks, and "
        "jobs of dead workers taken back. SIGTERM or Ctrl-C finishes the current jobs and "
        "exits; a second Ctrl-C exits at once (the jobs cut short run again later)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run what is due, then exit (for cron or tests)"
        )
        parser.add_argument(
            "--sleep",
            type=float,
            default=None,
            metavar="SECONDS",
            help="how long an idle worker waits before looking again (default: JOBS_POLL_SECONDS)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            metavar="N",
            help="jobs run at the same time, one thread each (default: 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        if options["sleep"] is not None and options["sleep"] <= 0:
            raise CommandError("--sleep must be a positive number of seconds.")
        worker = Worker(concurrency=options["concurrency"], sleep=options["sleep"])

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # A second Ctrl-C is someone who will not wait. A repeated SIGTERM is not: a
            # terminal's Ctrl-C and a script's `kill` may both reach the same worker.
            if worker.stopping.is_set() and signum == signal.SIGINT:
                raise SystemExit(1)
            logger.info("%s received: stopping after the current job(s).", signal.Signals(signum).name)
            worker.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            report = worker.run(once=options["once"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if options["once"]:
            self.stdout.write(str(report))
