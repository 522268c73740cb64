"""Drift: what a domain's rows say dimail has, against what dimail really holds.

After a loss on the platform's side (a restore from an old backup, a context rebuilt), rows
still say "in dimail" for mailboxes and aliases dimail no longer has. The comparison reads
one list per kind and compares in memory; the repair hands what dimail lost back to the usual
idempotent sync jobs, as if it had never been created. What dimail has and we lack is only
reported (the import offers to bring it in): nothing here ever deletes in dimail.
"""

import uuid

from webapp import audit
from webapp.dimail.client import DimailNotFound
from webapp.dimail.listing import alias_pairs, personal_mailboxes
from webapp.extensions import db
from webapp.jobs import aliases as alias_jobs
from webapp.jobs import failures
from webapp.jobs import mailboxes as mailbox_jobs
from webapp.jobs.context import dimail_client, job
from webapp.jobs.domains import create_in_dimail
from webapp.jobs.queue import enqueue_once
from webapp.messages import Said, from_json_field, minute, say
from webapp.models import Alias, AliasStatus, Domain, DomainStatus, Mailbox, MailboxStatus, User
from webapp.models.base import utcnow

KEYS = (
    ("missing_domain", "domain here that dimail lacks"),
    ("missing_mailboxes", "mailbox(es) here that dimail lacks"),
    ("dimail_only_mailboxes", "mailbox(es) in dimail only"),
    ("differing_mailboxes", "mailbox(es) that differ"),
    ("missing_aliases", "alias destination(s) here that dimail lacks"),
    ("dimail_only_aliases", "alias destination(s) in dimail only"),
)


def compare(domain: Domain) -> dict:
    """The drift of one domain, as JSON-ready lists (two dimail calls, whatever its size).

    Only rows this app believes dimail has are compared: a row still pending or being removed
    is owed work, not drift, and its sync job settles it."""
    client = dimail_client()
    try:
        theirs = {entry.local_part: entry for entry in personal_mailboxes(client, domain.name)}
        pairs = set(alias_pairs(client, domain.name))
        missing_domain = []
    except DimailNotFound:
        # dimail lost the whole domain (the usual shape of a restore): everything it held is
        # missing, the domain first.
        theirs, pairs, missing_domain = {}, set(), [domain.name]
    rows = db.session.execute(
        db.select(
            Mailbox.id, Mailbox.local_part, Mailbox.first_name, Mailbox.last_name,
            Mailbox.status, Mailbox.dimail_created_at, Mailbox.dimail_enabled,
            Mailbox.names_synced, Mailbox.sync_requested_at,
        ).where(Mailbox.domain_id == domain.id)
    ).all()  # fmt: skip
    ours = {row.local_part.lower() for row in rows}
    missing, differing = _compare_mailboxes(rows, theirs)
    alias_rows = db.session.execute(
        db.select(Alias.local_part, Alias.destination, Alias.status, Alias.dimail_created_at).where(
            Alias.domain_id == domain.id
        )
    ).all()
    known_pairs = {(a.local_part.lower(), a.destination.lower()) for a in alias_rows}
    missing_aliases = sorted(
        [a.local_part, a.destination]
        for a in alias_rows
        if a.status == AliasStatus.ENABLED
        and a.dimail_created_at is not None
        and (a.local_part.lower(), a.destination.lower()) not in pairs
    )
    return {
        "missing_domain": missing_domain,
        "missing_mailboxes": sorted(missing),
        "dimail_only_mailboxes": sorted(set(theirs) - ours),
        "differing_mailboxes": sorted(differing, key=lambda d: d["local_part"]),
        "missing_aliases": missing_aliases,
        "dimail_only_aliases": sorted(list(p) for p in pairs - known_pairs),
        # An older dimail (v1 list) does not say whether a mailbox is active.
        "active_compared": any(e.active is not None for e in theirs.values()) or not theirs,
    }


def _compare_mailboxes(rows, theirs: dict) -> tuple[list, list]:
    """(local parts dimail lacks, mailboxes that differ) among the rows dimail should have."""
    wanted = (MailboxStatus.ENABLED, MailboxStatus.DISABLED)
    missing, differing = [], []
    for row in rows:
        if row.dimail_created_at is None or row.status not in wanted:
            continue
        entry = theirs.get(row.local_part.lower())
        if entry is None:
            missing.append(row.local_part)
        elif row.sync_requested_at is None:  # a sync on its way: differences are expected
            differences = _differences(row, entry)
            if differences:
                differing.append({"local_part": row.local_part, "differences": differences})
    return missing, differing


def _differences(row, entry) -> list[dict]:
    """How one mailbox differs between us and dimail, as stored messages."""
    differences = []
    given = (entry.given_name or "").strip() or row.local_part.lower()  # as the import names them
    sur = (entry.sur_name or "").strip()
    if row.names_synced and (given, sur) != (row.first_name, row.last_name):
        here, there = f"{row.first_name} {row.last_name}", f"{given} {sur}"
        differences.append(say("drift.names_differ", here=here, there=there).as_dict())
    if entry.active is not None and row.dimail_enabled not in (None, entry.active):
        here, there = (
            say("drift.active" if v else "drift.disabled")
            for v in (row.dimail_enabled, entry.active)
        )
        differences.append(say("drift.active_differs", here=here, there=there).as_dict())
    return differences


def _state(active: bool) -> Said:
    return say("drift.active" if active else "drift.disabled")


def differences_of(item: dict) -> list[Said]:
    """The stored differences of one mailbox of a report, as messages (older reports: text)."""
    return [from_json_field(difference) for difference in item["differences"]]


