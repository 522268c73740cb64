"""Encryption of secrets that must travel through Redis (generated passwords) or be kept.

A password dimail generates goes from the job that created the mailbox to the job that emails
it; RQ keeps job arguments in Redis, so the password travels encrypted with a key derived from
SECRET_KEY, and is never written anywhere in clear. Those expire after a week. The TOTP secret
of an account's second factor is kept with the same encryption, with no expiry (`max_age=None`):
a new SECRET_KEY cannot read it, and people then log in with a recovery code (or a superuser
resets their second factor).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

MAX_AGE_SECONDS = 7 * 24 * 3600


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"webapp.secrets_box:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(token: str, max_age: int | None = MAX_AGE_SECONDS) -> str | None:
    """The secret, or None when the token is older than `max_age` seconds (None: any age) or
    was made with another key."""
    try:
        return _fernet().decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None
