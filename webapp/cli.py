"""Commands run as `flask --app webapp <command>`."""

import os

import click
from flask import current_app

from webapp.extensions import db
from webapp.services import accounts

DEFAULT_DEMO_EMAIL = "admin@example.org"
DEFAULT_DEMO_PASSWORD = "demo-admin-password"  # noqa: S105 - development only, printed on start


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
@click.option("--superuser", is_flag=True, help="Give the account every right on every domain.")
def create_user_command(email: str, password: str, name: str, superuser: bool) -> None:
    """Create an account."""
    result = accounts.create_user(email, password, name=name, superuser=superuser)
    if not result.ok:
        raise click.ClickException(" ".join(result.errors.values()))
    kind = "superuser" if superuser else "user"
    click.echo(f"Created {kind} {result.value.email}.")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create (or reset) the development superuser from DEMO_EMAIL and DEMO_PASSWORD."""
    email = os.environ.get("DEMO_EMAIL") or DEFAULT_DEMO_EMAIL
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    user = accounts.find_user_by_email(email)
    if user is None:
        result = accounts.create_user(email, password, name="Demo admin", superuser=True)
        if not result.ok:
            raise click.ClickException(" ".join(result.errors.values()))
    else:
        problem = accounts.password_problem(password)
        if problem:
            raise click.ClickException(f"DEMO_PASSWORD: {problem}")
        user.set_password(password)
        user.is_superuser = True
        user.active = True
        db.session.commit()
    click.echo(f"Demo superuser: {email} / {password}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker, with its scheduler, inside the application context."""
    from rq import Worker

    from webapp.jobs.queue import QUEUE_NAMES, queue

    queues = [queue(name) for name in QUEUE_NAMES]
    worker = Worker(queues, connection=queues[0].connection)
    click.echo(f"Worker listening on {', '.join(QUEUE_NAMES)} at {_redacted_redis_url()}")
    worker.work(with_scheduler=True, burst=burst)


def _redacted_redis_url() -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(current_app.config["REDIS_URL"])
    host = parts.hostname or parts.path
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}"


def init_app(app) -> None:
    for command in (create_user_command, seed_demo_command, worker_command):
        app.cli.add_command(command)
