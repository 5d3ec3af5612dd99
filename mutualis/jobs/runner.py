"""Running jobs: one job (`run_one`), everything due now (`run_pending`), or a worker that
keeps going until told to stop (`Worker`, behind `mutualis worker`)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    router,
    transaction,
)
from django.utils import timezone

from .models import Job, JobState
from .queue import claim_next, enqueue_due_occurrences, fail, finish, recover_expired, renew_leases
from .registration import Task, get_task

logger = logging.getLogger("mutualis.jobs")

Clock = Callable[[], datetime]
# The retry delay of a job whose task this process does not know (a worker older than
# the code that enqueued it, during a deploy): retrying gives the new code time to arrive.
UNKNOWN_TASK_RETRY_DELAY = timedelta(seconds=30)
# The database not answering (connection refused or lost, server restarting): a worker
# waits it out rather than exit, 1 s then doubling up to MAX_DATABASE_WAIT between tries.
UNAVAILABLE = (OperationalError, InterfaceError)
FIRST_DATABASE_WAIT = 1.0
MAX_DATABASE_WAIT = 30.0
# How many times a job's outcome is written again after the connection broke, a second
# then doubling apart (15 s in all, well within a lease), before the job is left to the
# lease recovery.
RECORD_ATTEMPTS = 5

T = TypeVar("T")


@dataclass
class RunReport:
    """What a run did: periodic occurrences enqueued, dead workers' jobs recovered, and the
    outcome of each job run."""

    scheduled: int = 0
    recovered: int = 0
    done: int = 0
    retried: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def ran(self) -> int:
        return self.done + self.retried + self.failed

    def count(self, outcome: str | None) -> None:
        with self._lock:
            if outcome == JobState.DONE:
                self.done += 1
            elif outcome == JobState.QUEUED:
                self.retried += 1
            elif outcome == JobState.FAILED:
                self.failed += 1

    def __str__(self) -> str:
        return (
            f"{self.ran} job(s) run: {self.done} done, {self.retried} to retry, {self.failed} failed; "
            f"{self.scheduled} periodic enqueued, {self.recovered} recovered from dead workers"
        )


def worker_name() -> str:
    """host:pid:random, unique per worker even when a pid is reused after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def default_lease() -> timedelta:
    return timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def _clock(now: datetime | None) -> Clock:
    return (lambda: now) if now is not None else timezone.now


def _recorded(write: Callable[[], T]) -> T:
    """`write()`, the record of a job's outcome, tried again on a new connection when the
    old one broke: the task may have been cut short by that very break (the database
    restarted, an administrator ended the session). Inside a caller's transaction (tests)
    there is nothing to reconnect: the error passes."""
    connection = connections[router.db_for_write(Job)]
    for attempt in range(RECORD_ATTEMPTS):
        try:
            return write()
        except UNAVAILABLE:
            if connection.in_atomic_block or attempt == RECORD_ATTEMPTS - 1:
                raise
            _close_connections()
            time.sleep(FIRST_DATABASE_WAIT * 2**attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def _close_connections() -> None:
    """Close this thread's connections, broken ones included: the next query opens anew.
    One inside a caller's transaction (tests) is the caller's to end."""
    for connection in connections.all():
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):
                connection.close()


