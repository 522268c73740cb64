"""Building a dimail client: its settings, its session and proxies, its route table and the path
segments it builds.
"""

import pickle

import pytest
import requests

from tests.dimail.client_support import BASE, MAILBOX, PASSWORD, USER, route_calls, token_route
from webapp.dimail.client import (
    ROUTES,
    DimailClient,
    DimailConfigError,
    DimailConflict,
    DimailUnavailable,
)

# --------------------------------------------------------------------------- construction


def test_from_config():
    client = DimailClient.from_config(
        {
            "DIMAIL_URL": "http://dimail.test:8001/",
            "DIMAIL_USER": USER,
            "DIMAIL_PASSWORD": PASSWORD,
            "DIMAIL_TIMEOUT": "20",
        }
    )
    assert client.base_url == "http://dimail.test:8001"
    assert (client.connect_timeout, client.timeout) == (5.0, 20.0)
    assert client.calls == 0


def test_from_config_small_timeout_and_missing_keys():
    client = DimailClient.from_config(
        {"DIMAIL_URL": BASE, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": PASSWORD, "DIMAIL_TIMEOUT": 2}
    )
    assert (client.connect_timeout, client.timeout) == (2.0, 2.0)
    with pytest.raises(DimailConfigError, match="DIMAIL_PASSWORD"):
        DimailClient.from_config({"DIMAIL_URL": BASE, "DIMAIL_USER": USER})


def test_own_session_pools_without_retries(client):
    adapter = client._session.get_adapter(BASE)
    assert adapter.max_retries.total == 0
    assert adapter._pool_maxsize == 10


def test_given_session_is_used(rsps):
    session = requests.Session()
    session.headers["X-Trace"] = "t1"
    client = DimailClient(BASE, USER, PASSWORD, session=session)
    rsps.get(f"{BASE}/domains/", json=[])
    client.list_domains()
    assert rsps.calls[0].request.headers["X-Trace"] == "t1"
    client.close()  # not ours: must stay usable
    assert session.get_adapter(BASE) is not None


def test_exceptions_survive_pickling():
    err = DimailConflict("Domain already exists", 409, "POST", "/domains/")
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(copy) is DimailConflict
    assert (copy.detail, copy.status, copy.method, copy.path) == (
        "Domain already exists",
        409,
        "POST",
        "/domains/",
    )
    assert str(copy) == "dimail POST /domains/: 409 Domain already exists"
    assert str(DimailUnavailable("down")) == "down"


def test_proxy_settings_of_the_environment_are_kept_read_once(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "")
    session = DimailClient(BASE, USER, PASSWORD)._session
    assert session.proxies.get("http") == "http://proxy.internal:3128"
    assert session.trust_env is False  # not looked up again on every call


def test_no_proxy_of_the_environment_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "dimail.test")
    assert "http" not in DimailClient(BASE, USER, PASSWORD)._session.proxies


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "url, words",
    [
        ("dimail.test:8001", "http:// or https://"),
        ("ftp://dimail.test", "http:// or https://"),
        ("http://", "no host name"),
        ("http:///path", "no host name"),
        ("http://dimail .test", "spaces"),
        (" http://dimail.test", "spaces"),
        ("http://dimail.test\n", "spaces"),
        ("http://dimail.test:port", "invalid host or port"),
        ("http://dimail.test:99999", "invalid host or port"),
        ("http://u:p@dimail.test", "must not carry credentials"),
        ("http://dimail.test/?x=1", "query string"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_bad_url_refused_at_construction(url, words):
    with pytest.raises(DimailConfigError) as info:
        DimailClient(url, USER, PASSWORD)
    assert words in str(info.value)
    with pytest.raises(DimailConfigError):
        DimailClient.from_config({"DIMAIL_URL": url, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": "x"})


@pytest.mark.parametrize(
    "extra",
    [{"DIMAIL_TIMEOUT": "soon"}, {"DIMAIL_TIMEOUT": -1}, {"DIMAIL_CONNECT_TIMEOUT": "x"}],
)
def test_bad_timeouts_refused_at_construction(extra):
    config = {"DIMAIL_URL": BASE, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": PASSWORD, **extra}
    with pytest.raises(DimailConfigError, match="seconds"):
        DimailClient.from_config(config)


def test_url_with_a_path_prefix_is_kept():
    assert DimailClient("https://api.test/dimail/", USER, PASSWORD).base_url == (
        "https://api.test/dimail"
    )


# --------------------------------------------------------------------------- route table


def test_every_path_is_spelled_as_dimail_md_writes_it():
    templates = {name: route.template for name, route in ROUTES.items()}
    assert templates["domain_check"] == "/domains/{domain}/check"
    assert templates["login_code"].endswith("/code")
    assert templates["mailbox"].endswith("{local_part}")
    for name in ("domain_fix", "domain_spec", "reset_password", "address"):
        assert templates[name].endswith("/"), name
    for name in ("token", "users", "allows", "domains", "mailboxes", "mailboxes_v2", "aliases"):
        assert templates[name].endswith("/"), name


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_mailbox("example.fr", ""),
        lambda c: c.create_mailbox("", "jane", "", "", ""),
        lambda c: c.delete_alias("example.fr", "contact", ""),
    ],
    ids=["local-part", "domain", "destination"],
)
def test_empty_path_segment_refused(client, call):
    # An empty segment would turn an item URL into its collection URL.
    with pytest.raises(ValueError):
        call(client)
    assert client.calls == 0


def test_segments_are_quoted(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr/mailboxes/a%2Fb%20c%3F", json=MAILBOX)
    client.get_mailbox("example.fr", "a/b c?")
    assert route_calls(rsps)[0].request.url == f"{BASE}/domains/example.fr/mailboxes/a%2Fb%20c%3F"
