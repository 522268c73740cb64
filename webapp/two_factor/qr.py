"""The enrolment QR code, drawn on the server as inline SVG: no image service sees the secret."""

import segno
from markupsafe import Markup


def svg(uri: str, title: str) -> Markup:
    code = segno.make(uri, error="m")
    # White around the dark modules: phones read it on a dark page too.
    drawing = code.svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code"
    )
    return Markup(drawing.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own markup, the title escaped by it
