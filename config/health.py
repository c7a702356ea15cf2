"""`/healthz`: is this web process able to serve? Checks the database and Redis.

Answers 200 when both answer, 503 naming the part that is down otherwise, as
JSON for load balancers and people alike. It also reports how many RQ workers
are alive (a heartbeat within the last minute and a half, see
config/workers.py), for information only: a web process can serve without
them, and the registrations of killed workers are not counted.
"""

import django_rq
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.workers import live_worker_count


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis():
    redis = django_rq.get_connection("default")
    redis.ping()
    return live_worker_count(redis)


@never_cache
@require_GET
def healthz(request):
    checks = {}
    try:
        check_database()
        checks["database"] = "ok"
    except Exception as error:  # any failure means "down"; the class name says which
        checks["database"] = f"down: {type(error).__name__}"
    try:
        workers = check_redis()
        checks["redis"] = "ok"
        checks["workers"] = workers
    except Exception as error:
        checks["redis"] = f"down: {type(error).__name__}"
    healthy = checks["database"] == "ok" and checks["redis"] == "ok"
    body = {"status": "ok" if healthy else "down", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
