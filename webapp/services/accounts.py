"""Accounts: creating users, logging in with a throttle, changing passwords."""

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from webapp import secrets_box
from webapp.extensions import db
from webapp.jobs.emails import send_password_link
from webapp.jobs.queue import enqueue_once
from webapp.models import PasswordToken, User
from webapp.models.base import utcnow
from webapp.models.invitation import hash_token, new_token
from webapp.models.user import normalise_email
from webapp.services import sessions, throttles
from webapp.services.results import Result
from webapp.validators import InvalidValue, normalise_email_address
from webapp.wordings import N_

MIN_PASSWORD_LENGTH = 10
BAD_CREDENTIALS = N_("The email or the password is not right.")
EMAIL_TAKEN = N_("An account with this email already exists.")
SSO_ONLY = N_(
    "Here, passwords are for superusers only: sign in with %(provider)s instead (the button above)."
)
SSO_ONLY_RESET = N_(
    "Here, only superusers have a password, so only they can choose a new one: the others sign "
    "in with %(provider)s."
)


def passwords_for(user: User | None) -> bool:
    """Whether this account may log in with a password (LOCAL_LOGIN=superusers keeps passwords
    for superusers only, so that someone gets in while the identity provider is down)."""
    if current_app.config["LOCAL_LOGIN"] != "superusers":
        return True
    return user is not None and user.is_superuser


