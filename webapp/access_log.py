"""Link tokens kept out of access logs.

An invitation or password link carries its token in the path (`/invitations/<token>`, as the
SPEC has it); an access log would keep it readable by whoever reads the logs, in the request
line, in the `Referer` of the page's next requests and in `/login?next=...`. The filter masks
it in every line of the development server's log and of gunicorn's (the logger class that
`gunicorn.conf.py` names). So is the authorization code the identity provider sends back to
/login/oidc/callback.
"""

import logging
import re

from gunicorn.glogging import Logger

# The path segment after /invitations/ or /password/reset/, also percent-encoded in a query.
# Tokens are URL-safe base64 (43 characters); anything shorter than 16 is no token of ours, and
# leaves /account/invitations/<id>/accept readable.
_TOKEN = re.compile(
    r"((?:/|%2F)(?:invitations|password(?:/|%2F)reset)(?:/|%2F))[A-Za-z0-9_\-]{16,}", re.I
)
MASK = "[token]"
# The identity provider's answer: its authorization code (and state) in the callback's query.
_CALLBACK = re.compile(r"(/login/oidc/callback\?)[^\s\"]+")


def mask_tokens(text: str) -> str:
    return _CALLBACK.sub(rf"\g<1>{MASK}", _TOKEN.sub(rf"\g<1>{MASK}", text))


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


TOKEN_FILTER = MaskTokens()


class GunicornLogger(Logger):
    """Gunicorn's logger, with the tokens masked in its access log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.access_log.addFilter(TOKEN_FILTER)


def init_app(app) -> None:
    # The development server (`flask run`) logs each request through the "werkzeug" logger.
    logging.getLogger("werkzeug").addFilter(TOKEN_FILTER)
