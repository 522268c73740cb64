"""What a job needs around it: an application context, a dimail client, and the one place
where whatever a job raises becomes a reason on the object's page."""

import functools
import logging

from flask import Flask, current_app, has_app_context
from rq import get_current_job

from webapp.dimail.client import DimailClient
from webapp.extensions import db
from webapp.jobs.failures import RetryLater

_process_app: Flask | None = None
_app_factory = None
_clients: dict[tuple, DimailClient] = {}


def use_app_factory(factory) -> None:
    """The application factory (webapp.create_app registers itself: this layer is below it)."""
    global _app_factory
    _app_factory = factory


def _app() -> Flask:
    global _process_app
    if has_app_context():
        return current_app._get_current_object()
    if _process_app is None:
        # Jobs run by a plain `rq worker` build the application once per process.
        _process_app = _app_factory()
    return _process_app


log = logging.getLogger(__name__)


def will_retry() -> bool:
    """Whether RQ runs the current job again if it fails now (False outside a worker)."""
    current = get_current_job()
    return current is not None and bool(current.retries_left)


def job(func=None, *, on_failure=None):
    """Run a job function in its own application context, hence its own database session.

    `on_failure(exc, final, *args)` writes what went wrong on the job's object and returns the
    `failures.Failure` it recorded; it is called for ANY exception but `RetryLater`, so no
    error class can leave an object marked without a reason. A transient failure with a retry
    left is raised again for RQ to retry; anything else ends the job there."""
    if func is None:
        return functools.partial(job, on_failure=on_failure)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _app().app_context():
            try:
                return func(*args, **kwargs)
            except RetryLater:
                raise
            except Exception as exc:
                if on_failure is None:
                    raise
                failure = _record_failure(on_failure, exc, args)
                if failure.transient and not failure.final:
                    raise
                return f"failed: {failure.kind}"

    return wrapper


def _record_failure(on_failure, exc: Exception, args: tuple):

    db.session.rollback()
    final = not will_retry()
    failure = on_failure(exc, final, *args)
    db.session.commit()
    log.warning(
        "job failed (%s, %s): %s",
        failure.kind,
        "final" if failure.final else "to be retried",
        failure.cause,
        exc_info=failure.kind == "unexpected",
    )
    return failure


def forget_dimail_clients() -> None:
    """Drop the clients (and their tokens) of this process: a dimail at the same address may
    be another server now (tests start one per test, sometimes on a port used before)."""
    while _clients:
        _clients.popitem()[1].close()


def dimail_client() -> DimailClient:
    """One client per process and settings, so its connection pool and token are reused."""
    config = current_app.config
    key = (config["DIMAIL_URL"], config["DIMAIL_USER"], config["DIMAIL_PASSWORD"])
    if key not in _clients:
        _clients[key] = DimailClient.from_config(config)
    return _clients[key]
