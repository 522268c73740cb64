"""The dimail client's alias routes beyond the method table: a missing pair, deleting all of a
name's aliases (against `responses`).
"""

import pytest

from tests.dimail.client_support import ALIAS, BASE, route_calls, token_route
from webapp.dimail.client import DimailNotFound


def test_list_aliases_missing_pair_is_empty_but_missing_domain_raises(rsps, client):
    token_route(rsps)
    url = f"{BASE}/domains/example.fr/aliases/"
    rsps.get(url, status=404, json={"detail": "Alias not found"})
    assert client.list_aliases("example.fr", "contact", "x@y.org") == []
    with pytest.raises(DimailNotFound):
        client.list_aliases("example.fr", "contact")


def _delete_all_routes(rsps, listed):
    token_route(rsps)
    base = f"{BASE}/domains/example.fr/aliases/"
    rsps.delete(f"{base}contact/all", status=404, json={"detail": "Not found"})
    if isinstance(listed, int):
        rsps.get(base, status=listed, json={"detail": "Domain not found"})
    else:
        rsps.get(base, json=listed)
    return base


def test_delete_all_aliases_none_left(rsps, client):
    base = _delete_all_routes(rsps, [])
    assert client.delete_all_aliases("example.fr", "contact") is None
    urls = [(c.request.method, c.request.url) for c in route_calls(rsps)]
    assert urls == [("DELETE", f"{base}contact/all"), ("GET", f"{base}?user_name=contact")]


def test_delete_all_aliases_on_server_without_all(rsps, client):
    # An older server reads "all" as a literal destination: fall back to one by one.
    base = _delete_all_routes(
        rsps, [dict(ALIAS, destination="a@x.org"), dict(ALIAS, destination="b+c@x.org")]
    )
    rsps.delete(f"{base}contact/a%40x.org", status=204)
    rsps.delete(f"{base}contact/b%2Bc%40x.org", status=404, json={"detail": "Not found"})
    assert client.delete_all_aliases("example.fr", "contact") is None
    deleted = [c.request.url for c in route_calls(rsps) if c.request.method == "DELETE"]
    assert deleted == [
        f"{base}contact/all",
        f"{base}contact/a%40x.org",
        f"{base}contact/b%2Bc%40x.org",
    ]


def test_delete_all_aliases_missing_domain(rsps, client):
    _delete_all_routes(rsps, 404)
    assert client.delete_all_aliases("example.fr", "contact") is None
