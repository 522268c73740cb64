"""Messages are identifiers with parameters, each worded once (webapp.messages, webapp.wordings)."""

import ast
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from webapp import create_app, messages
from webapp.extensions import db
from webapp.messages import Said, legacy, say, then
from webapp.models import AuditEntry, Mailbox
from webapp.wordings import WORDINGS

ROOT = Path(__file__).resolve().parent.parent
WEBAPP = ROOT / "webapp"
MIGRATION = next((ROOT / "migrations" / "versions").glob("*_messages_as_identifiers.py"))


def _say_calls():
    """(file, identifier or f-string prefix, is_prefix) for every say(...) in the product."""
    for path in sorted(WEBAPP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say"):
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.IfExp):  # say("a" if x else "b")
                for branch in (first.body, first.orelse):
                    yield path.name, branch.value, False
            elif isinstance(first, ast.Constant):
                yield path.name, first.value, False
            elif isinstance(first, ast.JoinedStr):
                head = first.values[0]
                yield path.name, head.value if isinstance(head, ast.Constant) else "", True
            elif isinstance(first, ast.BinOp) and isinstance(first.left, ast.JoinedStr):
                head = first.left.values[0]
                yield path.name, head.value if isinstance(head, ast.Constant) else "", True


def test_every_message_said_exists_and_every_wording_is_said():
    calls = list(_say_calls())
    literal = {name for _, name, is_prefix in calls if not is_prefix}
    prefixes = {name for _, name, is_prefix in calls if is_prefix}
    assert literal - set(WORDINGS) == set()
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in WORDINGS), prefix
    # Said by the code, or only by the migration of stored sentences (legacy.text).
    unused = {
        key
        for key in WORDINGS
        if key not in literal and not any(key.startswith(p) for p in prefixes)
    }
    assert unused == {"legacy.text"}


def test_one_wording_per_message():
    repeated = [text for text, count in Counter(WORDINGS.values()).items() if count > 1]
    assert repeated == []


@pytest.mark.parametrize(
    "phrase",
    [
        "background queue cannot be reached",
        "could not be reached",
        "dimail refused its",
        "(an older dimail) does not offer",
        "make someone else owner",
        "You cannot give a role above your own",
    ],
)
def test_sentences_that_had_several_wordings_are_written_in_one_place(phrase):
    holders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(WEBAPP.rglob("*.py"))
        if phrase in path.read_text(encoding="utf-8")
    ]
    assert holders == ["webapp/wordings.py"]


def test_say_refuses_unknown_identifiers_and_wrong_parameters():
    with pytest.raises(KeyError):
        say("no.such.message")
    with pytest.raises(TypeError):
        say("mailbox.exists")  # its address is missing
    with pytest.raises(TypeError):
        say("mailbox.exists", address="a@b.fr", extra=1)


def test_nested_messages_render_capitalised_and_survive_storage():
    what = say(
        "work.email",
        subject=say("subject.confirmation", address="j@acme.fr"),
        recipient="j@home.org",
    )
    reason = say("failure.retrying", cause=say("failure.mail_down", what=what, detail="timed out"))
    text = (
        "The email “Your mailbox j@acme.fr is ready” to j@home.org could not be sent "
        "(timed out). It is tried again automatically."
    )
    assert str(reason) == text
    assert messages.load(messages.dump(reason)) == reason
    listed = say("audit.mailbox_edited", changes=[legacy("a: 1 → 2"), legacy("b: 3 → 4")])
    assert str(listed) == "a: 1 → 2; b: 3 → 4."
    assert str(then(say("mailbox.saved_short"), say("queue.down"))).startswith("Saved. The ")


def test_a_removed_identifier_still_shows_its_row_and_plain_text_loads_as_legacy():
    assert str(Said("gone.message", (("text", "as it was"),))) == "as it was"
    assert str(Said("gone.message")) == "gone.message"
    assert messages.load("An old sentence.") == legacy("An old sentence.")
    assert messages.load('{"id": broken') == legacy('{"id": broken')


def test_message_columns_store_identifiers_and_refuse_sentences(app, make_user, make_domain):
    domain = make_domain("acme.fr", owner=make_user("o@acme.fr"))
    said = say("audit.alias_removed", address="a@acme.fr", destination="b@example.org")
    db.session.add(
        AuditEntry(domain_id=domain.id, actor_label="x", kind="alias.removed", message=said)
    )
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT message FROM audit_entries")).scalar_one()
    assert json.loads(stored) == {
        "id": "audit.alias_removed",
        "params": {"address": "a@acme.fr", "destination": "b@example.org"},
    }
    db.session.expire_all()
    assert db.session.scalar(db.select(AuditEntry.message)) == said
    db.session.add(Mailbox(domain_id=domain.id, local_part="j", first_name="J", last_name="D",
                           name_key="j d", notice="Saved."))  # fmt: skip
    with pytest.raises(sa.exc.StatementError, match="takes a Said"):
        db.session.commit()
    db.session.rollback()


def _migration_module():
    spec = importlib.util.spec_from_file_location("messages_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Sentences as the versions before identifiers wrote them.
OLD_SENTENCES = [
    "Domain acme.fr created, with support email it@acme.fr.",
    "Pending → Action required: 2 DNS checks failing: mx, spf",
    "Enabled → Disabled: set by hand",
    "Pending → Enabled.",
    "Checked: all checks pass.",
    "Mailbox jane@acme.fr disabled (applies when it is created).",
    "A new password for jane@acme.fr was sent to jane@home.org.",
    "jane@acme.fr now also sends to bob@example.org.",
    "Role of bob@example.org changed from viewer to owner.",
    "bob@example.org was given the administrator role.",
    "bob@example.org accepted the invitation as viewer.",
    "The invitation to bob@example.org was cancelled.",
    "Sent again to dimail after a loss on its side: 3 mailbox(es) and 1 alias destination(s).",
    "“Your mailbox jane@acme.fr is ready” was sent to jane@home.org.",
    "A login link is being sent to jane@home.org.",
]


@pytest.mark.parametrize("sentence", OLD_SENTENCES)
def test_the_migration_recognises_each_old_sentence_and_says_it_the_same(sentence):
    said = messages.from_dict(_migration_module().identify(sentence))
    assert said.id != messages.LEGACY
    assert str(said) == sentence


def test_the_migration_keeps_unknown_sentences_as_legacy_text():
    said = messages.from_dict(_migration_module().identify("Something else entirely"))
    assert said == legacy("Something else entirely")


def test_the_migration_turns_stored_sentences_into_identifiers(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'messages.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="d8e2f3a4b5c6")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO domains (name, support_email, status, status_changed_at, "
                    "created_at, checks_supported, last_error) VALUES ('acme.fr', 's@acme.fr', "
                    "'failed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'dimail refused it')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO audit_entries (domain_id, actor_label, kind, target, message, "
                    "created_at) VALUES (1, 'x', 'domain.status', 'acme.fr', :m, CURRENT_TIMESTAMP)"
                ),
                {"m": "Pending → Failed: dimail refused it"},
            )
        upgrade()
        entry = db.session.scalar(db.select(AuditEntry))
        assert entry.message.id == "audit.domain_status_because"
        assert str(entry.message) == "Pending → Failed: dimail refused it"
        from webapp.models import Domain

        domain = db.session.scalar(db.select(Domain))
        assert domain.last_error == legacy("dimail refused it")
        db.session.remove()
        db.engine.dispose()