def execute(job: Job, *, worker: str, clock: Clock = timezone.now) -> str | None:
    """Run a claimed job and record its outcome; returns the job's new state."""
    declared: Task | None = None
    began = time.monotonic()
    # Inside a caller's transaction (a test, a command run in atomic) a savepoint lets a
    # failed task's writes vanish while the transaction goes on. Outside one, no
    # transaction is opened for the task: on SQLite it would hold the write lock, and the
    # web server's writes would wait, for the task's whole run. Tasks use their own verbs'
    # transactions.
    connection = connections[router.db_for_write(Job)]
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        declared = get_task(job.name)
        with savepoint:
            declared.func(**job.kwargs)
    except Exception:
        retry_delay = declared.retry_delay if declared else UNKNOWN_TASK_RETRY_DELAY
        error = traceback.format_exc()
        outcome = _recorded(
            lambda: fail(job, worker=worker, now=clock(), error=error, retry_delay=retry_delay)
        )
        if outcome == JobState.FAILED:
            logger.error(
                "Job %s %s failed on its last attempt (%s/%s).",
                job.pk,
                job.name,
                job.attempts,
                job.max_attempts,
                exc_info=True,
            )
        else:
            logger.warning(
                "Job %s %s failed (attempt %s/%s), will retry.",
                job.pk,
                job.name,
                job.attempts,
                job.max_attempts,
                exc_info=True,
            )
    else:
        outcome = JobState.DONE if _recorded(lambda: finish(job, worker=worker, now=clock())) else None
        logger.info(
            "Job %s %s done in %.2f s (attempt %s/%s).",
            job.pk,
            job.name,
            time.monotonic() - began,
            job.attempts,
            job.max_attempts,
        )
    if outcome is None:
        logger.warning(
            "Job %s %s outlived its lease and was queued again: it will run once more.", job.pk, job.name
        )
    return outcome


def run_one(*, worker: str, clock: Clock = timezone.now, lease: timedelta | None = None) -> Job | None:
    """Claim and run the oldest due job; None when nothing is due."""
    job = claim_next(worker=worker, now=clock(), lease=lease or default_lease())
    if job is None:
        return None
    execute(job, worker=worker, clock=clock)
    return job


def maintain(*, now: datetime, report: RunReport) -> None:
    """The bookkeeping of every run: take back dead workers' jobs, enqueue due periodic tasks."""
    recovered = recover_expired(now)
    if recovered:
        logger.warning("%s job(s) of dead workers recovered.", recovered)
    scheduled = enqueue_due_occurrences(now)
    with report._lock:
        report.recovered += recovered
        report.scheduled += scheduled


def run_pending(*, now: datetime | None = None, limit: int | None = None) -> RunReport:
    """Run what is due, here and now: recover expired leases, enqueue due periodic tasks,
    then run due jobs one after the other until none is due (or `limit` jobs ran).

    `now` fixes the clock for the whole run (tests move time forward with it). A job that
    fails is queued again for later, so it does not run twice in one call.
    """
    clock = _clock(now)
    report = RunReport()
    maintain(now=clock(), report=report)
    worker = worker_name()
    while limit is None or report.ran < limit:
        job = claim_next(worker=worker, now=clock(), lease=default_lease())
        if job is None:
            break
        report.count(execute(job, worker=worker, clock=clock))
    return report


