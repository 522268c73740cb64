"""Commands run as `flask --app webapp <command>`."""

import os

import click
from flask import current_app

from webapp.extensions import db
from webapp.jobs import drift
from webapp.jobs.imports import import_all_enabled, import_domain
from webapp.jobs.periodic import check_due_domains, reconcile, tick
from webapp.jobs.queue import QUEUE_NAMES, queue, redis_connection
from webapp.models import Domain, DomainStatus
from webapp.services import accounts, imports, sessions, two_factor
from webapp.validators import InvalidValue, normalise_domain_name

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


@click.command("reset-2fa")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Turn off the second factor of an account whose phone and recovery codes are lost (the
    last superuser's included, whom no other can reset from the Accounts page)."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    result = two_factor.reset(user, None)
    if not result.ok:
        raise click.ClickException(result.message)
    click.echo(result.message)


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
        sessions.end_all(user)  # a new password ends the old sessions, as on the account page
        user.is_superuser = True
        user.active = True
        db.session.commit()
    click.echo(f"Demo superuser: {email} / {password}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker, with its scheduler, inside the application context."""
    from rq import SimpleWorker

    # Jobs run in this process rather than in a fork per job, so that the dimail client's
    # connection pool and token live across jobs. Job timeouts still apply (signals).
    queues = [queue(name) for name in QUEUE_NAMES]
    worker = SimpleWorker(queues, connection=queues[0].connection)
    click.echo(f"Worker listening on {', '.join(QUEUE_NAMES)} at {_redacted_redis_url()}")
    worker.work(with_scheduler=True, burst=burst)


@click.command("cron")
@click.option("--interval", default=60, show_default=True, help="Seconds between two ticks.")
def cron_command(interval: int) -> None:
    """Run RQ's cron scheduler: periodic re-checks and the reconciler."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection())
    scheduler.register(tick, "default", interval=interval, job_timeout=600)
    scheduler.register(import_all_enabled, "default", cron="30 3 * * *", job_timeout=600)
    click.echo(f"Cron: periodic checks and reconciliation every {interval} s")
    scheduler.start()


@click.command("check-domains")
@click.option("--all", "force", is_flag=True, help="Check every domain, not only those due.")
def check_domains_command(force: bool) -> None:
    """Queue a dimail check of the domains that are due for one."""

    click.echo(f"Asked for {check_due_domains(force=force)} domain check(s).")


def _domain_named(domain: str):

    try:
        name = normalise_domain_name(domain)
    except InvalidValue as exc:
        raise click.ClickException(str(exc)) from exc
    found = db.session.scalar(db.select(Domain).where(Domain.name == name))
    if found is None:
        raise click.ClickException(f"No domain {name} here.")
    return found


def _enabled_domains(domain: str | None) -> list:
    """DOMAIN (which must be enabled), or every enabled domain."""

    if domain is None:
        query = db.select(Domain).where(Domain.status == DomainStatus.ENABLED).order_by(Domain.name)
        return list(db.session.scalars(query))
    found = _domain_named(domain)
    if found.status != DomainStatus.ENABLED:
        raise click.ClickException(f"{found.name} is {found.status}: only enabled domains.")
    return [found]


@click.command("drift")
@click.argument("domain", required=False)
def drift_command(domain: str | None) -> None:
    """Compare DOMAIN (default: every enabled domain) with what dimail holds."""

    for found in _enabled_domains(domain):
        report = drift.compare(found)
        drift.store(found, report)  # the page shows the latest comparison, whoever ran it
        db.session.commit()
        click.echo(drift.render_text(found, report))


@click.command("push-to-dimail")
@click.argument("domain", required=False)
def push_to_dimail_command(domain: str | None) -> None:
    """Send again to dimail what DOMAIN's rows want and dimail lost (never deletes there)."""

    for found in _enabled_domains(domain):
        report = drift.push(found)
        n = drift.counts(report)
        click.echo(
            f"{found.name}: {n['missing_mailboxes']} mailbox(es) and {n['missing_aliases']} "
            "alias destination(s) queued to be created again"
        )


@click.command("import-dimail")
@click.argument("domain")
def import_dimail_command(domain: str) -> None:
    """Bring in the mailboxes and aliases that dimail has for DOMAIN and we lack."""

    found = _domain_named(domain)
    name = found.name
    if found.status != DomainStatus.ENABLED:
        raise click.ClickException(f"{name} is {found.status}: only enabled domains are imported.")
    click.echo(f"{name}: {import_domain(found)}.")


@click.command("import-csv")
@click.argument("domain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--aliases", is_flag=True, help="The file holds aliases, not mailboxes.")
@click.option("--dry-run", is_flag=True, help="Show what would be done; create nothing.")
def import_csv_command(domain: str, file: str, aliases: bool, dry_run: bool) -> None:
    """Import the mailboxes (or aliases) of a CSV or .xlsx FILE into DOMAIN, as the page does."""

    found = _domain_named(domain)
    kind = "aliases" if aliases else "mailboxes"
    with open(file, "rb") as handle:
        data = handle.read()
    name = os.path.basename(file)
    try:
        verdicts = imports.judge_file(found, kind, data, name)
    except InvalidValue as exc:
        raise click.ClickException(str(exc)) from exc
    for verdict in verdicts:
        if verdict.errors:
            reasons = "; ".join(verdict.errors.values())
            click.echo(f"line {verdict.line}: {verdict.outcome}: {reasons}")
    counts = imports.counts(verdicts)
    summary = ", ".join(f"{counts.get(o, 0)} {o}" for o in ("create", "exists", "error"))
    if dry_run:
        click.echo(f"{found.name}: {summary} (dry run: nothing created).")
        return
    result = imports.confirm(imports.preview(found, kind, data, name).value)
    if not result.ok:
        raise click.ClickException(result.message)
    click.echo(f"{found.name}: {summary}. {result.message}")


@click.command("reconcile")
def reconcile_command() -> None:
    """Queue again everything left waiting for dimail (after Redis was down, say)."""

    counts = reconcile()
    click.echo(", ".join(f"{n} {kind} re-enqueued" for kind, n in counts.items()))


def _redacted_redis_url() -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(current_app.config["REDIS_URL"])
    host = parts.hostname or parts.path
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}"


def init_app(app) -> None:
    for command in (
        create_user_command,
        reset_two_factor_command,
        seed_demo_command,
        worker_command,
        cron_command,
        check_domains_command,
        reconcile_command,
        import_dimail_command,
        drift_command,
        push_to_dimail_command,
        import_csv_command,
    ):
        app.cli.add_command(command)
