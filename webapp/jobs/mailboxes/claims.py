"""Claims on mailboxes in Redis: one job at a time talks to dimail about a mailbox.

A claim keeps a batch and a mailbox's own job from syncing the same mailbox at once. It
outlives the job's timeout (RQ stops a job at its timeout), so a job that releases a claim
still holds it; a killed job's claims expire by themselves.
"""

from flask import current_app

from webapp.jobs import failures
from webapp.jobs.queue import redis_connection


class MailboxBusy(failures.RetryLater):
    """Another job is syncing this mailbox right now; RQ tries this one again later."""


def _lock_key(mailbox_id: int) -> str:
    return f"webapp:lock:mailbox-sync-{mailbox_id}"


def claim(mailbox_ids: list[int]) -> list[int]:
    """Claim the mailboxes no other job holds (one round trip); returns those claimed."""
    ttl = current_app.config["JOB_TIMEOUT"] + 10
    pipe = redis_connection().pipeline(transaction=False)
    for mailbox_id in mailbox_ids:
        pipe.set(_lock_key(mailbox_id), "claimed", nx=True, ex=ttl)
    return [i for i, got in zip(mailbox_ids, pipe.execute(), strict=True) if got]


def release(mailbox_ids: list[int]) -> None:
    if mailbox_ids:
        redis_connection().delete(*(_lock_key(i) for i in mailbox_ids))
