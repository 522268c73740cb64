"""The development mail catcher: an SMTP server that keeps every message instead of sending it.

Messages are written as .eml files under instance/outbox/ (newest last by name), where the
development outbox page reads them. Started by `make run` unless SMTP_HOST is set; never used
in production.
"""

import argparse
import asyncio
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "instance" / "outbox"


class KeepMessages:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.folder / f".{name}"
        temporary.write_bytes(envelope.original_content or envelope.content)
        temporary.rename(self.folder / name)  # readers never see half a message
        return "250 Message kept by the development mail catcher"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()
    controller = Controller(KeepMessages(args.folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"Mail catcher on {args.host}:{args.port}, keeping messages in {args.folder}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
