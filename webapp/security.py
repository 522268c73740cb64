"""Headers that every response carries."""

from flask import g

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # The user Flask-Login identified for this request, if it did: every page of a logged-in
    # person reads it (the header of each page does), and asking here would cost a query on
    # responses that never needed one (static files, /healthz).
    user = g.get("_login_user")
    if response.mimetype == "text/html" or (user is not None and user.is_authenticated):
        # What a logged-in person sees (mailboxes, collaborators, exports) is kept in no cache,
        # the browser's disk or a proxy, where it would outlive the session. Every page too,
        # fragments and error pages included: each carries a CSRF token of its session, and
        # "no-cache, private" would still write it to the disk. Static files, under hashed
        # names, are what is cached (webapp/static_files.py).
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.after_request(_security_headers)
