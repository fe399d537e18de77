"""gunicorn settings, read from the project folder by `gunicorn wsgi:app`; flags override them.

A bulk import over HTTP (POST /api/v1/imports, up to 200 MB) answers with its report when it is
done (interchange §1): 100,000 records take about 40 s, far past gunicorn's default of 30 s, so a
worker may hold a request for up to 10 minutes before it is restarted. Classification runs do
not need this: the admin page queues them for the scheduler worker.
"""

timeout = 600
graceful_timeout = 60


def child_exit(server, worker):
    """prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, see app/ops.py):
    the gauges of a worker that exits are dropped from the sum."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
