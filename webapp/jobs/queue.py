"""Putting work on the RQ queue without ever losing it.

Rows are committed first and carry their own "to sync" mark, so a failed enqueue (Redis down)
loses nothing: the reconciler enqueues what is still marked. Job ids are fixed per object, so
the same work is never queued twice at once.
"""

import functools
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from webapp.models.base import utcnow

log = logging.getLogger(__name__)

QUEUE_NAMES = ("default",)
_LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
_connections: dict[str, Redis] = {}


def redis_connection() -> Redis:
    url = current_app.config["REDIS_URL"]
    if url not in _connections:
        # Short timeouts: a web request must not hang when Redis is gone.
        _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _connections[url]


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection())


def retry_policy() -> Retry | None:
    intervals = current_app.config["JOB_RETRY_INTERVALS"]
    if not intervals:
        return None  # one try only (RQ's Retry refuses max=0)
    return Retry(max=len(intervals), interval=list(intervals))


def job_is_live(job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in _LIVE


def live_jobs(prefix: str) -> list[Job]:
    """The jobs whose id starts with `prefix` that are waiting, scheduled or running."""
    target = queue()
    ids = set(target.get_job_ids())
    for registry in (
        target.started_job_registry,
        target.scheduled_job_registry,
        target.deferred_job_registry,
    ):
        ids.update(registry.get_job_ids())
    wanted = [job_id for job_id in ids if job_id.startswith(prefix)]
    return [
        job
        for job in Job.fetch_many(wanted, connection=target.connection)
        if job is not None and job.get_status(refresh=False) in _LIVE
    ]


def enqueue_once(func, *args, job_id: str, retry: bool = True, delay: float = 0) -> bool:
    """Enqueue `func(*args)` (after `delay` seconds) unless the same job is already waiting or
    running.

    Returns False when Redis cannot be reached; the caller's row stays marked for the reconciler.
    """
    try:
        if job_is_live(job_id):
            return True
        target = queue()
        enqueue = (
            functools.partial(target.enqueue_in, timedelta(seconds=delay))
            if delay > 0
            else target.enqueue
        )
        enqueue(
            func,
            *args,
            job_id=job_id,
            retry=retry_policy() if retry else None,
            job_timeout=current_app.config["JOB_TIMEOUT"],
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        return True
    except RedisError as exc:
        log.warning(
            "job %s not queued, Redis is unreachable (%s); the reconciler will", job_id, exc
        )
        return False


def mark_for_sync(row) -> None:
    """Mark `row` as waiting for its sync job; committed by the caller, with the change it
    belongs to, so that the change and its mark are saved together or not at all."""
    row.sync_requested_at = utcnow()


def enqueue_marked(row, func, job_id: str) -> bool:
    """Queue `func(row.id)` for a row whose mark is committed already; never commits.

    False when Redis is unreachable: the mark stays and the reconciler enqueues it later."""
    state = sa.inspect(row)
    if state.pending or state.modified:
        # A job queued before the commit could run, find no mark, and do nothing.
        raise RuntimeError(f"commit the mark of {row!r} before queueing its job")
    return enqueue_once(func, row.id, job_id=job_id)
