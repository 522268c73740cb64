"""The second factor of local accounts: TOTP codes (RFC 6238) and single-use recovery codes.

The secret is kept encrypted (webapp/secrets_box.py), the recovery codes salted and hashed;
neither is ever logged or shown again once enrolment is over. A code is accepted once: the
time-step of the last accepted code is stored, and only a later step is accepted after it, by
one conditional UPDATE, so that two requests racing with the same code cannot both pass.
"""

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from flask_babel import gettext as _

from webapp import audit, secrets_box
from webapp.extensions import db
from webapp.messages import say
from webapp.models import RecoveryCode, User
from webapp.models.base import utcnow
from webapp.services import accounts, throttles
from webapp.services.results import Result
from webapp.wordings import N_

RECOVERY_CODES = 10
# Recovery codes: 12 characters of an alphabet without look-alikes (no 0/o, 1/l/i), 60 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 12
# A code from the step before or after the current one is accepted too: a phone's clock a few
# seconds off, or a code typed just as it changed.
VALID_WINDOW = 1

WRONG_CODE = N_("This code is not right. Type the 6 digits your app shows now.")
USED_CODE = N_("This code was used already. Wait for the next one.")
NOT_A_CODE = N_("Type the 6 digits your app shows, or one of your recovery codes.")


def required_for(user: User) -> bool:
    """REQUIRE_2FA asks this account for a second factor (at logins with a password)."""
    policy = current_app.config["REQUIRE_2FA"]
    return policy == "all-local" or (policy == "superusers" and bool(user.is_superuser))


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address the QR code carries, named after the account and this site."""
    issuer = current_app.config["TWO_FACTOR_ISSUER"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _digits(code: str | None) -> str:
    return "".join((code or "").split())


def _now() -> float:
    return time.time()


def _matching_step(secret: str, code: str) -> int | None:
    """The time-step whose code is `code`, among the current one and its neighbours."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(_now())
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _secret_of(user: User) -> str | None:
    return secrets_box.unseal(user.totp_secret, max_age=None) if user.totp_secret else None


def _take_step(user: User, step: int) -> bool:
    """Record `step` as the last accepted one, unless it (or a later one) already was."""
    taken = db.session.execute(
        db.update(User)
        .where(
            User.id == user.id,
            db.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def _recovery_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _normalised_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _use_recovery_code(user: User, code: str) -> bool:
    code = _normalised_recovery(code)
    if len(code) != _CODE_LENGTH:
        return False
    unused = db.session.scalars(
        db.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in unused:
        if hmac.compare_digest(_recovery_hash(row.salt, code), row.code_hash):
            # Conditional, like the time-step: two requests with one code, one of them passes.
            used = db.session.execute(
                db.update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            return used == 1
    return False


def _new_recovery_codes(user: User) -> list[str]:
    """A fresh set, replacing the old one, in the caller's transaction; the codes in clear are
    returned to be shown once, and kept nowhere."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        code = "".join(secrets.choice(_ALPHABET) for _c in range(_CODE_LENGTH))
        salt = secrets.token_hex(16)
        db.session.add(
            RecoveryCode(user_id=user.id, salt=salt, code_hash=_recovery_hash(salt, code))
        )
        codes.append(code)
    return codes


def shown(code: str) -> str:
    """A recovery code as printed: in groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def enable(user: User, secret: str, code: str) -> Result:
    """Turn the second factor on with `secret`, once a first code from it proves the app has
    it; the value is the recovery codes, to be shown once."""
    if user.has_two_factor:
        return Result.failure(code=_("Two-factor authentication is already on."))
    code = _digits(code)
    if not _looks_like_totp(code):
        return Result.failure(code=_("Type the 6 digits your app shows."))
    step = _matching_step(secret, code)
    if step is None:
        return Result.failure(code=_(WRONG_CODE))
    user.totp_secret = secrets_box.seal(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record(None, "account.two_factor_on", say("account.two_factor_on"), target=user.email)
    db.session.commit()
    return Result.success(codes, _("Two-factor authentication is on."))


def check_login_code(user: User, code: str, address: str | None) -> Result:
    """The second step of a login: a code from the app, or a recovery code, under a throttle
    counted like the password's."""
    if refusal := throttles.second_factor_refused(user.email, address):
        return Result.failure(code=refusal)
    typed = _digits(code)
    if _looks_like_totp(typed):
        secret = _secret_of(user)
        step = _matching_step(secret, typed) if secret else None
        if step is None:
            return Result.failure(code=_(WRONG_CODE))
        if not _take_step(user, step):
            db.session.rollback()
            return Result.failure(code=_(USED_CODE))
        message = ""
    elif _use_recovery_code(user, code):
        left = recovery_codes_left(user)
        message = _(
            "You used a recovery code: %(left)d left. Make new ones from your account page.",
            left=left,
        )
    else:
        return Result.failure(code=_(NOT_A_CODE))
    throttles.forget(throttles.SECOND_FACTOR, user.email, address)
    db.session.commit()
    return Result.success(user, message, "warning" if message else "success")


def _turn_off(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, password: str, address: str | None) -> Result:
    """The person turns their second factor off, after typing their password again."""
    if refusal := accounts.current_password_problem(user, password, address):
        return Result.failure(password=refusal)
    if not user.has_two_factor:
        return Result.failure(_("Two-factor authentication is already off."))
    _turn_off(user)
    audit.record(None, "account.two_factor_off", say("account.two_factor_off"), target=user.email)
    db.session.commit()
    return Result.success(None, _("Two-factor authentication is off."))


def regenerate(user: User, password: str, address: str | None) -> Result:
    """A new set of recovery codes (the old ones stop working), after the password again."""
    if refusal := accounts.current_password_problem(user, password, address):
        return Result.failure(password=refusal)
    if not user.has_two_factor:
        return Result.failure(_("Two-factor authentication is off: there are no codes to renew."))
    codes = _new_recovery_codes(user)
    audit.record(None, "account.recovery_codes", say("account.recovery_codes"), target=user.email)
    db.session.commit()
    return Result.success(codes, _("New recovery codes are made: the old ones no longer work."))


def reset(user: User, actor: User | None) -> Result:
    """A superuser (or the platform's staff, with `flask reset-2fa`: `actor` None) turns off
    the second factor of someone who lost theirs; they enrol again at their next login if
    REQUIRE_2FA asks them to."""
    if actor is not None and user.id == actor.id:
        return Result.failure(
            _("Turn your own second factor off from your account page, with your password.")
        )
    if not user.has_two_factor:
        return Result.failure(
            _("%(email)s has no two-factor authentication to reset.", email=user.email)
        )
    _turn_off(user)
    audit.record(
        None,
        "account.two_factor_reset",
        say("account.two_factor_reset", email=user.email),
        target=user.email,
        actor=actor,
    )
    db.session.commit()
    return Result.success(
        user, _("The two-factor authentication of %(email)s is reset.", email=user.email)
    )
