import functools
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.validators import comparable_email

DEFAULT_HASH_METHOD = "scrypt"


def hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_HASH_METHOD


@functools.cache
def dummy_hash(method: str) -> str:
    """A hash no password matches, checked when the email is unknown. Made with the configured
    method and cost, so that a login takes the same time whether or not the account exists: a
    cheaper dummy would tell which emails have one. Made once per method and process."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def normalise_email(email: str) -> str:
    # One spelling per address, punycode and Unicode domains alike (webapp.validators).
    return comparable_email(email)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_superuser: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The language the person chose with the switch ("fr", "en"); None: their browser's.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # The second factor (webapp/services/two_factor.py): the TOTP secret, encrypted with a key
    # derived from SECRET_KEY; when it was confirmed by a first code (None: not in use); the
    # last time-step whose code was accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(500))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    accesses = relationship("DomainAccess", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    # The token of the session record this request runs in (services/sessions.py sets it): what
    # the session cookie carries, through login_manager.id_attribute, instead of the account id.
    session_token = None

    def get_session_token(self) -> str | None:
        return self.session_token

    @property
    def password_fingerprint(self) -> str:
        # Kept with each password link: the link works only while the password it replaces is
        # still the account's, so that a change of password by any route voids it.
        return hashlib.sha256(self.password_hash.encode()).hexdigest()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def burn_password_check(password: str) -> None:
        check_password_hash(dummy_hash(hash_method()), password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
