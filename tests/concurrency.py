"""Running one function from many threads at once, for concurrency tests."""

import threading

from django.db import connections


def run_concurrently(function, *, threads):
    """Start `threads` threads that call `function()` together; return (results, errors).

    Each thread closes its own database connections when done, or the test
    database could not be dropped afterwards.
    """
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(function())
        except Exception as error:  # returned to the test, which asserts on it
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors
