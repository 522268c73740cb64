"""The development outbox: the emails caught by `devtools.mailcatcher`, read in the browser.

Registered only in development (or with DEV_OUTBOX set): every page here is public and shows
every email the application sent, login and invitation links included. The folder is
DEV_OUTBOX_DIR, by default `<instance>/outbox`, where the catcher writes one
`<time_ns>-<hex>.eml` file per message (dot-files are messages still being written).

The HTML part of a message is never put into our own pages: it is served alone, by
`/dev/outbox/<id>/html`, under a sandboxing Content-Security-Policy, and shown in a sandboxed
iframe.
"""

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask_babel import ngettext
from markupsafe import Markup, escape

from webapp.htmx import redirect_to
from webapp.pagination import Page, page_number
from webapp.permissions import public

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")
log = logging.getLogger(__name__)

MESSAGE_ID = re.compile(r"^[0-9]+-[0-9a-f]{8}$")
PER_PAGE = 50
# The HTML part's own, complete policy: no script, no network, framed by our pages only.
HTML_PART_POLICY = "; ".join(
    [
        "sandbox",
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)
# http(s) URLs in plain text; the characters that usually end a sentence are trimmed after.
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


@bp.app_context_processor
def _outbox_link():
    # base.html shows the "Outbox (dev)" link only where this blueprint is registered.
    return {"dev_outbox_enabled": True}


def outbox_folder() -> Path:
    configured = current_app.config.get("DEV_OUTBOX_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def _message_files() -> list[Path]:
    """The complete messages, newest first."""
    folder = outbox_folder()
    if not folder.is_dir():
        return []
    found = [
        path
        for path in folder.iterdir()
        if path.suffix == ".eml" and MESSAGE_ID.match(path.stem) and path.is_file()
    ]
    # By arrival time (the number before the dash), not as strings: numbers may grow a digit.
    found.sort(key=lambda path: (int(path.stem.split("-", 1)[0]), path.stem), reverse=True)
    return found


def _path_for(message_id: str) -> Path:
    """The file of a message, or 404: the id is checked before it comes near the file system."""
    if not MESSAGE_ID.match(message_id):
        abort(404)
    path = outbox_folder() / f"{message_id}.eml"
    if not path.is_file():
        abort(404)
    return path


def _received(message_id: str) -> datetime:
    nanoseconds = int(message_id.split("-", 1)[0])
    return datetime.fromtimestamp(nanoseconds / 1e9, UTC)


def _parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return str(value) if value is not None else ""


@dataclass(frozen=True)
class Summary:
    id: str
    received: datetime
    sender: str
    to: str
    subject: str
    readable: bool = True


def _summary(path: Path) -> Summary:
    message_id = path.stem
    received = _received(message_id)
    try:
        message = _parse(path.read_bytes())
        return Summary(
            id=message_id,
            received=received,
            sender=_header(message, "From"),
            to=_header(message, "To"),
            subject=_header(message, "Subject"),
        )
    except FileNotFoundError:
        raise
    except Exception:  # a broken message is listed, not a broken page
        log.warning("outbox: cannot read the headers of %s", path.name, exc_info=True)
        return Summary(
            id=message_id, received=received, sender="", to="", subject="", readable=False
        )


def linkify(text: str) -> Markup:
    """Plain text as HTML, with its http(s) URLs made into links.

    Every piece of the text is escaped on its own before it joins the result, so the only
    markup that comes out is the <a> elements added here, around escaped URLs.
    """
    pieces: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(_TRAILING)
        if stripped.endswith(")") and stripped.count("(") < stripped.count(")"):
            stripped = stripped[:-1]  # "(see https://x)" leaves the bracket out of the link
        if not re.fullmatch(r"https?://.+", stripped, re.IGNORECASE):
            continue
        start = match.start()
        end = start + len(stripped)
        pieces.append(escape(text[position:start]))
        pieces.append(Markup('<a href="{0}">{0}</a>').format(stripped))
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


@dataclass(frozen=True)
class Shown:
    """One message as its page shows it."""

    id: str
    received: datetime
    raw: str
    readable: bool
    headers: dict[str, str]
    text: Markup | None = None
    has_html: bool = False
    attachments: tuple[tuple[str, str, int], ...] = ()


def _html_part(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None


def _show(message_id: str, raw: bytes) -> Shown:
    received = _received(message_id)
    source = raw.decode("utf-8", errors="replace")
    try:
        message = _parse(raw)
        headers = {name: _header(message, name) for name in ("From", "To", "Cc", "Subject", "Date")}
        text_part = message.get_body(preferencelist=("plain",))
        text = linkify(text_part.get_content()) if text_part is not None else None
        has_html = _html_part(message) is not None
        attachments = tuple(
            (
                part.get_filename() or "(no name)",
                part.get_content_type(),
                len(part.get_payload(decode=True) or b""),
            )
            for part in message.iter_attachments()
        )
    except Exception:  # show what arrived rather than an error page
        log.warning("outbox: cannot read message %s", message_id, exc_info=True)
        return Shown(id=message_id, received=received, raw=source, readable=False, headers={})
    return Shown(
        id=message_id,
        received=received,
        raw=source,
        readable=True,
        headers=headers,
        text=text,
        has_html=has_html,
        attachments=attachments,
    )


@bp.get("")
@public
def index():
    files = _message_files()
    pages = max(1, -(-len(files) // PER_PAGE))
    number = min(page_number(request.args.get("page")), pages)  # past the end: the last page
    chosen = files[(number - 1) * PER_PAGE : number * PER_PAGE]
    summaries = []
    for path in chosen:
        try:
            summaries.append(_summary(path))
        except FileNotFoundError:
            continue  # cleared while the page was being built
    page = Page(items=summaries, page=number, pages=pages, total=len(files))
    return render_template("dev_outbox/index.html", page=page, folder=outbox_folder())


@bp.get("/<message_id>")
@public
def show(message_id: str):
    path = _path_for(message_id)
    return render_template("dev_outbox/message.html", message=_show(message_id, path.read_bytes()))


@bp.get("/<message_id>/html")
@public
def html(message_id: str):
    path = _path_for(message_id)
    try:
        content = _html_part(_parse(path.read_bytes()))
    except Exception:  # an unreadable message has no HTML part to show
        log.warning("outbox: cannot read the HTML part of %s", message_id, exc_info=True)
        content = None
    if content is None:
        abort(404)
    response = Response(content, mimetype="text/html")
    # Set here, so that the site-wide defaults (frame-ancestors 'none', DENY) do not apply.
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/clear")
@public
def clear():
    removed = 0
    for path in _message_files():
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    flash(ngettext("Deleted %(num)d message.", "Deleted %(num)d messages.", removed), "success")
    return redirect_to(url_for("dev_outbox.index"))
