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

# A password hash that no password matches, checked against when the email is unknown so that
# a login attempt takes the same time whether or not the account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="pbkdf2:sha256:1000")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_superuser: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accesses = relationship("DomainAccess", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

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
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def burn_password_check(password: str) -> None:
        check_password_hash(_DUMMY_HASH, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
