"""The recorded exchanges with real dimail servers (tests/data/dimail-recordings/, a byte-for-byte
copy of ../shared/dimail-recordings/): loading them and matching their placeholders."""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "data" / "dimail-recordings"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "dimail-recordings"

# Each file and the simulator generation of the build that answered it.
GENERATIONS = {
    "dimail-api-2024-08.json": "2024",
    "dimail-api-2024-08-check.json": "2024-08-check",
}


def load(name: str) -> dict:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def exchanges(name: str) -> list[dict]:
    return load(name)["exchanges"]
