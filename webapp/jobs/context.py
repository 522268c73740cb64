"""What a job needs around it: an application context and a dimail client."""

import functools

from flask import Flask, current_app, has_app_context

from webapp.dimail.client import DimailClient

_process_app: Flask | None = None
_clients: dict[tuple, DimailClient] = {}


def _app() -> Flask:
    global _process_app
    if has_app_context():
        return current_app._get_current_object()
    if _process_app is None:
        # Jobs run by a plain `rq worker` build the application once per process.
        from webapp import create_app

        _process_app = create_app()
    return _process_app


def job(func):
    """Run a job function in its own application context, hence its own database session."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _app().app_context():
            return func(*args, **kwargs)

    return wrapper


def dimail_client() -> DimailClient:
    """One client per process and settings, so its connection pool and token are reused."""
    config = current_app.config
    key = (config["DIMAIL_URL"], config["DIMAIL_USER"], config["DIMAIL_PASSWORD"])
    if key not in _clients:
        _clients[key] = DimailClient.from_config(config)
    return _clients[key]
