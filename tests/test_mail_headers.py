"""What mail programs read before the body: when an email was written, a unique id, and that
no person wrote it (so out-of-office replies stay silent)."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def test_every_email_carries_date_message_id_and_auto_submitted(
    app, client, make_user, run_jobs, outbox
):
    app.config["MAIL_FROM"] = "Mail domains <no-reply@mail.example.org>"
    user = make_user("jane@example.org")
    before = datetime.now(UTC)
    for _ in range(2):
        client.post_form("/password/forgot", {"email": user.email})
        run_jobs()

    messages = outbox.to("jane@example.org")
    assert len(messages) == 2
    for message in messages:
        sent = parsedate_to_datetime(message["Date"])
        assert before - timedelta(seconds=5) <= sent <= datetime.now(UTC) + timedelta(seconds=5)
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].startswith("<")
        assert message["Message-ID"].endswith("@mail.example.org>")
    assert messages[0]["Message-ID"] != messages[1]["Message-ID"]


def test_the_message_id_domain_falls_back_when_mail_from_names_none(app):
    from webapp import mail

    with app.app_context():
        app.config["MAIL_FROM"] = "Mail domains"
        assert mail.message_id_domain() == mail.FALLBACK_MESSAGE_ID_DOMAIN
        app.config["MAIL_FROM"] = "Mail domains <No-Reply@Example.ORG>"
        assert mail.message_id_domain() == "example.org"
