import pytest

from config import embedded_redis


def test_it_answers_ok_when_database_and_redis_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_naming_redis_when_redis_is_down(client, db, settings, tmp_path):
    # A real server, started and then stopped: nothing listens on its socket any more.
    embedded_redis.ensure_running(tmp_path)
    embedded_redis.stop(tmp_path)
    settings.RQ_QUEUES = {name: {"URL": embedded_redis.url_for(tmp_path)} for name in settings.RQ_QUEUES}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down: ")


def test_the_home_page_keeps_working_while_redis_is_down(client, settings, tmp_path, main_account):
    settings.RQ_QUEUES = {name: {"URL": embedded_redis.url_for(tmp_path / "nothing-here")}
                          for name in settings.RQ_QUEUES}
    response = client.get("/")
    assert response.status_code == 200
    assert b"Alice Air" in response.content


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_only_answers_get(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405


def test_it_counts_only_workers_with_a_recent_heartbeat(client, db):
    import datetime

    import django_rq
    from rq.utils import utcformat

    from config.workers import PatientWorker

    connection = django_rq.get_connection("default")
    live = PatientWorker([django_rq.get_queue("default")], connection=connection, name="chorus-test-live")
    killed = PatientWorker([django_rq.get_queue("default")], connection=connection, name="chorus-test-killed")
    try:
        live.register_birth()
        killed.register_birth()
        # A worker killed with SIGKILL never unregisters: its last heartbeat just grows old.
        long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        connection.hset(killed.key, "last_heartbeat", utcformat(long_ago))

        body = client.get("/healthz").json()

        assert body["checks"]["workers"] == 1
    finally:
        live.register_death()
        killed.register_death()
