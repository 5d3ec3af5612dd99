"""A `Worker` running in a thread of the test, as `mutualis worker` runs beside the web
server: the test enqueues, waits for what the worker does, then stops it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connections

from mutualis.jobs.runner import Worker


def wait_for(condition: Callable[[], object], *, timeout: float = 20, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


class Running:
    """A worker in a thread of the test, with its own connections."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.worker.stop()
        self.thread.join(20)
