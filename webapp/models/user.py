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

# A password hash that no password matches, checked against when the email is unknown so that
# a login attempt takes the same time whether or not the account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="pbkdf2:sha256:1000")


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
    # Part of the session identifier: changing it logs out every other session of the user.
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accesses = relationship("DomainAccess", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.session_nonce = secrets.token_hex(8)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def burn_password_check(password: str) -> None:
        check_password_hash(_DUMMY_HASH, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
