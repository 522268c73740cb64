"""This application as a client of the OpenID Provider, through Authlib.

Authlib reads the provider's discovery document, sends the person there with `state`, a
`nonce` and a PKCE challenge (S256), exchanges the code for tokens and checks the ID token:
its signature against the provider's JWKS, the issuer, the audience, the expiry and the nonce.
What is added here: the issuer of the discovery document must be the configured one, the
userinfo endpoint fills in claims the ID token lacks, and every way the exchange can fail
becomes a `SignInFailed` with a sentence for the person, never a 500.
"""

import logging
import time

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request, session, url_for
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

EXTENSION = "webapp.oidc"
# The ID token of this browser's sign-in, sent back to the provider as id_token_hint at logout.
ID_TOKEN = "oidc_id_token"  # noqa: S105 - a session key, not a secret
# The discovery document and the keys are read again this often (keys also on an unknown kid).
METADATA_SECONDS = 3600
WANTED_CLAIMS = ("email", "email_verified", "name")

UNREACHABLE = _l(
    "%(provider)s cannot be reached right now. Try again in a moment, or log in with your "
    "password if you have one."
)
MISCONFIGURED = _l(
    "Signing in with %(provider)s is not working: its settings here are wrong. Tell a "
    "superuser; in the meantime, log in with your password if you have one."
)
STALE = _l("This sign-in was not started here, or was already used: start again.")
CANCELLED = _l("The sign-in was cancelled at %(provider)s.")
REFUSED = _l("%(provider)s refused the sign-in. Try again, or tell a superuser if it persists.")
UNVERIFIED = _l(
    "The answer from %(provider)s could not be verified, so nobody is logged in. Start again; "
    "tell a superuser if it persists."
)


class SignInFailed(Exception):
    """The provider's answer logs nobody in; `message` says why, for the person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def init_app(app) -> None:
    if not app.config["OIDC_ISSUER"]:
        return
    # One registry per application: tests build applications for different providers.
    oauth = OAuth()
    oauth.init_app(app)
    app.extensions[EXTENSION] = oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer(app.config) + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": app.config["OIDC_TIMEOUT"],
        },
    )


def issuer(config) -> str:
    return config["OIDC_ISSUER"].rstrip("/")


def enabled() -> bool:
    return EXTENSION in current_app.extensions


def label() -> str:
    return current_app.config["OIDC_LOGIN_LABEL"]


def _said(message) -> str:
    return str(message) % {"provider": label()}


def _client():
    return current_app.extensions[EXTENSION]


def _metadata(client) -> dict:
    """The discovery document, read again once it is old; its issuer must be the configured one
    (OpenID Connect Discovery 1.0, section 4.3), or someone else's tokens could be taken."""
    loaded = client.server_metadata.get("_loaded_at", 0)
    if time.time() - loaded > METADATA_SECONDS:
        client.server_metadata.clear()
    try:
        metadata = client.load_server_metadata()
    except requests.RequestException as exc:
        log.warning("OpenID Provider unreachable: %s", type(exc).__name__)
        raise SignInFailed(_said(UNREACHABLE)) from exc
    except ValueError as exc:  # not JSON
        client.server_metadata.clear()
        log.warning("OpenID Provider discovery document unreadable")
        raise SignInFailed(_said(MISCONFIGURED)) from exc
    if str(metadata.get("issuer", "")).rstrip("/") != issuer(current_app.config):
        client.server_metadata.clear()
        log.warning("OpenID Provider discovery names another issuer: %r", metadata.get("issuer"))
        raise SignInFailed(_said(MISCONFIGURED))
    return metadata


def authorization_redirect(redirect_uri: str):
    """The response that sends the person to the provider (state, nonce and PKCE kept in the
    session for the callback)."""
    client = _client()
    _metadata(client)
    try:
        return client.authorize_redirect(redirect_uri)
    except RuntimeError as exc:  # no authorization endpoint in the discovery document
        log.warning("OpenID Provider discovery document incomplete: %s", exc)
        raise SignInFailed(_said(MISCONFIGURED)) from exc


