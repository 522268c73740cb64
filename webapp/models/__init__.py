"""Database models, one module per aggregate."""

from webapp.models.access import DomainAccess, Role
from webapp.models.alias import DEVNULL, Alias, AliasCount, AliasStatus
from webapp.models.audit import AuditCount, AuditEntry
from webapp.models.bulk_import import BulkImport, ImportRow
from webapp.models.domain import Domain, DomainStatus
from webapp.models.identity import ExternalIdentity
from webapp.models.invitation import Invitation, PasswordToken
from webapp.models.login_throttle import LoginThrottle
from webapp.models.mailbox import Mailbox, MailboxCount, MailboxStatus
from webapp.models.session_record import SessionRecord
from webapp.models.two_factor import RecoveryCode
from webapp.models.user import User

__all__ = [
    "DEVNULL",
    "Alias",
    "AliasCount",
    "AliasStatus",
    "AuditCount",
    "AuditEntry",
    "BulkImport",
    "Domain",
    "DomainAccess",
    "DomainStatus",
    "ExternalIdentity",
    "ImportRow",
    "Invitation",
    "LoginThrottle",
    "Mailbox",
    "MailboxCount",
    "MailboxStatus",
    "PasswordToken",
    "RecoveryCode",
    "Role",
    "SessionRecord",
    "User",
]
