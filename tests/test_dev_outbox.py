"""The development outbox: registered only in development, and safe with what emails contain."""

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from devtools.dev import free_port
from devtools.mailcatcher import KeepMessages
from tests.conftest import CSRFClient
from webapp import create_app
from webapp.dev_outbox import linkify, outbox_folder
from webapp.extensions import db

SUBJECT = "Bienvenue, Élodie : votre accès est créé"
BASE_NS = 1_700_000_000_000_000_000


@pytest.fixture
def outbox_dir(tmp_path) -> Path:
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


def _outbox_app(test_config, **overrides):
    app = create_app({**test_config, **overrides})
    app.test_client_class = CSRFClient
    return app


@pytest.fixture
def outbox_app(app, test_config, outbox_dir):
    """An app with the outbox switched on; `app` is asked for so that the tables are cleaned."""
    outbox = _outbox_app(test_config, DEV_OUTBOX=True, DEV_OUTBOX_DIR=str(outbox_dir))
    yield outbox
    with outbox.app_context():
        db.engine.dispose()


@pytest.fixture
def outbox_client(outbox_app) -> CSRFClient:
    return outbox_app.test_client()


def build(subject="Hello", *, text="Hello there.", html=None, to="someone@example.org"):
    message = EmailMessage()
    message["From"] = "Mail domains <no-reply@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def drop(folder: Path, content, offset: int = 0, suffix: str = "0123abcd") -> str:
    """Write a message as the catcher does; returns its id."""
    raw = content.as_bytes() if isinstance(content, EmailMessage) else content
    message_id = f"{BASE_NS + offset}-{suffix}"
    (folder / f"{message_id}.eml").write_bytes(raw)
    return message_id


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# ---- Registration ----


def test_no_outbox_outside_development(client, test_config):
    assert client.get("/dev/outbox").status_code == 404
    assert "Outbox (dev)" not in page(client, "/login")
    production = create_app({**test_config, "APP_ENV": "production"})
    assert "dev_outbox.index" not in production.view_functions
    assert production.test_client().get("/dev/outbox").status_code == 404


def test_development_has_the_outbox_in_the_instance_folder(app, test_config):
    development = create_app({**test_config, "APP_ENV": "development"})
    assert "dev_outbox.index" in development.view_functions
    with development.test_request_context():
        assert outbox_folder() == Path(development.instance_path) / "outbox"


def test_every_outbox_route_is_marked_public(outbox_app):
    endpoints = [name for name in outbox_app.view_functions if name.startswith("dev_outbox.")]
    assert sorted(endpoints) == [
        "dev_outbox.clear",
        "dev_outbox.html",
        "dev_outbox.index",
        "dev_outbox.show",
    ]
    assert {outbox_app.view_functions[name].access for name in endpoints} == {"public"}


