"""The htmx conventions: one template per page that includes its partials, chosen by header."""

from flask import Response, redirect, render_template, request, session
from werkzeug.urls import iri_to_uri


def is_htmx() -> bool:
    """True for htmx requests that want a fragment (not history restores, which need the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, partial: str | None = None, status: int = 200, **context):
    """Render the full page, or only `partial` for htmx requests."""
    name = partial if partial and is_htmx() else template
    return render_template(name, **context), status


def redirect_to(url: str) -> Response:
    """Navigate after a change: htmx ignores headers on 3xx, so it gets HX-Redirect with 200.

    Header values travel as Latin-1: a URL with other characters (a `next=` typed by anyone) is
    percent-encoded first, as Werkzeug does for Location, or the server could not send it."""
    url = iri_to_uri(url)
    if is_htmx():
        response = Response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def _add_vary_and_flashes(response: Response) -> Response:
    response.vary.add("HX-Request")
    if (
        is_htmx()
        and response.mimetype == "text/html"
        and "HX-Redirect" not in response.headers
        and not response.direct_passthrough
        and session.get("_flashes")
    ):
        # Flash messages travel out of band, into #flashes, whatever the target of the swap.
        response.set_data(response.get_data() + render_template("_flashes.html", oob=True).encode())
    return response


def init_app(app) -> None:
    app.after_request(_add_vary_and_flashes)
