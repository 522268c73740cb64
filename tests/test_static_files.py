"""Static files: a year in the browser's cache under names that change with their content,
compressed on the way; pages never cached, since each carries its session's data."""

import gzip
import re
from pathlib import Path

import pytest

from webapp import create_app, static_files

STATIC = Path(__file__).resolve().parent.parent / "static"
HASHED = re.compile(r'(?:href|src)="(/static/([\w.-]+)\.([0-9a-f]{12})\.(\w+))"')


def _assets(page: str) -> dict[str, str]:
    """{"app.css": "/static/app.<hash>.css", ...} as the page links them."""
    return {f"{stem}.{ext}": url for url, stem, _hash, ext in HASHED.findall(page)}


def test_pages_link_every_static_file_under_its_hashed_name(client):
    page = client.get("/login").get_data(as_text=True)
    assets = _assets(page)
    assert set(assets) == {"app.css", "app.js", "htmx-2.0.11.min.js", "favicon.svg"}
    assert 'href="/static/app.css"' not in page


def test_a_hashed_file_is_cached_for_a_year_and_sent_gzipped(client):
    url = _assets(client.get("/login").get_data(as_text=True))["app.css"]
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"public", "max-age=31536000", "immutable"} <= cache
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Content-Type"].startswith("text/css")
    body = response.get_data()
    assert len(body) < (STATIC / "app.css").stat().st_size / 2
    assert gzip.decompress(body) == (STATIC / "app.css").read_bytes()


def test_a_client_that_takes_no_gzip_gets_the_file_itself(client):
    url = _assets(client.get("/login").get_data(as_text=True))["app.js"]
    response = client.get(url)
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == (STATIC / "app.js").read_bytes()


def test_the_unhashed_name_still_answers_with_a_short_cache(client):
    response = client.get("/static/htmx-2.0.11.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert gzip.decompress(response.get_data()) == (STATIC / "htmx-2.0.11.min.js").read_bytes()
    cache = response.headers["Cache-Control"]
    assert "immutable" not in cache
    assert f"max-age={static_files.UNHASHED_MAX_AGE}" in cache


def test_a_static_file_is_fresh_on_a_repeat_visit_without_asking(client):
    url = _assets(client.get("/login").get_data(as_text=True))["app.css"]
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/login", {}, 200),
        ("/no/such/page", {}, 404),
        ("/password/forgot", {"HX-Request": "true"}, 200),
    ],
)
def test_html_answers_are_never_stored_even_for_visitors(client, path, headers, status):
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"


def test_logged_in_pages_and_fragments_are_never_stored(client, owner, make_domain):
    make_domain("acme.fr", owner=owner)
    for path in ("/domains/acme.fr/", "/domains/acme.fr/status"):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "static"
    source.mkdir()
    (source / "app.css").write_text("body { color: black; }\n" * 50)
    (source / "logo.svg").write_text("<svg></svg>")
    return source


def test_an_edited_file_gets_a_new_name_and_the_old_build_goes(tmp_path):
    source, root = _source(tmp_path), tmp_path / "build"
    first = static_files.build(source, root)
    (source / "app.css").write_text("body { color: navy; }\n" * 50)
    second = static_files.build(source, root)

    assert second.hashed["app.css"] != first.hashed["app.css"]
    assert second.hashed["logo.svg"] == first.hashed["logo.svg"]
    assert (second.folder / second.hashed["app.css"]).read_text().startswith("body { color: navy")
    assert (second.folder / (second.hashed["app.css"] + ".gz")).is_file()
    assert not first.folder.exists()
    assert [p.name for p in root.iterdir()] == [second.folder.name]


def test_a_build_made_in_advance_is_only_read(tmp_path, monkeypatch):
    """The Docker image builds at image time; its user then cannot write there."""
    source, root = _source(tmp_path), tmp_path / "build"
    made = static_files.build(source, root)

    def refuse(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(static_files, "_write", refuse)
    assert static_files.build(source, root) == made


def test_an_unwritable_build_folder_still_serves_hashed_files(tmp_path, test_config, migrated):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = create_app({**test_config, "STATIC_BUILD_DIR": str(blocker / "static")})
    client = app.test_client()
    url = _assets(client.get("/login").get_data(as_text=True))["app.css"]
    assert client.get(url).get_data() == (STATIC / "app.css").read_bytes()
