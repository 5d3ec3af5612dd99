"""Work run in threads released at the same instant, each with its own database connection:
what two requests or two workers racing each other do (PostgreSQL tests with
`transaction=True`, so that each thread sees what the others committed)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def together(targets: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run the targets in threads released at the same instant; return their results, in
    order. The first error a thread raised is raised again here."""
    barrier = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = targets[i]()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # the thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