def sso_only_message(reset: bool = False) -> str:
    return _(SSO_ONLY_RESET if reset else SSO_ONLY, provider=current_app.config["OIDC_LOGIN_LABEL"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def password_problem(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        return _("Use at most 1024 characters.")
    return None


def _saved(user: User) -> bool:
    """Commit a new account; False when the same email was created in parallel between our
    check and our insert. Caught here, before anything logs the statement with its parameters
    (the password hash among them)."""
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def create_user(email: str, password: str, *, name: str = "", superuser: bool = False) -> Result:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        return Result.failure(email=_(EMAIL_TAKEN))
    problem = password_problem(password)
    if problem:
        return Result.failure(password=problem)
    user = User(email=email, name=name.strip(), is_superuser=superuser)
    user.set_password(password)
    if not _saved(user):
        return Result.failure(email=_(EMAIL_TAKEN))
    return Result.success(user)


def authenticate(email: str, password: str, address: str | None = None) -> Result:
    """Check credentials. The answer never says whether the email has an account: an unknown
    email gets the same password check (against a dummy hash of the same cost) and the same
    throttle as a known one. `address` is the client's (`request.remote_addr`)."""
    email = normalise_email(email)
    refusal = throttles.login_refused(email, address)
    if refusal:
        return Result.failure(refusal)

    user = find_user_by_email(email)
    if user is None:
        User.burn_password_check(password)
        valid = False
    else:
        valid = user.check_password(password) and user.is_active

    if not valid:
        return Result.failure(_(BAD_CREDENTIALS))
    throttles.login_succeeded(email, address)
    if not passwords_for(user):
        # Said only after the right password: a wrong one says no more than anywhere else.
        return Result.failure(sso_only_message())
    return Result.success(user)


NOT_CURRENT_PASSWORD = N_("This is not your current password.")


def current_password_problem(user: User, current: str, address: str | None = None) -> str | None:
    """Why `current` does not confirm that the person at the keyboard is `user`, or None: the
    check before a change of password or of the second factor, under its throttle."""
    if refusal := throttles.current_password_refused(user.email, address):
        return refusal
    if not user.check_password(current or ""):
        return _(NOT_CURRENT_PASSWORD)
    throttles.forget(throttles.CURRENT_PASSWORD, user.email, address)
    db.session.commit()
    return None


def change_password(user: User, current: str, new: str, address: str | None = None) -> Result:
    if refusal := current_password_problem(user, current, address):
        return Result.failure(current_password=refusal)
    problem = password_problem(new)
    if problem:
        return Result.failure(new_password=problem)
    user.set_password(new)
    throttles.clear_account(user.email)
    sessions.end_others(user)
    db.session.commit()
    return Result.success(
        user, _("Your password was changed. Your other sessions were logged out.")
    )


FORGOT_ANSWER = N_(
    "If an account uses this address, a link to choose a new password is on its way. It works "
    "once, for %(hours)d hours."
)


def _password_link(user: User, purpose: str, lifetime) -> bool:
    """Store a hashed single-use token and queue the email with the link."""

    token, token_hash = new_token()
    record = PasswordToken(
        user_id=user.id,
        token_hash=token_hash,
        purpose=purpose,
        expires_at=utcnow() + lifetime,
        password_fingerprint=user.password_fingerprint,
    )
    db.session.add(record)
    db.session.commit()
    return enqueue_once(
        send_password_link, record.id, secrets_box.seal(token), job_id=f"password-link-{record.id}"
    )


def forgot_password(email: str, address: str | None = None) -> Result:
    """Send a reset link when the account exists; the answer is the same either way, and so is
    the refusal when links were asked for too often (counted for any typed email)."""
    if refusal := throttles.forgot_refused(email, address):
        return Result.failure(refusal)
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    user = find_user_by_email(email)
    if user is not None and user.is_active and passwords_for(user):
        _password_link(user, "reset", timedelta(hours=hours))
    return Result.success(None, _(FORGOT_ANSWER, hours=hours))


BAD_LINK = N_("This link is not valid any more (used, expired or mistyped). Ask for a new one.")
STALE_LINK = N_(
    "This link was sent before the password of this account was changed, so it no longer "
    "works. If you still need to choose a password, ask for a new link."
)


def password_token(token: str) -> Result:
    """The live link for `token`, or why it cannot be used."""
    record = db.session.scalar(
        db.select(PasswordToken).where(PasswordToken.token_hash == hash_token(token))
    )
    if record is None or record.used_at or record.expires_at <= utcnow():
        return Result.failure(_(BAD_LINK))
    if not record.user.is_active:
        return Result.failure(_(BAD_LINK))
    if not passwords_for(record.user):
        return Result.failure(sso_only_message(reset=True))
    if record.password_fingerprint != record.user.password_fingerprint:
        return Result.failure(_(STALE_LINK))
    return Result.success(record)


def set_password_with_token(
    record: PasswordToken, password: str, name: str | None = None
) -> Result:
    if problem := password_problem(password):
        return Result.failure(password=problem)
    user = record.user
    if name is not None:
        user.name = " ".join(name.split())[:200]
    user.set_password(password)
    record.used_at = utcnow()
    # Every other link of this account stops working too.
    db.session.execute(
        db.update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=record.used_at)
    )
    throttles.clear_account(user.email)  # the owner proved it: no lock left on the account
    sessions.end_all(user)  # the view logs this browser in again, in a new session
    db.session.commit()
    return Result.success(user, _("Your password is set. You are logged in."))


def create_account_by_email(email: str, name: str = "") -> Result:
    """A superuser creates an account; the person chooses their password from an emailed link."""

    try:
        email = normalise_email_address(email)
    except InvalidValue as exc:
        return Result.failure(email=str(exc))
    if find_user_by_email(email) is not None:
        return Result.failure(email=_(EMAIL_TAKEN))
    user = User(email=email, name=" ".join((name or "").split())[:200])
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it: the link sets the real one
    if not _saved(user):
        return Result.failure(email=_(EMAIL_TAKEN))
    queued = _password_link(user, "setup", timedelta(days=current_app.config["INVITATION_DAYS"]))
    if not queued:
        return Result.success(
            user,
            _("%(email)s is created; the email could not be queued yet.", email=email),
            "warning",
        )
    return Result.success(
        user, _("%(email)s is created and receives a link to choose a password.", email=email)
    )


def set_active(user: User, active: bool, actor: User) -> Result:
    if user.id == actor.id and not active:
        return Result.failure(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        sessions.end_all(user)  # they stop at their next request
    db.session.commit()
    if active:
        return Result.success(user, _("%(email)s is reactivated.", email=user.email))
    return Result.success(
        user, _("%(email)s is deactivated: its sessions have stopped.", email=user.email)
    )