def test_nav_link_when_registered(outbox_client, make_user):
    assert 'href="/dev/outbox"' in page(outbox_client, "/login")
    user = make_user("reader@example.org")
    response = outbox_client.post_form(
        "/login", {"email": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 303
    body = page(outbox_client, "/dev/outbox")
    assert "reader@example.org" in body  # the logged-in navigation, with the link in it
    assert re.search(r'<a href="/dev/outbox"\s+aria-current="page">Outbox \(dev\)</a>', body)


# ---- The list ----


def test_empty_state(outbox_client):
    body = page(outbox_client, "/dev/outbox")
    assert "No email caught yet. Emails the application sends in development land here." in body
    assert "Delete all messages" not in body


def test_missing_folder_is_an_empty_outbox(outbox_client, outbox_dir):
    outbox_dir.rmdir()
    assert "No email caught yet" in page(outbox_client, "/dev/outbox")


def test_newest_first_and_only_complete_messages(outbox_client, outbox_dir):
    drop(outbox_dir, build("Oldest"), offset=-BASE_NS + 999)  # three digits: sorts by number
    drop(outbox_dir, build("Middle"), offset=1)
    drop(outbox_dir, build("Newest", to="last@example.org"), offset=2)
    (outbox_dir / f".{BASE_NS + 3}-ffffffff.eml").write_bytes(build("Partial").as_bytes())
    (outbox_dir / "notes.txt").write_text("not a message")
    body = page(outbox_client, "/dev/outbox")
    assert [body.index(s) for s in ("Newest", "Middle", "Oldest")] == sorted(
        body.index(s) for s in ("Newest", "Middle", "Oldest")
    )
    assert "Partial" not in body
    assert "3 messages" in body
    assert "last@example.org" in body and "no-reply@example.org" in body
    assert f'href="/dev/outbox/{BASE_NS + 2}-0123abcd"' in body


def test_fifty_a_page(outbox_client, outbox_dir):
    for number in range(51):
        drop(outbox_dir, build(f"Message number {number:02d}."), offset=number)
    first = page(outbox_client, "/dev/outbox")
    assert first.count('<th scope="row">') == 50
    assert "Message number 50." in first and "Message number 00." not in first
    assert "Page 1 of 2" in first
    second = page(outbox_client, "/dev/outbox?page=2")
    assert second.count('<th scope="row">') == 1
    assert "Message number 00." in second
    assert "Message number 00." in page(outbox_client, "/dev/outbox?page=99")
    assert "Message number 50." in page(outbox_client, "/dev/outbox?page=nonsense")


# ---- One message ----


def test_message_in_full_with_an_accented_subject(outbox_client, outbox_dir):
    message = build(
        SUBJECT,
        text="Bonjour Élodie,\nvotre accès est prêt.",
        html='<p class="hello-marker">Bonjour <b>Élodie</b></p>',
        to="Élodie Dupré <elodie@example.org>",
    )
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw  # the subject really travels encoded
    message_id = drop(outbox_dir, raw)

    assert SUBJECT in page(outbox_client, "/dev/outbox")
    body = page(outbox_client, f"/dev/outbox/{message_id}")
    assert f"<h1>{SUBJECT}</h1>" in body
    assert "Mail domains &lt;no-reply@example.org&gt;" in body
    assert "Élodie Dupré &lt;elodie@example.org&gt;" in body
    assert "Fri, 27 Nov 2026 10:00:00 +0000" in body
    assert re.search(r'<pre class="outbox-text">Bonjour Élodie,\nvotre accès est prêt.', body)
    # The HTML part is framed from its own address, never written into the page.
    assert f'<iframe class="outbox-frame" sandbox src="/dev/outbox/{message_id}/html"' in body
    assert '<p class="hello-marker">' not in body


def test_html_part_is_served_alone_and_sandboxed(outbox_client, outbox_dir):
    html = '<p style="color: red">Hi</p><script>alert(1)</script>'
    message_id = drop(outbox_dir, build(html=html))
    response = outbox_client.get(f"/dev/outbox/{message_id}/html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert html in response.get_data(as_text=True)
    directives = [d.strip() for d in response.headers["Content-Security-Policy"].split(";")]
    assert directives[0] == "sandbox"
    for directive in (
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "frame-ancestors 'self'",
    ):
        assert directive in directives
    assert not any(d.startswith("script-src") for d in directives)
    assert response.headers.getlist("Content-Security-Policy") == [
        response.headers["Content-Security-Policy"]
    ]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    # The page around it keeps the site's own policy.
    around = outbox_client.get(f"/dev/outbox/{message_id}")
    assert "frame-ancestors 'none'" in around.headers["Content-Security-Policy"]
    assert around.headers["X-Frame-Options"] == "DENY"


def test_message_without_html_part(outbox_client, outbox_dir):
    message_id = drop(outbox_dir, build(text="Only text."))
    body = page(outbox_client, f"/dev/outbox/{message_id}")
    assert "Only text." in body
    assert "<iframe" not in body
    assert outbox_client.get(f"/dev/outbox/{message_id}/html").status_code == 404


def test_links_in_the_text_are_clickable_and_everything_is_escaped(outbox_client, outbox_dir):
    text = (
        "Accept the invitation: https://mail-domains.test/invitations/abc?x=1&y=2.\n"
        "<script>alert('boom')</script>\n"
        "Not a link: javascript:alert(1) ftp://files.example.org/\n"
        '(details at http://example.org/help) http://evil.example/"onmouseover="alert(1)\n'
    )
    message_id = drop(outbox_dir, build(text=text))
    body = page(outbox_client, f"/dev/outbox/{message_id}")
    url = "https://mail-domains.test/invitations/abc?x=1&amp;y=2"
    assert f'<a href="{url}">{url}</a>.' in body
    assert '(details at <a href="http://example.org/help">http://example.org/help</a>)' in body
    assert '<a href="http://evil.example/">http://evil.example/</a>&#34;onmouseover=' in body
    assert "&lt;script&gt;alert(&#39;boom&#39;)&lt;/script&gt;" in body
    assert "<script>alert" not in body
    assert 'href="javascript' not in body and 'href="ftp' not in body


def test_linkify_escapes_then_links():
    assert str(linkify("a < b & https://x.org/?q=<i>")) == (
        'a &lt; b &amp; <a href="https://x.org/?q=">https://x.org/?q=</a>&lt;i&gt;'
    )
    assert str(linkify("see HTTPS://X.ORG/A, then http://")) == (
        'see <a href="HTTPS://X.ORG/A">HTTPS://X.ORG/A</a>, then http://'
    )


def test_unreadable_message_shows_its_raw_text(outbox_client, outbox_dir):
    raw = (
        b"From: someone@example.org\r\nSubject: Broken\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n<b>body</b> text\r\n"
    )
    message_id = drop(outbox_dir, raw)
    body = page(outbox_client, f"/dev/outbox/{message_id}")
    assert "could not be read as an email" in body
    assert "&lt;b&gt;body&lt;/b&gt; text" in body
    assert "Broken" in page(outbox_client, "/dev/outbox")


@pytest.mark.parametrize(
    "url",
    [
        "/dev/outbox/abc",
        "/dev/outbox/../../etc/passwd",
        "/dev/outbox/..%2F..%2Fetc%2Fpasswd",
        "/dev/outbox/%2E%2E",
        "/dev/outbox/1700000000000000000-0123ABCD",
        "/dev/outbox/1700000000000000000-0123abcd.eml",
        "/dev/outbox/1700000000000000000-0123abcd/",
        "/dev/outbox/abc/html",
        "/dev/outbox/..%2Fsecret/html",
        f"/dev/outbox/{BASE_NS + 5}-0123abcd",  # well formed, no such message
    ],
)
def test_bad_ids_are_not_found(outbox_client, outbox_dir, url):
    drop(outbox_dir, build())
    (outbox_dir.parent / "secret.eml").write_bytes(build("Secret").as_bytes())
    response = outbox_client.get(url)
    assert response.status_code == 404
    assert "Secret" not in response.get_data(as_text=True)


# ---- Clearing ----


def test_clear_deletes_every_message(outbox_client, outbox_dir):
    drop(outbox_dir, build("One"), offset=1)
    drop(outbox_dir, build("Two"), offset=2)
    partial = outbox_dir / f".{BASE_NS + 3}-0123abcd.eml"
    partial.write_bytes(b"still arriving")
    assert "Delete all messages" in page(outbox_client, "/dev/outbox")

    response = outbox_client.post_form("/dev/outbox/clear")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dev/outbox")
    assert sorted(p.name for p in outbox_dir.iterdir()) == [partial.name]  # the catcher's own
    body = page(outbox_client, "/dev/outbox")
    assert "Deleted 2 messages." in body
    assert "No email caught yet" in body


def test_clear_needs_the_csrf_token(outbox_client, outbox_dir):
    drop(outbox_dir, build())
    assert outbox_client.post("/dev/outbox/clear").status_code == 400
    assert len(list(outbox_dir.iterdir())) == 1


# ---- End to end ----


def test_a_message_sent_over_smtp_shows_on_the_page(outbox_client, outbox_dir):
    port = free_port()
    controller = Controller(KeepMessages(outbox_dir), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = build(
            SUBJECT,
            text="Log in here: http://mail-domains.test/login?next=%2Fdomains\n",
            html="<p>Log in <a href='http://mail-domains.test/login'>here</a></p>",
        )
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()

    listing = page(outbox_client, "/dev/outbox")
    assert SUBJECT in listing
    found = re.search(r'href="(/dev/outbox/[0-9]+-[0-9a-f]{8})"', listing)
    assert found, listing
    body = page(outbox_client, found.group(1))
    link = "http://mail-domains.test/login?next=%2Fdomains"
    assert f'<a href="{link}">{link}</a>' in body
    html = outbox_client.get(f"{found.group(1)}/html")
    assert html.status_code == 200
    assert "mail-domains.test/login" in html.get_data(as_text=True)
