"""The RQ worker Chorus runs: one that waits out a Redis outage instead of dying.

rq's worker survives Redis going away only while it is idle in its dequeue
loop, and then logs an error per retry; anywhere else (after a job, in its
maintenance, at start-up or while a job runs) a ConnectionError ends the
process, and its `--with-scheduler` child dies with a traceback. Chorus's sweeps
re-find lost work, so the right answer to an outage is to wait: every call that
talks to Redis here retries with backoff (1, 2, 4 … 30 s) and the process logs
one line when Redis goes away and one when it is back.

`settings.RQ["WORKER_CLASS"]` names `PatientWorker`, so `manage.py rqworker`
uses it. Its heartbeat is short (`WORKER_TTL`), so /healthz can tell live
workers from the registrations of killed ones (see `live_worker_count`).
"""

import time
from contextlib import suppress
from datetime import UTC, datetime
from functools import cached_property

import redis
from rq import Worker
from rq.scheduler import RQScheduler
from rq.utils import as_text
from rq.worker_registration import get_keys

# What an outage looks like from redis-py: the server is gone, or does not answer in time.
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
BACKOFF_SECONDS = (1, 2, 4, 8, 16, 30)

# An idle worker heartbeats every WORKER_TTL - 15 seconds (rq's dequeue timeout), a busy one every 30 s.
WORKER_TTL = 60
# A worker whose last heartbeat is older than this is gone (killed, or its machine is).
LIVE_WITHIN_SECONDS = WORKER_TTL + 30


class RedisOutage:
    """One process's view of Redis: logs a line when it goes away and one when it is back, nothing between."""

    def __init__(self, log, who):
        self.log = log
        self.who = who
        self.down_since = None
        self.attempt = 0

    def wait(self, error, *, stop_requested=lambda: False):
        """Sleep the next backoff step; the first call of an outage logs it."""
        delay = BACKOFF_SECONDS[min(self.attempt, len(BACKOFF_SECONDS) - 1)]
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.log.warning("%s: redis unreachable (%s), retrying in %ds, then with backoff up to %ds",
                             self.who, type(error).__name__, delay, BACKOFF_SECONDS[-1])
        else:
            self.log.debug("%s: redis still unreachable, retrying in %ds", self.who, delay)
        self.attempt += 1
        deadline = time.monotonic() + delay
        # In short slices, so a stop request does not wait for a 30-second step.
        while time.monotonic() < deadline and not stop_requested():
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def recovered(self):
        if self.down_since is not None:
            self.log.warning("%s: redis back after %ds", self.who, time.monotonic() - self.down_since)
        self.down_since = None
        self.attempt = 0

    def until_reachable(self, action, *, stop_requested=lambda: False):
        """Call `action` until Redis lets it through; return its result."""
        while True:
            try:
                result = action()
            except REDIS_DOWN as error:
                self.wait(error, stop_requested=stop_requested)
                continue
            self.recovered()
            return result


class PatientRQScheduler(RQScheduler):
    """rq's scheduler of delayed jobs (the worker's `--with-scheduler` child), waiting out outages."""

    def work(self):
        self._install_signal_handlers()
        outage = RedisOutage(self.log, "scheduler of delayed jobs")
        stopping = lambda: self._stop_requested  # noqa: E731
        outage.until_reachable(self.register_birth, stop_requested=stopping)
        while not self._stop_requested:
            try:
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except REDIS_DOWN as error:
                outage.wait(error, stop_requested=stopping)
                continue
            outage.recovered()
            time.sleep(self.interval)
        with suppress(*REDIS_DOWN):
            self.stop()


def _without_rq_reconnect_lines(record):
    """rq's dequeue loop logs an error per reconnect attempt; RedisOutage already said it, once."""
    return not str(record.msg).startswith("Worker %s: could not connect to Redis instance")


class PatientWorker(Worker):
    """rq's forking worker; every call that talks to Redis waits out an outage."""

    def __init__(self, *args, **kwargs):
        kwargs["worker_ttl"] = WORKER_TTL
        super().__init__(*args, **kwargs)
        if _without_rq_reconnect_lines not in self.log.filters:
            self.log.addFilter(_without_rq_reconnect_lines)

    @cached_property
    def outage(self):
        return RedisOutage(self.log, f"worker {self.name}")

    def _set_ip_address(self, connection):
        # Called by rq's __init__, the first talk to Redis: a worker may start while Redis is down.
        self._patiently(super()._set_ip_address, connection)

    def _patiently(self, method, *args, **kwargs):
        return self.outage.until_reachable(lambda: method(*args, **kwargs),
                                           stop_requested=lambda: self._stop_requested)

    def register_birth(self):
        self._patiently(super().register_birth)

    def subscribe(self):
        self._patiently(super().subscribe)

    def set_state(self, state, pipeline=None):
        if pipeline is not None:
            return super().set_state(state, pipeline=pipeline)
        return self._patiently(super().set_state, state)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline=pipeline)
        return self._patiently(super().heartbeat, timeout)

    def check_for_suspension(self, burst):
        return self._patiently(super().check_for_suspension, burst)

    def run_maintenance_tasks(self):
        return self._patiently(super().run_maintenance_tasks)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        self.outage.recovered()
        return result

    def execute_job(self, job, queue):
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as error:
            # The job's own writes to Redis fail too; stop it. Jobs are idempotent and the
            # sweeps re-find their work, so running it again later is safe.
            self.log.warning("worker %s: redis lost during job %s (%s); stopping it, it will be found again",
                             self.name, job.id, type(error).__name__)
            with suppress(OSError):
                self.kill_horse()
            with suppress(OSError, ChildProcessError):
                self.wait_for_horse()
            self._horse_pid = 0

    def set_shutdown_requested_date(self):
        with suppress(*REDIS_DOWN):  # called from the signal handler: Ctrl-C must work during an outage
            super().set_shutdown_requested_date()

    def register_death(self):
        with suppress(*REDIS_DOWN):  # Redis is gone; the registration expires by itself
            super().register_death()

    def unsubscribe(self):
        with suppress(*REDIS_DOWN):
            super().unsubscribe()

    def _pubsub_exception_handler(self, exc, pubsub, pubsub_thread):
        # The pubsub thread reconnects by itself; the main loop reports the outage, once.
        if not isinstance(exc, REDIS_DOWN):
            raise exc
        time.sleep(2)

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        # As rq's, with the patient scheduler; rq's maintenance restarts it with the same class.
        options = {key: value for key, value in (("date_format", date_format), ("log_format", log_format))
                   if value is not None}
        self.scheduler = PatientRQScheduler(
            self.queues, connection=self.connection, serializer=self.serializer,
            logging_level=logging_level if logging_level is not None else self.log.level, **options,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks and not burst:
            self.scheduler.start()
        elif self.scheduler.acquired_locks:
            try:
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()


def live_worker_count(connection, *, now=None):
    """Workers whose last heartbeat is recent: not `Worker.count()`, which counts killed workers until they expire."""
    now = now or datetime.now(UTC)
    live = 0
    keys = [as_text(key) for key in get_keys(connection=connection)]
    with connection.pipeline() as pipeline:
        for key in keys:
            pipeline.hmget(key, "last_heartbeat", "death")
        answers = pipeline.execute()
    for last_heartbeat, death in answers:
        if last_heartbeat is None or death is not None:
            continue
        beat = datetime.fromisoformat(as_text(last_heartbeat).replace("Z", "+00:00"))
        if beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        if (now - beat).total_seconds() <= LIVE_WITHIN_SECONDS:
            live += 1
    return live
