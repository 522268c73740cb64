"""URLs: the converters of the routes, and the redirects Werkzeug's router answers by itself."""

from urllib.parse import urlsplit, urlunsplit

from flask import current_app, redirect, request
from werkzeug.routing import IntegerConverter, RequestRedirect

# Every id column is an INTEGER: 32 bits on PostgreSQL, 64 on SQLite. A larger number in a URL
# names nothing, so it is a 404 here rather than an overflow in the database driver (a 500).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` for row ids: 0 to MAX_ID."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _redirect_from_base_url(response):
    """`/domains` to `/domains/`: the router builds that address from the Host header, which the
    client chooses (a cache could keep, and send everybody, a redirect to another site). Flask
    hands routing redirects to no error handler, so the address is corrected here: our own
    host from BASE_URL, the path (with the application's root) from the router."""
    if isinstance(request.routing_exception, RequestRedirect):
        base = urlsplit(current_app.config["BASE_URL"])
        target = urlsplit(request.routing_exception.new_url)
        location = urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))
        return redirect(location, request.routing_exception.code)  # its body names it too
    return response


def init_app(app) -> None:
    # Before any route is added: a rule picks its converter class when it is bound to the map.
    app.url_map.converters["int"] = IdConverter
    app.after_request(_redirect_from_base_url)
