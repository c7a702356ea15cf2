"""The one scheduler of periodic sweeps, patient with Redis: `python -m config.scheduler`.

It is rq's cron scheduler as django-rq runs it (`manage.py rqcron config.cron`),
with one difference: rq's loop ends the process at the first ConnectionError,
so a Redis restart used to stop the sweeps until someone restarted the
scheduler (and `make run` then stopped everything). This one logs one line when
Redis goes away, retries with backoff (1, 2, 4 … 30 s), logs one line when it is
back, and carries on. A sweep that fell due during the outage is enqueued once
when Redis returns; the sweeps find their work in the database, so nothing that
was due is missed.

    python -m config.scheduler [config.cron]
"""

import logging
import os
import sys
import time
from contextlib import suppress

from rq.exceptions import StopRequested

from config.workers import REDIS_DOWN, RedisOutage

DEFAULT_CRON_MODULE = "config.cron"


def make_patient_scheduler_class():
    # django_rq.cron imports the settings: only import it once Django is set up.
    from django_rq.cron import DjangoCronScheduler

    class PatientCronScheduler(DjangoCronScheduler):
        def start(self):
            outage = RedisOutage(self.log, "scheduler")
            self.log.info("scheduler %s: starting with %d sweeps", self.name, len(self.get_jobs()))
            self._install_signal_handlers()
            try:
                outage.until_reachable(self.register_birth)
                while True:
                    try:
                        # A job that fails to enqueue keeps its due time, so it is enqueued on recovery.
                        if self.enqueue_jobs():
                            self.save()
                        self.heartbeat()
                    except REDIS_DOWN as error:
                        outage.wait(error)
                        continue
                    outage.recovered()
                    sleep_time = self.calculate_sleep_interval()
                    if sleep_time > 0:
                        time.sleep(sleep_time)
            except (KeyboardInterrupt, StopRequested):
                self.log.info("scheduler %s: stopping", self.name)
            finally:
                with suppress(*REDIS_DOWN):
                    self.register_death()

    return PatientCronScheduler


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.env import EnvError

    try:
        import django

        django.setup()
        from config import embedded_redis

        embedded_redis.ensure_running_if_embedded()
    except EnvError as error:
        sys.exit(f"chorus: configuration error: {error}")
    from django.conf import settings

    logging.getLogger("rq.cron").setLevel(settings.LOG_LEVEL)
    scheduler = make_patient_scheduler_class()(logging_level=settings.LOG_LEVEL)
    scheduler.load_config_from_file(argv[1] if len(argv) > 1 else DEFAULT_CRON_MODULE)
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
