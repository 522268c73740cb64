"""Static files under content-hashed names, compressed ahead of time, served by WhiteNoise.

At start-up every file of static/ is read and hashed: `url_for('static', filename='app.css')`
then gives `/static/app.<hash>.css`, which browsers keep for a year without asking again; an
edit gives a new name, so nobody is left with an old file. The files are served from a build
folder, `<STATIC_BUILD_DIR>/<digest of the whole set>/`, holding each file under its own name
and its hashed one, with a gzip copy beside each (and a Brotli one when the `brotli` package is
installed). The digest names the set, so a build is written once and only read after: by the
image's own build (`python -m webapp.static_files`), or by the first start after an edit in
development; two gunicorn workers starting together cannot mix two builds.
"""

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# A build left by a start that died half-way never looks like a finished one.
WORK_PREFIX = ".building-"
# Hex digits of the content hash in a file name: enough that two versions never meet.
HASH_LENGTH = 12
# Unhashed names (pages rendered before a deploy, hand-written links) may change under the
# same name: a short cache, then the browser asks again.
UNHASHED_MAX_AGE = 300
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Build:
    folder: Path
    # "app.css" -> "app.3f2a9c1e0b4d.css"
    hashed: dict[str, str]


def hashed_name(name: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{extension}"


def build(source: Path, root: Path) -> Build:
    """The build of `source` under `root`, written first if this set of files has none."""
    contents = {
        path.relative_to(source).as_posix(): path
        for path in sorted(source.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    hashed = {name: hashed_name(name, path.read_bytes()) for name, path in contents.items()}
    whole = hashlib.sha256("\n".join(f"{k} {v}" for k, v in sorted(hashed.items())).encode())
    folder = root / whole.hexdigest()[:16]
    if not folder.is_dir():
        _write(folder, contents, hashed)
    return Build(folder, hashed)


def _write(folder: Path, contents: dict[str, Path], hashed: dict[str, str]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=folder.parent))
    try:
        compressor = Compressor(quiet=True)
        for name, path in contents.items():
            for target in (name, hashed[name]):
                copy = work / target
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)  # with its time: Last-Modified stays the file's
                if compressor.should_compress(target):
                    compressor.compress(str(copy))
        work.chmod(0o755)  # readable by the app's user when root builds it in the image
        os.rename(work, folder)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not folder.is_dir():  # else another worker finished the same build first
            raise
        return
    log.info("static files built in %s", folder)
    _prune(folder)


def _prune(kept: Path) -> None:
    # Builds of files since edited (development): nothing refers to them any more.
    for other in kept.parent.iterdir():
        if other != kept and other.is_dir() and not other.name.startswith(WORK_PREFIX):
            shutil.rmtree(other, ignore_errors=True)


class StaticFiles(WhiteNoise):
    # A year, the longest that caches are asked to honour (RFC 9111); WhiteNoise says ten.
    FOREVER = YEAR


def _nosniff(headers, path, url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app) -> None:
    source = Path(app.static_folder)
    try:
        built = build(source, Path(app.config["STATIC_BUILD_DIR"]))
    except OSError as exc:
        # A read-only folder and no build made in advance: this process's own, elsewhere.
        log.warning("cannot write the static build (%s); building in a temporary folder", exc)
        built = build(source, Path(tempfile.mkdtemp(prefix="mail-domains-static-")))
    immutable = {f"{app.static_url_path}/{name}" for name in built.hashed.values()}
    app.wsgi_app = StaticFiles(
        app.wsgi_app,
        root=built.folder,
        prefix=app.static_url_path,
        max_age=UNHASHED_MAX_AGE,
        immutable_file_test=lambda path, url: url in immutable,
        add_headers_function=_nosniff,
    )

    @app.url_defaults
    def _hashed_static(endpoint, values):
        if endpoint == "static" and values.get("filename") in built.hashed:
            values["filename"] = built.hashed[values["filename"]]


def main() -> None:
    """Build ahead of time (the Docker image does), where the application will look."""
    root = Path(os.environ.get("STATIC_BUILD_DIR") or ROOT / "instance" / "static")
    built = build(ROOT / "static", root)
    sys.stdout.write(f"{built.folder}\n")


if __name__ == "__main__":
    main()
