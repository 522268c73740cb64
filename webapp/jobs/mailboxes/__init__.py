"""Jobs that make dimail's mailboxes match ours, and the emails that go with them.

- claims: one job at a time per mailbox (Redis);
- rows: outcomes written only while nobody edited the row;
- sync: the sync of one mailbox;
- batches: many mailboxes of a domain in one job;
- emails: the confirmation, restored, new-password and login-link emails.

The names below are the package's interface; queued jobs keep working under them.
"""

from webapp.jobs.mailboxes.batches import (
    BATCH_JOB_PREFIX,
    SYNC_BATCH,
    batched_ids,
    request_batch_sync,
    retry_alone,
    sync_mailboxes,
)
from webapp.jobs.mailboxes.claims import MailboxBusy
from webapp.jobs.mailboxes.emails import (
    confirmation_job_id,
    enqueue_action,
    request_confirmation,
    reset_password,
    send_confirmation,
    send_login_link,
    send_restored,
)
from webapp.jobs.mailboxes.sync import request_sync, sync_job_id, sync_mailbox

__all__ = [
    "BATCH_JOB_PREFIX",
    "SYNC_BATCH",
    "MailboxBusy",
    "batched_ids",
    "confirmation_job_id",
    "enqueue_action",
    "request_batch_sync",
    "request_confirmation",
    "request_sync",
    "reset_password",
    "retry_alone",
    "send_confirmation",
    "send_login_link",
    "send_restored",
    "sync_job_id",
    "sync_mailbox",
    "sync_mailboxes",
]
