"""A password link is for replacing one password: once the password has changed, by any route,
the links sent before stop working and say why."""

import hashlib
import re

import sqlalchemy as sa
from flask_migrate import upgrade

from tests.conftest import PASSWORD
from webapp import create_app
from webapp.extensions import db
from webapp.services.accounts import STALE_LINK


def reset_link(client, outbox, run_jobs, email):
    client.post_form("/password/forgot", {"email": email})
    run_jobs()
    return re.search(r"/password/reset/(\S+)", outbox.text(outbox.to(email)[-1])).group(1)


def test_a_reset_link_is_refused_after_the_password_changed_on_the_account_page(
    app, client, make_user, login_as, run_jobs, outbox
):
    user = make_user("jane@example.org")
    token = reset_link(client, outbox, run_jobs, user.email)
    assert client.get(f"/password/reset/{token}").status_code == 200  # it works until then

    login_as(user)
    chosen = "chosen-by-jane"
    new = {"current_password": PASSWORD, "new_password": chosen, "confirm": chosen}
    changed = client.post_form("/account/password", new)
    assert changed.status_code == 303
    client.post_form("/logout")

    refused = client.get(f"/password/reset/{token}")
    assert refused.status_code == 410
    assert STALE_LINK in refused.get_data(as_text=True)
    posted = client.post_form(
        f"/password/reset/{token}", {"new_password": "taken-over-pw", "confirm": "taken-over-pw"}
    )
    assert posted.status_code == 410
    login = client.post_form("/login", {"email": user.email, "password": "chosen-by-jane"})
    assert login.status_code == 303  # the password Jane chose is still hers


def test_a_reset_link_is_refused_after_a_password_set_from_the_command_line(
    app, client, make_user, run_jobs, outbox, monkeypatch
):
    user = make_user("admin@example.org", superuser=True)
    token = reset_link(client, outbox, run_jobs, user.email)
    monkeypatch.setenv("DEMO_EMAIL", user.email)
    monkeypatch.setenv("DEMO_PASSWORD", "set-by-the-operator")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert STALE_LINK in client.get(f"/password/reset/{token}").get_data(as_text=True)


def test_links_sent_before_the_upgrade_keep_working_until_the_password_changes(
    test_config, tmp_path
):
    url = f"sqlite:///{tmp_path / 'links.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="d8e2f3a4b5c6")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO users (email, name, password_hash, is_superuser, active, "
                "session_nonce, created_at) VALUES ('o@acme.fr', 'O', 'scrypt:x$y', 0, 1, 'n', "
                "CURRENT_TIMESTAMP)",
                "INSERT INTO password_tokens (user_id, token_hash, purpose, created_at, "
                "expires_at) VALUES (1, 'h', 'reset', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            ):
                conn.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT password_fingerprint FROM password_tokens"))
            assert stored.scalar_one() == hashlib.sha256(b"scrypt:x$y").hexdigest()
        db.engine.dispose()
