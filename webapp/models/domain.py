import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.catalogue import lazy_gettext
from webapp.catalogue import lazy_gettext as _l
from webapp.extensions import db
from webapp.messages import Said
from webapp.models.base import utcnow
from webapp.models.types import MessageText
from webapp.validators import unicode_domain_name
from webapp.wordings import WORDINGS


class DomainStatus(enum.StrEnum):
    PENDING = "pending"
    ENABLED = "enabled"
    ACTION_REQUIRED = "action_required"
    FAILED = "failed"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return str(self.lazy_label)

    @property
    def lazy_label(self):
        """The label translated when shown: for lists built once (form choices)."""
        return lazy_gettext(WORDINGS[f"domain_status.{self.value}"])

    @property
    def explanation(self) -> str:
        return str(_EXPLANATIONS[self])


_EXPLANATIONS = {
    DomainStatus.PENDING: _l(
        "The domain is recorded here and is being set up on the mail platform. Mailboxes and "
        "aliases you add now are kept and sent as soon as the domain is ready."
    ),
    DomainStatus.ENABLED: _l(
        "The domain is ready: mailboxes and aliases are created on the mail "
        "platform as soon as you add them."
    ),
    DomainStatus.ACTION_REQUIRED: _l(
        "The mail platform is waiting for you: some DNS records of the domain are missing or "
        "wrong. Publish the expected records, then run a new check."
    ),
    DomainStatus.FAILED: _l(
        "The mail platform could not finish setting up the domain on its side. Its support team "
        "must act; nothing you add is lost meanwhile."
    ),
    DomainStatus.DISABLED: _l(
        "The domain was switched off by the platform's staff: nothing can be changed and it is "
        "no longer checked."
    ),
}


class Domain(db.Model):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ASCII (punycode) form: what dimail and the URLs use.
    name: Mapped[str] = mapped_column(sa.String(253), unique=True)
    support_email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), default=DomainStatus.PENDING, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An email about the last change of status is owed to the support address: set with the
    # change, cleared once it has left; the reconciler queues it again if its job was lost.
    status_email_due: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The language of the status emails to the support address (None: DEFAULT_LOCALE).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # What dimail told us. The database stays the record of what users asked for; these columns
    # keep dimail's last answer so that pages never call dimail while rendering.
    dimail_created_at: Mapped[datetime | None]
    # Set when work for dimail is wanted (creation, a check); cleared by the job that did it.
    # The reconciler re-enqueues rows where it stays set, e.g. when Redis was down.
    sync_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    last_check_at: Mapped[datetime | None]
    # The checks as dimail reported them: [{"name", "internal", "ok", "errors": [...]}].
    checks: Mapped[list | None] = mapped_column(sa.JSON)
    # The DNS records the owner must publish: [{"target", "type", "value"}].
    dns_records: Mapped[list | None] = mapped_column(sa.JSON)
    # False when the connected dimail cannot report checks (older servers).
    checks_supported: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Why dimail refused or was out of reach, for the page and support (a message).
    last_error: Mapped[Said | None] = mapped_column(MessageText)
    # What the last import from dimail brought in.
    import_summary: Mapped[Said | None] = mapped_column(MessageText)
    # The last comparison with dimail (webapp.services.drift), computed by a job so that the
    # page never calls dimail; `drift_requested_at` is set while that job is owed.
    drift_report: Mapped[dict | None] = mapped_column(sa.JSON)
    drift_checked_at: Mapped[datetime | None]
    drift_requested_at: Mapped[datetime | None]

    accesses = relationship(
        "DomainAccess", back_populates="domain", cascade="all, delete-orphan", lazy="raise"
    )

    @property
    def status_enum(self) -> DomainStatus:
        return DomainStatus(self.status)

    @property
    def syncing(self) -> bool:
        return self.sync_requested_at is not None

    @property
    def failing_checks(self) -> list[dict]:
        return [check for check in (self.checks or []) if not check.get("ok")]

    @property
    def unicode_name(self) -> str:
        return unicode_domain_name(self.name)

    def __repr__(self) -> str:
        return f"<Domain {self.name} {self.status}>"