def counts(report: dict) -> dict[str, int]:
    return {key: len(report.get(key) or []) for key, _ in KEYS}


def has_drift(report: dict) -> bool:
    return any(counts(report).values())


def summary(report: dict) -> str:
    if not has_drift(report):
        return "no drift"
    n = counts(report)
    return "; ".join(f"{n[key]} {label}" for key, label in KEYS if n[key])


def render_text(domain: Domain, report: dict) -> str:
    """The report as the `drift` command prints it."""
    lines = [f"{domain.name}: {summary(report)}"]
    if report.get("missing_domain"):
        lines.append(f"  missing in dimail: the domain {domain.name} itself")
    for local in report["missing_mailboxes"]:
        lines.append(f"  missing in dimail: mailbox {local}@{domain.name}")
    for local in report["dimail_only_mailboxes"]:
        lines.append(f"  only in dimail:    mailbox {local}@{domain.name}")
    for item in report["differing_mailboxes"]:
        lines.append(f"  differs:           mailbox {item['local_part']}@{domain.name}: "
                     + "; ".join(map(str, differences_of(item))))  # fmt: skip
    for local, destination in report["missing_aliases"]:
        lines.append(f"  missing in dimail: alias {local}@{domain.name} -> {destination}")
    for local, destination in report["dimail_only_aliases"]:
        lines.append(f"  only in dimail:    alias {local}@{domain.name} -> {destination}")
    if not report.get("active_compared", True):
        lines.append("  (this dimail does not report whether mailboxes are active)")
    return "\n".join(lines)


def store(domain: Domain, report: dict) -> None:
    """Keep the report on the domain for its page (committed by the caller)."""
    domain.drift_report = report
    domain.drift_checked_at = utcnow()
    domain.drift_requested_at = None


def push(domain: Domain, actor: User | None = None) -> dict:
    """Compare, then give what dimail lost back to the sync jobs; returns the comparison.

    A lost mailbox is put back where it stood before its creation (pending, nothing in dimail),
    so `sync_mailbox` creates it again and then applies its names and active flag; its
    confirmation stays sent, and the sync emails a "restored" message with the new password
    or a login link instead. A lost alias destination goes back to pending likewise."""

    report = compare(domain)
    if report.get("missing_domain"):
        # Before its mailboxes and aliases: they can only be created in an existing domain.
        create_in_dimail(dimail_client(), domain)
    now = utcnow()
    lost = {name.lower() for name in report["missing_mailboxes"]}
    mailbox_ids = sorted(
        mailbox.id
        for mailbox in db.session.scalars(db.select(Mailbox).where(Mailbox.domain_id == domain.id))
        if mailbox.local_part.lower() in lost
    )
    if mailbox_ids:
        db.session.execute(
            db.update(Mailbox)
            .where(Mailbox.id.in_(mailbox_ids))
            .values(
                dimail_created_at=None, dimail_enabled=None, names_synced=False,
                status=MailboxStatus.PENDING, last_error=None, sync_requested_at=now,
            )
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    lost_pairs = {(lp.lower(), dest.lower()) for lp, dest in report["missing_aliases"]}
    alias_ids = sorted(
        alias.id
        for alias in db.session.scalars(db.select(Alias).where(Alias.domain_id == domain.id))
        if (alias.local_part.lower(), alias.destination.lower()) in lost_pairs
    )
    if alias_ids:
        db.session.execute(
            db.update(Alias)
            .where(Alias.id.in_(alias_ids))
            .values(
                status=AliasStatus.PENDING, dimail_created_at=None, last_error=None,
                sync_requested_at=now,
            )
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    pushed = say("drift.pushed", mailboxes=len(mailbox_ids), aliases=len(alias_ids))
    audit.record(domain, "domain.pushed", pushed, target=domain.unicode_name, actor=actor)
    store(domain, report)
    last_push = say("drift.pushed_at", pushed=pushed, at=minute(now))
    domain.drift_report = {**report, "last_push": last_push.as_dict()}
    db.session.commit()
    # The marks are committed first: if Redis fails now, the reconciler queues them.
    if mailbox_ids:
        mailbox_jobs.request_batch_sync(domain.id, mailbox_ids)
    for alias_id in alias_ids:
        enqueue_once(alias_jobs.sync_alias, alias_id, job_id=alias_jobs.sync_job_id(alias_id))
    return report


def _record_failure(exc: Exception, final: bool, domain_id: int, *_args) -> failures.Failure:
    failure = failures.describe(exc, say("work.comparison"), final, again=say("again.compare"))
    domain = db.session.get(Domain, domain_id)
    if domain is not None and failure.final:
        domain.drift_requested_at = None
        domain.drift_report = {**(domain.drift_report or {}), "error": failure.reason.as_dict()}
    return failure


@job(on_failure=_record_failure)
def compare_with_dimail(domain_id: int) -> str:
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    report = compare(domain)
    store(domain, report)
    db.session.commit()
    return summary(report)


@job(on_failure=_record_failure)
def push_to_dimail(domain_id: int, asked_by: int | None = None) -> str:
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    if domain.status != DomainStatus.ENABLED:
        domain.drift_requested_at = None
        db.session.commit()
        return "not enabled: nothing pushed"
    actor = db.session.get(User, asked_by) if asked_by is not None else None
    return summary(push(domain, actor))


def job_id(kind: str, domain_id: int) -> str:
    # Comparisons are one at a time per domain; each push is its own request.
    return f"drift-{domain_id}" if kind == "compare" else f"push-{domain_id}-{uuid.uuid4().hex}"
