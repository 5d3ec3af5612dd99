"""Running jobs: one job (`run_one`), everything due now (`run_pending`), or a worker that
keeps going until told to stop (`Worker`, behind `mutualis worker`)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import sys
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
from .registration import Task, default_time_limit, get_task

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
# What became of a timed-out job, for the log.
_TIMED_OUT_OUTCOME: dict[str | None, str] = {
    JobState.QUEUED: "will retry",
    JobState.FAILED: "failed for good",
}


@dataclass
class RunReport:
    """What a run did: periodic occurrences enqueued, dead workers' jobs recovered, and the
    outcome of each job run."""

    scheduled: int = 0
    recovered: int = 0
    done: int = 0
    retried: int = 0
    failed: int = 0
    # Of the jobs run, those stopped by their time limit (counted in retried or failed too).
    timed_out: int = 0
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

    def count_timed_out(self, outcome: str | None) -> None:
        self.count(outcome)
        with self._lock:
            self.timed_out += 1

    def __str__(self) -> str:
        return (
            f"{self.ran} job(s) run: {self.done} done, {self.retried} to retry, {self.failed} failed, "
            f"{self.timed_out} timed out; "
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
            "Job %s %s ended after it was taken back (timed out, or its lease expired): this"
            " attempt's outcome is discarded, the job's newer state stands.",
            job.pk,
            job.name,
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


@dataclass(eq=False)
class _Run:
    """A job a serving thread of a `Worker` is running: the heartbeat renews its lease until
    it ends or passes its deadline."""

    job: Job
    worker: str  # the serving thread's name: the job's `locked_by`
    thread: threading.Thread
    limit: timedelta
    retry_delay: timedelta
    deadline: float  # on time.monotonic()
    timed_out: bool = False


class Worker:
    """Runs jobs until `stop()`: `concurrency` serving threads each claim and run one job at
    a time, while the calling thread keeps the bookkeeping and receives signals.

    Threads, not processes: jobs wait mostly on the database, SMTP and HTTP, where the GIL
    is released, and threads share one process to supervise. A heartbeat thread renews the
    leases of running jobs, so a long job keeps its lease and only a dead worker's jobs are
    taken back.

    Time limits. The heartbeat is also the watchdog: a job running past its task's time
    limit is hung for all the worker knows (a blocked socket, a lock wait, a loop), and
    its lease must not be renewed for ever. Python cannot stop a thread, so the watchdog
    (1) stops renewing the job's lease, (2) records the attempt as timed out, with the
    stack the thread is stuck in, through the same fenced UPDATE as a failure: retried
    with the task's backoff, or failed on its last attempt, (3) abandons the thread and
    starts a new serving thread in its slot, so that the worker keeps its concurrency. An
    abandoned thread that returns one day finds the job no longer its attempt (the record
    is fenced by worker name and attempt number) and exits. Abandoned threads still hold
    memory, maybe a database session and its locks: past `max_abandoned` of them still
    alive, the worker stops taking jobs, lets the others finish and exits non-zero, for its
    supervisor (systemd) to start a fresh process; the hung threads end with the old one.
    Jobs always run in serving threads, even at `concurrency=1`: a job hung in the main
    thread could not be replaced.
    """

    def __init__(
        self,
        *,
        concurrency: int = 1,
        sleep: float | None = None,
        lease: timedelta | None = None,
        max_abandoned: int | None = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1.")
        self.concurrency = concurrency
        self.sleep = settings.JOBS_POLL_SECONDS if sleep is None else sleep
        self.lease = lease or default_lease()
        self.max_abandoned = settings.JOBS_MAX_ABANDONED_THREADS if max_abandoned is None else max_abandoned
        self.name = worker_name()
        self.stopping = threading.Event()
        self.report = RunReport()
        # Guards the runs, the slots and the abandoned threads; the heartbeat waits on it
        # for the next lease renewal or deadline, and is woken when a job starts.
        self._lock = threading.Condition()
        self._runs: dict[int, _Run] = {}
        self._slots: dict[int, threading.Thread] = {}  # slot number: its serving thread
        self._abandoned: list[threading.Thread] = []
        self._generations = 0
        self._finished = False
        self._once = False
        self._crashed = 0
        self._errors: list[BaseException] = []
        self._gave_up: str | None = None

    def stop(self) -> None:
        """Finish the jobs being run, take no new one."""
        self.stopping.set()

    @property
    def hung(self) -> int:
        """Abandoned threads still alive: jobs that passed their time limit and never returned."""
        with self._lock:
            return sum(thread.is_alive() for thread in self._abandoned)

    def run(self, *, once: bool = False) -> RunReport:
        """Run jobs until stopped; with `once`, until nothing is due."""
        self._once = once
        heartbeat = threading.Thread(target=self._heartbeat, name="jobs-heartbeat", daemon=True)
        heartbeat.start()
        logger.info("Worker %s started (%s thread(s)).", self.name, self.concurrency)
        try:
            self._run_threads(once=once)
        finally:
            with self._lock:
                self._finished = True
                self._lock.notify_all()
            heartbeat.join()
        logger.info("Worker %s stopped: %s.", self.name, self.report)
        if self._gave_up:
            raise RuntimeError(self._gave_up)
        if once and self._errors and isinstance(self._errors[0], UNAVAILABLE):
            raise self._errors[0]  # a run from cron or a script: it says so and stops
        if self._crashed:
            raise RuntimeError(f"{self._crashed} worker thread(s) stopped on an error (logged above).")
        return self.report

    def _run_threads(self, *, once: bool) -> None:
        self._maintain_in_main_thread(once=once)
        with self._lock:
            for slot in range(1, self.concurrency + 1):
                self._start_serving(slot, once=once)
        # The main thread keeps the bookkeeping, and waits in short steps to stay free to
        # receive signals. Abandoned threads have left their slot: nobody waits for them.
        while True:
            with self._lock:
                serving = [thread for thread in self._slots.values() if thread.is_alive()]
            if not serving:
                break
            if once or self.stopping.is_set():
                serving[0].join(timeout=0.2)
            elif not self.stopping.wait(self.sleep):
                close_old_connections()
                self._maintain_in_main_thread(once=False)

    def _start_serving(self, slot: int, *, once: bool) -> None:
        """Start a serving thread in `slot` (the lock held). A replacement gets a name of its
        own: the name is the `locked_by` of the jobs it claims."""
        self._generations += 1
        suffix = f"{slot}" if self._generations <= self.concurrency else f"{slot}.{self._generations}"
        thread = threading.Thread(
            target=self._serve_in_thread,
            args=(f"{self.name}-{suffix}",),
            kwargs={"once": once},
            name=f"jobs-{suffix}",
            # A second Ctrl-C exits at once, threads and all; a job cut short is queued
            # again when its lease expires. Abandoned threads end with the process.
            daemon=True,
        )
        self._slots[slot] = thread
        thread.start()

    def _maintain_in_main_thread(self, *, once: bool) -> None:
        try:
            maintain(now=timezone.now(), report=self.report)
        except UNAVAILABLE as error:
            if once:
                raise  # a run from cron or a script: it says so and stops
            # The threads wait for the database too; the next round tries again.
            logger.warning("Database unavailable (%s); bookkeeping tried again in %g s.", error, self.sleep)
            _close_connections()

    def _serve_in_thread(self, worker: str, *, once: bool) -> None:
        try:
            self._serve(worker, once=once)
        except Exception as error:
            # The job itself cannot raise here (execute records it), nor can the database
            # being unavailable (waited out, but in a run `once`): the queue's tables are
            # broken, or the code. Stop the whole worker, so that its supervisor restarts it.
            logger.exception("Worker thread %s stopped on an error.", worker)
            with self._lock:
                self._errors.append(error)
                self._crashed += 1
            self.stopping.set()
        finally:
            connections.close_all()  # this thread's own connections

    def _serve(self, worker: str, *, once: bool) -> None:
        wait = 0.0  # after the database failed: how long this thread last waited
        while not self.stopping.is_set():
            try:
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
            with self._lock:
                if threading.current_thread() not in self._slots.values():
                    return  # abandoned past a time limit: another thread serves in its slot
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
        try:
            declared: Task | None = get_task(job.name)
        except ValueError:
            declared = None  # `execute` records it as a failed attempt
        limit = declared.limit() if declared else default_time_limit()
        run = _Run(
            job=job,
            worker=worker,
            thread=threading.current_thread(),
            limit=limit,
            retry_delay=declared.retry_delay if declared else UNKNOWN_TASK_RETRY_DELAY,
            deadline=time.monotonic() + limit.total_seconds(),
        )
        with self._lock:
            self._runs[job.pk] = run
            self._lock.notify_all()  # the heartbeat's next wake may be this deadline
        outcome = None
        try:
            outcome = execute(job, worker=worker)
        finally:
            with self._lock:
                # Only this run's entry: after a time-out, a new attempt of the same job
                # may be running in another thread, its lease to be renewed.
                if self._runs.get(job.pk) is run:
                    del self._runs[job.pk]
                timed_out = run.timed_out
        if not timed_out:  # else the watchdog counted it
            self.report.count(outcome)
        return True

    def _heartbeat(self) -> None:
        """Renew the leases of running jobs every third of the lease; time out those past
        their deadline as soon as they pass it."""
        every = self.lease.total_seconds() / 3
        next_renewal = time.monotonic() + every
        try:
            while True:
                with self._lock:
                    while True:
                        if self._finished:
                            return
                        now = time.monotonic()
                        overdue = [run for run in self._runs.values() if run.deadline <= now]
                        if overdue or now >= next_renewal:
                            break
                        self._lock.wait(
                            min([next_renewal] + [run.deadline for run in self._runs.values()]) - now
                        )
                    for run in overdue:
                        # From now on its lease is not renewed, and its thread's own
                        # record of the attempt will find the job moved on.
                        del self._runs[run.job.pk]
                        run.timed_out = True
                    running = list(self._runs)
                for run in overdue:
                    self._time_out(run)
                if time.monotonic() >= next_renewal:
                    next_renewal = time.monotonic() + every
                    try:
                        close_old_connections()
                        renew_leases(running, worker_prefix=self.name, now=timezone.now(), lease=self.lease)
                    except Exception:
                        # The database may be back at the next beat, well within the lease.
                        logger.exception("Could not renew the leases of jobs %s.", running)
        finally:
            connections.close_all()

    def _time_out(self, run: _Run) -> None:
        """Record a job past its time limit, and give its slot to a new thread."""
        job, seconds = run.job, run.limit.total_seconds()
        frame = sys._current_frames().get(run.thread.ident or -1)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "  (the thread had ended)\n"
        error = (
            "Stack of the job's thread when its time limit ran out (most recent call last):\n"
            f"{stack}"
            f"JobTimeout: timed out after {seconds:g} s, the time limit of {job.name}; "
            f"the worker {run.worker} abandoned the attempt."
        )
        try:
            outcome = _recorded(
                lambda: fail(
                    job,
                    worker=run.worker,
                    now=timezone.now(),
                    error=error,
                    retry_delay=run.retry_delay,
                    timed_out=True,
                )
            )
        except Exception:
            # Its lease is no longer renewed: the lease recovery takes the job back.
            logger.exception("Could not record the time-out of job %s %s.", job.pk, job.name)
            outcome = None
        self.report.count_timed_out(outcome)
        logger.error(
            "Job %s %s timed out after %g s (attempt %s/%s), %s; its thread %s is abandoned.",
            job.pk,
            job.name,
            seconds,
            job.attempts,
            job.max_attempts,
            _TIMED_OUT_OUTCOME.get(outcome, "left to the lease recovery"),
            run.thread.name,
        )
        with self._lock:
            slot = next((n for n, thread in self._slots.items() if thread is run.thread), None)
            if slot is None:
                return  # the thread was already abandoned
            del self._slots[slot]
            self._abandoned.append(run.thread)
            hung = sum(thread.is_alive() for thread in self._abandoned)
            if hung > self.max_abandoned:
                self._gave_up = (
                    f"{hung} job thread(s) hung past their time limit (more than "
                    f"JOBS_MAX_ABANDONED_THREADS = {self.max_abandoned}): the worker exits for its "
                    "supervisor to start a fresh process."
                )
                logger.error("Worker %s stops: %s", self.name, self._gave_up)
                self.stopping.set()
            elif not self.stopping.is_set():
                self._start_serving(slot, once=self._once)