class Worker:
    """Runs jobs until `stop()`: `concurrency` threads each claim and run one job at a time.

    Threads, not processes: jobs wait mostly on the database, SMTP and HTTP, where the GIL
    is released, and threads share one process to supervise. With `concurrency=1` the job
    runs in the calling thread. A heartbeat thread renews the leases of running jobs, so a
    long job keeps its lease and only a dead worker's jobs are taken back.
    """

    def __init__(self, *, concurrency: int = 1, sleep: float | None = None, lease: timedelta | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1.")
        self.concurrency = concurrency
        self.sleep = settings.JOBS_POLL_SECONDS if sleep is None else sleep
        self.lease = lease or default_lease()
        self.name = worker_name()
        self.stopping = threading.Event()
        self.report = RunReport()
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._crashed = 0

    def stop(self) -> None:
        """Finish the jobs being run, take no new one."""
        self.stopping.set()

    def run(self, *, once: bool = False) -> RunReport:
        """Run jobs until stopped; with `once`, until nothing is due."""
        finished = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(finished,), name="jobs-heartbeat", daemon=True
        )
        heartbeat.start()
        logger.info("Worker %s started (%s thread(s)).", self.name, self.concurrency)
        try:
            if self.concurrency == 1:
                self._serve(f"{self.name}-1", once=once, maintains=True)
            else:
                self._run_threads(once=once)
        finally:
            finished.set()
            heartbeat.join()
        logger.info("Worker %s stopped: %s.", self.name, self.report)
        return self.report

    def _run_threads(self, *, once: bool) -> None:
        self._maintain_in_main_thread()
        threads = [
            threading.Thread(
                target=self._serve_in_thread,
                args=(f"{self.name}-{n}",),
                kwargs={"once": once},
                name=f"jobs-{n}",
                # A second Ctrl-C exits at once, threads and all; a job cut short is
                # queued again when its lease expires.
                daemon=True,
            )
            for n in range(1, self.concurrency + 1)
        ]
        for thread in threads:
            thread.start()
        # The main thread keeps the bookkeeping, and waits in short steps to stay free to
        # receive signals.
        while any(thread.is_alive() for thread in threads):
            if once or self.stopping.is_set():
                for thread in threads:
                    thread.join(timeout=0.5)
            elif not self.stopping.wait(self.sleep):
                close_old_connections()
                self._maintain_in_main_thread()
        if self._crashed:
            raise RuntimeError(f"{self._crashed} worker thread(s) stopped on an error (logged above).")

    def _maintain_in_main_thread(self) -> None:
        try:
            maintain(now=timezone.now(), report=self.report)
        except UNAVAILABLE as error:
            # The threads wait for the database too; the next round tries again.
            logger.warning("Database unavailable (%s); bookkeeping tried again in %g s.", error, self.sleep)
            _close_connections()

    def _serve_in_thread(self, worker: str, *, once: bool) -> None:
        try:
            self._serve(worker, once=once, maintains=False)
        except Exception:
            # The job itself cannot raise here (execute records it), nor can the database
            # being unavailable (waited out): the queue's tables are broken, or the code.
            # Stop the whole worker, so that its supervisor restarts it.
            logger.exception("Worker thread %s stopped on an error.", worker)
            self._crashed += 1
            self.stopping.set()
        finally:
            connections.close_all()  # this thread's own connections

    def _serve(self, worker: str, *, once: bool, maintains: bool) -> None:
        next_maintenance = 0.0
        wait = 0.0  # after the database failed: how long this thread last waited
        while not self.stopping.is_set():
            try:
                if maintains and time.monotonic() >= next_maintenance:
                    maintain(now=timezone.now(), report=self.report)
                    next_maintenance = time.monotonic() + self.sleep
                ran = self._run_one(worker)
            except UNAVAILABLE as error:
                if once:
                    raise  # a run from cron or a script: it says so and stops
                wait = min(max(wait * 2, FIRST_DATABASE_WAIT), MAX_DATABASE_WAIT)
                logger.warning("Database unavailable (%s); %s looks again in %g s.", error, worker, wait)
                _close_connections()
                self.stopping.wait(wait)
                continue
            wait = 0.0
            if ran:
                continue
            if once:
                return
            # Between jobs, as Django does between requests: drop connections that broke or
            # outlived CONN_MAX_AGE.
            close_old_connections()
            self.stopping.wait(self.sleep)

    def _run_one(self, worker: str) -> bool:
        job = claim_next(worker=worker, now=timezone.now(), lease=self.lease)
        if job is None:
            return False
        with self._running_lock:
            self._running.add(job.pk)
        try:
            self.report.count(execute(job, worker=worker))
        finally:
            with self._running_lock:
                self._running.discard(job.pk)
        return True

    def _heartbeat(self, finished: threading.Event) -> None:
        try:
            while not finished.wait(self.lease.total_seconds() / 3):
                with self._running_lock:
                    running = list(self._running)
                try:
                    close_old_connections()
                    renew_leases(running, worker_prefix=self.name, now=timezone.now(), lease=self.lease)
                except Exception:
                    # The database may be back at the next beat, well within the lease.
                    logger.exception("Could not renew the leases of jobs %s.", running)
        finally:
            connections.close_all()