def finish() -> tuple[str, dict, str]:
    """At the callback: (issuer, claims, ID token), every check passed, or SignInFailed."""
    client = _client()
    error = request.args.get("error")
    if error:
        log.info("OpenID Provider answered the sign-in with %r", error[:60])
        raise SignInFailed(_said(CANCELLED if error == "access_denied" else REFUSED))
    metadata = _metadata(client)
    sent_by = request.args.get("iss")
    if sent_by is not None and sent_by != metadata["issuer"]:
        # RFC 9207: an answer from another provider, sent here to mix the two up.
        log.warning("OpenID Provider callback from another issuer: %r", sent_by[:200])
        raise SignInFailed(_said(UNVERIFIED))
    token = _exchange(client)
    claims = dict(token.get("userinfo") or {})
    if not claims or "id_token" not in token:
        log.warning("OpenID Provider answered the code without an ID token")
        raise SignInFailed(_said(UNVERIFIED))
    if any(claims.get(name) in (None, "") for name in WANTED_CLAIMS):
        claims = _with_userinfo(client, metadata, token, claims)
    return metadata["issuer"], claims, token["id_token"]


def _exchange(client) -> dict:
    try:
        return client.authorize_access_token(leeway=current_app.config["OIDC_CLOCK_LEEWAY"])
    except MismatchingStateError as exc:
        raise SignInFailed(str(STALE)) from exc
    except requests.RequestException as exc:
        log.warning("OpenID Provider unreachable at the token endpoint: %s", type(exc).__name__)
        raise SignInFailed(_said(UNREACHABLE)) from exc
    except OAuthError as exc:  # the token endpoint refused the code
        log.warning("OpenID Provider refused the code: %s", exc.error)
        raise SignInFailed(_said(REFUSED)) from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        # A bad signature, another audience, an expired token, another nonce, garbage.
        # joserfc's messages name the failed check ("invalid_claim: Invalid claim: 'nonce'"),
        # never the token's content.
        log.warning("ID token refused: %s: %s", type(exc).__name__, str(exc)[:200])
        raise SignInFailed(_said(UNVERIFIED)) from exc


def _with_userinfo(client, metadata: dict, token: dict, claims: dict) -> dict:
    """Claims the ID token lacks, from the userinfo endpoint (providers put only `sub` in the
    ID token when an access token is issued); its `sub` must be the ID token's (Core 5.3.2)."""
    if not metadata.get("userinfo_endpoint"):
        return claims
    try:
        answer = client.get(metadata["userinfo_endpoint"], token=token)
        answer.raise_for_status()
        extra = _userinfo_claims(client, metadata, answer)
    except requests.RequestException as exc:
        log.warning("OpenID Provider userinfo unreachable: %s", type(exc).__name__)
        raise SignInFailed(_said(UNREACHABLE)) from exc
    except (JoseError, ValueError) as exc:
        log.warning("OpenID Provider userinfo refused: %s: %s", type(exc).__name__, exc)
        raise SignInFailed(_said(UNVERIFIED)) from exc
    if not isinstance(extra, dict) or extra.get("sub") != claims.get("sub"):
        log.warning("OpenID Provider userinfo is about another subject")
        raise SignInFailed(_said(UNVERIFIED))
    return {**extra, **{k: v for k, v in claims.items() if v not in (None, "")}}


def _userinfo_claims(client, metadata: dict, answer) -> dict:
    """Userinfo is JSON, or a JWT signed with the provider's keys (ProConnect's answer), whose
    issuer and audience are then checked too (Core 5.3.2)."""
    if not answer.headers.get("Content-Type", "").startswith("application/jwt"):
        return answer.json()
    keys = KeySet.import_key_set(client.fetch_jwk_set())
    algorithms = metadata.get("userinfo_signing_alg_values_supported")
    signed = jwt.decode(answer.text.strip(), keys, algorithms=algorithms)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
    ).validate(signed.claims)
    return signed.claims


def remember_id_token(id_token: str) -> None:
    session[ID_TOKEN] = id_token


def end_session_url() -> str | None:
    """Where to end this browser's session at the provider too, back to our login page after;
    None when it did not sign in through the provider, when the provider has no
    end_session_endpoint, or cannot be reached: logging out here never waits on it."""
    id_token = session.pop(ID_TOKEN, None)
    if not id_token or not enabled():
        return None
    client = _client()
    try:
        metadata = _metadata(client)
    except SignInFailed:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    # Built here rather than by Authlib's create_logout_url, which adds a `state` that our
    # login page would have no use for.
    return add_params_to_uri(
        metadata["end_session_endpoint"],
        [
            ("id_token_hint", id_token),
            (
                "post_logout_redirect_uri",
                current_app.config["BASE_URL"].rstrip("/") + url_for("auth.login"),
            ),
            ("client_id", current_app.config["OIDC_CLIENT_ID"]),
        ],
    )
