"""dimail failing in every way at once (a 30% mix of timeouts, 500/502s, dropped connections
and answers lost after the write): 40 mailboxes and 10 alias destinations still arrive, once
each, and meanwhile the pages say in plain words what is going on."""

import pytest

from tests.faults.support import (
    add_aliases,
    alias_rows,
    confirmations,
    create_mailboxes,
    expected_confirmations,
    mailbox_rows,
)
from webapp.jobs.periodic import reconcile
from webapp.models import AliasStatus, MailboxStatus

pytestmark = pytest.mark.faults

COUNT = 40
ALIAS_PAIRS = [("team", f"person{i:02}@acme.fr") for i in range(5)] + [
    (f"contact{i}", f"desk{i}@partner.example") for i in range(5)
]


def settled() -> bool:
    boxes, aliases = mailbox_rows(), alias_rows()
    return not any(row.syncing for row in [*boxes, *aliases]) and all(
        box.confirmation_sent_at for box in boxes
    )


def test_mailboxes_and_aliases_arrive_once_through_thirty_percent_faults(
    app, client, acme, dimail, run_jobs, outbox
):
    # Timeouts: the simulator hangs 0.8 s (and acts afterwards), the client gives up at 0.4 s.
    app.config.update(DIMAIL_TIMEOUT=0.4, JOB_RETRY_INTERVALS=(0,))  # one quick retry, at first
    dimail.faults(
        error_rate=0.10,
        timeout_rate=0.06,
        hang_seconds=0.8,
        drop_rate=0.07,
        fail_after_effect_rate=0.07,
        seed=20261128,
    )
    create_mailboxes(acme, COUNT)
    add_aliases(acme, ALIAS_PAIRS)

    run_jobs()
    # After their two tries, the mailboxes that did not get through are failed, each with the
    # reason in plain words and a Retry button (no stack trace, no 500, nothing "syncing").
    failed = [box for box in mailbox_rows() if box.status == MailboxStatus.FAILED]
    assert failed, "the faults should leave some mailboxes failed after the first burst"
    assert not any(box.syncing for box in failed)
    assert all("could not be reached" in str(box.last_error) for box in failed)
    page = client.get(f"/domains/acme.fr/mailboxes/{failed[0].local_part}/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The mail platform could not be reached" in text and "press Retry" in text
    assert f"/mailboxes/{failed[0].local_part}/retry" in text
    listing = client.get("/domains/acme.fr/mailboxes/")
    assert listing.status_code == 200
    assert listing.get_data(as_text=True).count('data-status="failed"') == len(failed)
    aliases = client.get("/domains/acme.fr/aliases/")
    assert aliases.status_code == 200

    # Then the usual tries, people pressing Retry on what failed, and the reconciler as the
    # cron runs it, with the faults still on.
    app.config["JOB_RETRY_INTERVALS"] = (0, 0, 0, 0, 0)
    rounds = 0
    while rounds < 20 and not settled():
        rounds += 1
        for box in mailbox_rows():
            if box.status == MailboxStatus.FAILED:
                client.post_form(f"/domains/acme.fr/mailboxes/{box.local_part}/retry")
        for alias in alias_rows():
            if alias.status == AliasStatus.FAILED:
                client.post_form(
                    "/domains/acme.fr/aliases/",
                    {"local_part": alias.local_part, "destination": alias.destination},
                )
        reconcile()
        run_jobs()

    boxes = mailbox_rows()
    assert {box.status for box in boxes} == {MailboxStatus.ENABLED}, f"after {rounds} rounds"
    assert len(boxes) == COUNT and not any(box.last_error for box in boxes)
    assert dimail.creations("mailbox:") == {
        f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)
    }  # none lost, none created twice
    assert {alias.status for alias in alias_rows()} == {AliasStatus.ENABLED}
    assert dimail.creations("alias:") == {
        f"alias:{local}@acme.fr>{destination}": 1 for local, destination in ALIAS_PAIRS
    }
    in_dimail = dimail.state()["domains"]["acme.fr"]["aliases"]
    assert sorted((a["username"], a["destination"]) for a in in_dimail) == sorted(ALIAS_PAIRS)
    assert confirmations(outbox) == expected_confirmations(COUNT)  # one email each, no more

    text = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert 'data-status="syncing"' not in text and "could not be reached" not in text
