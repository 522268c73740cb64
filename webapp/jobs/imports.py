"""Bringing in what dimail has and we lack: mailboxes and aliases created outside this app.

Matching is on the address, ignoring case; functional mailboxes (no webmail account) and the
technical `oxadmin` are left out. Running it again imports nothing new. What this app could
not name as dimail does (a local part it refuses, names too long for it) is skipped, never
altered to fit, and the summary and the audit log say how many and why.
"""

from dataclasses import dataclass, field

from webapp import audit
from webapp.dimail.listing import alias_pairs, personal_mailboxes
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import enqueue_once
from webapp.messages import Said, minute, say
from webapp.models import (
    Alias,
    AliasStatus,
    Domain,
    DomainStatus,
    Mailbox,
    MailboxStatus,
    User,
)
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key
from webapp.validators import (
    MAX_NAME_LENGTH,
    InvalidValue,
    normalise_local_part,
)

DESTINATION_LENGTH = 254  # an address's limit, and the column's
SHOWN = 5  # refused addresses named in the summary; the rest are counted


@dataclass
class ImportReport:
    mailboxes: int = 0
    aliases: int = 0
    same_names: int = 0
    # Addresses whose local part this application refuses, each once (an alias may have
    # several destinations: each is one skipped item, counted in `refused`).
    refused_addresses: list[str] = field(default_factory=list)
    refused: int = 0
    too_long: int = 0  # names or a destination that do not fit our columns

    @property
    def skipped(self) -> int:
        return self.same_names + self.refused + self.too_long

    def refuse(self, address: str) -> None:
        self.refused += 1
        if address not in self.refused_addresses:
            self.refused_addresses.append(address)

    def __str__(self) -> str:
        return str(self.said())

    def said(self) -> Said:
        counts = {"mailboxes": self.mailboxes, "aliases": self.aliases}
        reasons = []
        if self.same_names:
            reasons.append(say("import.same_names", count=self.same_names))
        if self.refused:
            shown = ", ".join(self.refused_addresses[:SHOWN])
            more = len(self.refused_addresses) - SHOWN
            if more > 0:
                reasons.append(
                    say("import.refused_more", count=self.refused, addresses=shown, more=more)
                )
            else:
                reasons.append(say("import.refused", count=self.refused, addresses=shown))
        if self.too_long:
            reasons.append(say("import.too_long", count=self.too_long))
        if reasons:
            return say("import.summary_skipped", **counts, skipped=self.skipped, reasons=reasons)
        return say("import.summary", **counts)


def _valid_here(local: str) -> bool:
    """Whether the app accepts this local part as it is. One it refuses is never altered to fit
    (cut at 64 characters, stripped): the result would not name the dimail mailbox any more."""
    try:
        return normalise_local_part(local) == local
    except InvalidValue:
        return False


def import_domain(domain: Domain, actor: User | None = None) -> ImportReport:
    """Import what dimail has and we lack; an import that brought something is logged, naming
    `actor` (None: the platform)."""
    client = dimail_client()
    report = ImportReport()
    now = utcnow()
    _import_mailboxes(client, domain, report, now)
    _import_aliases(client, domain, report, now)
    domain.import_summary = say("import.done_at", summary=report.said(), at=minute(now))
    if report.mailboxes or report.aliases or report.skipped:
        audit.record(
            domain, "mailbox.imported", say("audit.imported", summary=report.said()),
            target=domain.unicode_name, actor=actor,
        )  # fmt: skip
    db.session.commit()
    return report


def _import_mailboxes(client, domain: Domain, report: ImportReport, now) -> None:
    known = {
        lp.lower()
        for lp in db.session.scalars(
            db.select(Mailbox.local_part).where(Mailbox.domain_id == domain.id)
        )
    }
    names = set(
        db.session.scalars(db.select(Mailbox.name_key).where(Mailbox.domain_id == domain.id))
    )
    for local, given, sur, seen_active in personal_mailboxes(client, domain.name):
        if local in known:
            continue
        active = seen_active is not False  # an older dimail does not say: taken as active
        if not _valid_here(local):
            report.refuse(f"{local}@{domain.unicode_name}")
            continue
        first, last = (given or "").strip() or local, (sur or "").strip()
        if max(len(first), len(last)) > MAX_NAME_LENGTH:
            report.too_long += 1
            continue
        key = name_key(first, last)
        if key in names:
            report.same_names += 1
            continue
        db.session.add(
            Mailbox(
                domain_id=domain.id, local_part=local, first_name=first,
                last_name=last, name_key=key,
                status=MailboxStatus.ENABLED if active else MailboxStatus.DISABLED,
                enabled_wanted=active, dimail_created_at=now, dimail_enabled=active,
                names_synced=True, confirmation_sent_at=now,
            )
        )  # fmt: skip
        known.add(local)
        names.add(key)
        report.mailboxes += 1


def _import_aliases(client, domain: Domain, report: ImportReport, now) -> None:
    pairs = set(
        db.session.execute(
            db.select(Alias.local_part, Alias.destination).where(Alias.domain_id == domain.id)
        ).all()
    )
    for pair in alias_pairs(client, domain.name):
        if pair in pairs:
            continue
        if not _valid_here(pair[0]):
            report.refuse(f"{pair[0]}@{domain.unicode_name}")
            continue
        if len(pair[1]) > DESTINATION_LENGTH:
            report.too_long += 1
            continue
        db.session.add(
            Alias(
                domain_id=domain.id, local_part=pair[0], destination=pair[1],
                status=AliasStatus.ENABLED, dimail_created_at=now,
            )
        )  # fmt: skip
        pairs.add(pair)
        report.aliases += 1


def _record_failure(exc: Exception, final: bool, domain_id: int, *_args) -> failures.Failure:
    failure = failures.describe(exc, say("work.import"), final, again=say("again.import"))
    domain = db.session.get(Domain, domain_id)
    if domain is not None:
        domain.import_summary = say("import.failed_at", reason=failure.reason, at=minute(utcnow()))
    return failure


@job(on_failure=_record_failure)
def import_from_dimail(domain_id: int, asked_by: int | None = None) -> str:
    """`asked_by`: the user who pressed the button (None: the nightly run)."""
    domain = db.session.get(Domain, domain_id)
    if domain is None or domain.status != DomainStatus.ENABLED:
        return "not enabled: nothing to import"
    actor = db.session.get(User, asked_by) if asked_by is not None else None
    return str(import_domain(domain, actor))


@job
def import_all_enabled() -> int:
    """The nightly run: one import job per enabled domain."""

    ids = db.session.scalars(db.select(Domain.id).where(Domain.status == DomainStatus.ENABLED))
    count = 0
    for domain_id in ids:
        if enqueue_once(import_from_dimail, domain_id, job_id=f"import-{domain_id}"):
            count += 1
    return count
