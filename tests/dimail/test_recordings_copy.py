"""The project's copy of the recordings is the shared one, byte for byte, whenever the shared
folder is beside the checkout (a fresh clone tests with the copy alone)."""

import json

from tests.dimail.recordings import FOLDER, GENERATIONS, SHARED


def test_every_recording_has_a_generation():
    assert sorted(p.name for p in FOLDER.glob("*.json")) == sorted(GENERATIONS)
    for name in GENERATIONS:
        data = json.loads((FOLDER / name).read_text(encoding="utf-8"))
        assert data["exchanges"], name


def test_copy_matches_the_shared_recordings():
    if not SHARED.is_dir():
        return  # a clone without ../shared/ beside it tests with the copy alone
    shared = sorted(p.name for p in SHARED.iterdir() if p.is_file())
    ours = sorted(p.name for p in FOLDER.iterdir() if p.is_file())
    assert ours == shared
    for name in shared:
        assert (FOLDER / name).read_bytes() == (SHARED / name).read_bytes(), name
