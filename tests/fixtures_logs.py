"""No secret in any log: every test's log records are checked for the secrets it handled.

The secrets are collected as the test goes (the passwords given to `User.set_password`, what is
sealed for a job: link tokens and mailbox passwords, the login codes and passwords dimail
returns), and any password hash is recognised by its format. A record that carries one fails
the test at teardown, whatever logged it: our code, Flask logging an exception with its SQL,
RQ describing a job.
"""

import logging
import re
import traceback

import pytest

from webapp import secrets_box
from webapp.dimail.client import DimailClient
from webapp.models import User

PASSWORD = "correct-horse-battery"  # the fixtures' password (tests.conftest)

# Werkzeug's hashes: "scrypt:32768:8:1$<salt>$<hex>", "pbkdf2:sha256:1000$<salt>$<hex>".
HASH = re.compile(r"(?:scrypt|pbkdf2)[:\w]*\$[^$\s]+\$[0-9a-f]{32,}")
SHORTEST = 8  # shorter test values ("x", "people") would be found in any text


class LogSecrets(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.secrets: set[str] = {PASSWORD}

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def remember(self, value) -> None:
        if isinstance(value, str) and len(value) >= SHORTEST:
            self.secrets.add(value)

    def leaks(self) -> list[str]:
        found = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info:
                text += "".join(traceback.format_exception(*record.exc_info))
            if HASH.search(text) or any(secret in text for secret in self.secrets):
                found.append(f"{record.name}: {text[:300]}")
        return found

    def forget(self) -> None:
        self.records.clear()


@pytest.fixture(autouse=True)
def log_secrets(monkeypatch):
    handler = LogSecrets()

    def recording(original, pick):
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            handler.remember(pick(args, result))
            return result

        return wrapper

    set_password = User.set_password
    monkeypatch.setattr(User, "set_password", recording(set_password, lambda a, r: a[1]))
    monkeypatch.setattr(secrets_box, "seal", recording(secrets_box.seal, lambda a, r: a[0]))
    for name, key in (("login_code", "code"), ("reset_password", "password")):
        method = getattr(DimailClient, name)
        picked = recording(method, lambda a, r, key=key: (r or {}).get(key))
        monkeypatch.setattr(DimailClient, name, picked)

    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy")
    levels = root.level, sql.level
    # INFO and above from everything (RQ's job lines, our own), but not every SQL statement.
    root.setLevel(logging.INFO)
    sql.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        sql.setLevel(levels[1])
    leaks = handler.leaks()
    if leaks:
        pytest.fail("a secret reached the log:\n" + "\n".join(leaks), pytrace=False)
