"""Aliases end to end: the pages, real RQ jobs and the dimail simulator over HTTP.

`dimail` (tests/fixtures_dimail.py) points the application at a simulator of its own.
"""

import re

import pytest
import requests
import sqlalchemy as sa
from markupsafe import escape

from tests.conftest import PASSWORD
from tests.sql_statements import recorded
from webapp.extensions import db
from webapp.jobs.queue import queue
from webapp.models import Alias, AliasStatus, DomainStatus, Mailbox, Role
from webapp.models.base import utcnow

ALIASES = "/domains/acme.fr/aliases/"
CREATE = "POST /domains/{d}/aliases/"
DELETE = "DELETE /domains/{d}/aliases/{local_part}/{destination}"


def add(client, local_part, destination, *, htmx=False):
    return client.post_form(
        ALIASES, {"local_part": local_part, "destination": destination}, htmx=htmx
    )


def remove(client, local_part, destination=None, *, confirm=True, htmx=False):
    data = {}
    if destination is not None:
        data["destination"] = destination
    if confirm:
        data["confirm"] = "yes"
    return client.post_form(f"{ALIASES}{local_part}/delete", data, htmx=htmx)


def rows():
    """(local part, destination, status, syncing) of every alias row, read from the database."""
    db.session.expire_all()
    result = db.session.execute(
        sa.select(
            Alias.local_part,
            Alias.destination,
            Alias.status,
            Alias.sync_requested_at.is_not(None),
        ).order_by(Alias.local_part, Alias.destination)
    )
    return [tuple(row) for row in result]


def pairs_in_dimail(simulator, domain="acme.fr"):
    """The simulator's aliases as a sorted list: duplicates would show twice."""
    found = simulator.state()["domains"][domain]["aliases"]
    return sorted((a["username"], a["destination"]) for a in found)


def alias_calls(simulator) -> dict:
    return {key: n for key, n in simulator.requests().items() if "/aliases" in key}


def bearer(simulator) -> dict:
    answer = requests.get(
        f"{simulator.url}/token/", auth=(simulator.user, simulator.password), timeout=5
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def insert_aliases(domain, pairs, status=AliasStatus.ENABLED):
    db.session.execute(
        sa.insert(Alias),
        [
            {"domain_id": domain.id, "local_part": lp, "destination": dest, "status": status,
             "dimail_created_at": utcnow()}
            for lp, dest in pairs
        ],
    )  # fmt: skip
    db.session.commit()


def value_of(body: str, field: str) -> str | None:
    """The value an input of the form shows, as written in the HTML."""
    match = re.search(rf'<input [^>]*name="{field}" [^>]*value="([^"]*)"', body)
    return match and match.group(1)


def log_in(app, user):
    """A second browser, logged in as `user`."""
    other = app.test_client()
    response = other.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return other


# ------------------------------------------------------------------------ adding


def test_an_alias_on_an_enabled_domain_is_created_in_dimail_once(client, enabled, dimail, run_jobs):
    response = add(client, "contact", "a@elsewhere.org")
    assert response.status_code == 303
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.PENDING, True)]
    assert queue().count == 1
    page = client.get(ALIASES).get_data(as_text=True)
    assert 'data-status="syncing"' in page
    assert 'hx-trigger="aliases-changed from:body, every 2s"' in page

    assert run_jobs().failed == []
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.ENABLED, False)]
    assert pairs_in_dimail(dimail) == [("contact", "a@elsewhere.org")]
    assert dimail.creations("alias:") == {"alias:contact@acme.fr>a@elsewhere.org": 1}
    assert dimail.requests(CREATE) == 1
    page = client.get(ALIASES).get_data(as_text=True)
    assert 'data-status="enabled"' in page and 'data-status="syncing"' not in page
    assert "every 2s" not in page


def test_more_destinations_devnull_and_a_mailboxs_local_part(client, enabled, dimail, run_jobs):
    db.session.add(
        Mailbox(domain_id=enabled.id, local_part="jane.doe", first_name="Jane", last_name="Doe",
                name_key="jane doe", status="enabled")
    )  # fmt: skip
    db.session.commit()
    for local_part, destination in (
        ("contact", "a@elsewhere.org"),
        ("contact", "b@elsewhere.org"),
        ("trash", "devnull@devnull"),
        ("jane.doe", "jane@home.org"),
    ):
        response = add(client, local_part, destination)
        assert response.status_code == 303, response.get_data(as_text=True)
    assert run_jobs().failed == []

    expected = [
        ("contact", "a@elsewhere.org"),
        ("contact", "b@elsewhere.org"),
        ("jane.doe", "jane@home.org"),
        ("trash", "devnull@devnull"),
    ]
    assert [row[:2] for row in rows()] == expected
    assert {row[2] for row in rows()} == {AliasStatus.ENABLED}
    assert pairs_in_dimail(dimail) == expected
    assert dimail.requests(CREATE) == 4
    page = client.get(ALIASES).get_data(as_text=True)
    assert page.count("<h3>contact@acme.fr</h3>") == 1
    assert "devnull@devnull <span" in page and "(mail discarded)" in page


def test_an_htmx_add_keeps_the_local_part_for_one_more_destination(client, enabled):
    response = add(client, "contact", "a@elsewhere.org", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "aliases-changed"
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="create-alias"' in body
    assert value_of(body, "local_part") == "contact"
    assert value_of(body, "destination") == ""
    assert "is being added on the mail platform" in body  # the flash, out of band
    assert [row[:2] for row in rows()] == [("contact", "a@elsewhere.org")]


def test_the_local_part_is_lower_cased(client, enabled):
    assert add(client, "  Contact.Sales ", "Jane@Elsewhere.ORG").status_code == 303
    assert [row[:2] for row in rows()] == [("contact.sales", "jane@elsewhere.org")]


def test_on_a_pending_domain_it_waits_then_goes_on_enablement(
    app, client, owner, make_user, make_domain, dimail, run_jobs, outbox
):
    make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    dimail.add_domain("acme.fr")  # created in dimail, waiting for its checks
    response = add(client, "contact", "a@elsewhere.org")
    assert response.status_code == 303
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.PENDING, False)]
    assert queue().count == 0
    page = client.get(ALIASES).get_data(as_text=True)
    assert "The domain is not ready yet" in page
    assert run_jobs().failed == []
    assert alias_calls(dimail) == {}

    staff = log_in(app, make_user("staff@example.org", superuser=True))
    response = staff.post_form("/domains/acme.fr/status", {"status": "enabled"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.PENDING, True)]

    assert run_jobs().failed == []
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.ENABLED, False)]
    assert pairs_in_dimail(dimail) == [("contact", "a@elsewhere.org")]
    assert dimail.creations("alias:") == {"alias:contact@acme.fr>a@elsewhere.org": 1}


def test_a_409_on_create_means_the_pair_is_there(client, enabled, dimail, run_jobs):
    requests.post(
        f"{dimail.url}/domains/acme.fr/aliases/",
        json={"user_name": "contact", "destination": "a@elsewhere.org"},
        headers=bearer(dimail),
        timeout=5,
    ).raise_for_status()
    add(client, "contact", "a@elsewhere.org")
    run = run_jobs()
    assert run.failed == []
    assert rows() == [("contact", "a@elsewhere.org", AliasStatus.ENABLED, False)]
    assert dimail.requests(CREATE) == 2  # ours answered 409
    assert pairs_in_dimail(dimail) == [("contact", "a@elsewhere.org")]
    assert db.session.scalar(sa.select(Alias.last_error)) is None


# ---------------------------------------------------------------------- removing


def test_removing_one_destination(client, enabled, dimail, run_jobs):
    add(client, "contact", "a@elsewhere.org")
    add(client, "contact", "b@elsewhere.org")
    run_jobs()

    response = remove(client, "contact", "a@elsewhere.org")
    assert response.status_code == 303
    assert rows() == [
        ("contact", "a@elsewhere.org", AliasStatus.DELETING, True),
        ("contact", "b@elsewhere.org", AliasStatus.ENABLED, False),
    ]
    assert 'data-status="deleting"' in client.get(ALIASES).get_data(as_text=True)

    assert run_jobs().failed == []
    assert rows() == [("contact", "b@elsewhere.org", AliasStatus.ENABLED, False)]
    assert pairs_in_dimail(dimail) == [("contact", "b@elsewhere.org")]
    assert dimail.requests(DELETE) == 1


def test_removing_asks_for_confirmation_first(client, enabled, dimail, run_jobs):
    add(client, "contact", "a@elsewhere.org")
    run_jobs()
    before = rows()

    one = remove(client, "contact", "a@elsewhere.org", confirm=False)
    assert one.status_code == 200
    page = one.get_data(as_text=True)
    assert "Stop sending contact@acme.fr to a@elsewhere.org?" in page
    assert 'name="confirm" value="yes"' in page
    assert 'name="destination" value="a@elsewhere.org"' in page

    every = remove(client, "contact", confirm=False)
    assert every.status_code == 200
    assert "Remove contact@acme.fr?" in every.get_data(as_text=True)

    assert rows() == before
    assert queue().count == 0
    run_jobs()
    assert dimail.requests(DELETE) == 0
    assert pairs_in_dimail(dimail) == [("contact", "a@elsewhere.org")]


def test_removing_every_destination_of_a_local_part(client, enabled, dimail, run_jobs):
    for destination in ("a@elsewhere.org", "b@elsewhere.org", "devnull@devnull"):
        add(client, "contact", destination)
    add(client, "sales", "a@elsewhere.org")
    run_jobs()

    response = remove(client, "contact", htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<div id="alias-list"' in body and "<html" not in body
    assert {row[2] for row in rows() if row[0] == "contact"} == {AliasStatus.DELETING}

    assert run_jobs().failed == []
    assert rows() == [("sales", "a@elsewhere.org", AliasStatus.ENABLED, False)]
    assert pairs_in_dimail(dimail) == [("sales", "a@elsewhere.org")]


def test_removing_an_alias_never_sent_to_dimail_deletes_it_at_once(
    client, owner, make_domain, dimail, run_jobs
):
    make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    dimail.add_domain("acme.fr")
    add(client, "contact", "a@elsewhere.org")  # its job is queued, not run
    assert remove(client, "contact", "a@elsewhere.org").status_code == 303
    assert rows() == []
    assert run_jobs().failed == []  # the job finds nothing to do
    assert alias_calls(dimail) == {}
    assert pairs_in_dimail(dimail) == []


def test_removing_a_pending_alias_of_a_pending_domain(client, owner, make_domain, dimail):
    make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    add(client, "contact", "a@elsewhere.org")
    add(client, "contact", "b@elsewhere.org")
    assert remove(client, "contact").status_code == 303
    assert rows() == []
    assert queue().count == 0
    assert alias_calls(dimail) == {}


def test_removing_an_unknown_alias_says_so(client, enabled):
    response = remove(client, "nobody", "a@elsewhere.org", htmx=True)
    assert response.status_code == 409
    assert "There is no such alias" in response.get_data(as_text=True)


# ------------------------------------------------------------------- bad input


def refused(response, field, typed=None):
    """The form came back with an error next to `field`, and what was typed is still there."""
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">' in body
    assert f'aria-describedby="{field}-help {field}-error"' in body
    if typed is not None:
        assert value_of(body, field) == escape(typed)
    return body


@pytest.mark.parametrize(
    "local_part",
    ["a+b", "a@b", "a!b", "a$b", "a%b", "a b", "hélène", "x" * 65],
    ids=["plus", "at", "bang", "dollar", "percent", "space", "accent", "too-long"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_local_parts_are_refused_next_to_the_field(client, enabled, local_part, htmx):
    response = add(client, local_part, "a@elsewhere.org", htmx=htmx)
    body = refused(response, "local_part", local_part)
    assert ("<html" in body) is not htmx
    # What was typed in the other field is kept as well.
    assert value_of(body, "destination") == "a@elsewhere.org"
    assert rows() == []
    assert queue().count == 0


@pytest.mark.parametrize("destination", ["not-an-email", "a@b", "", "contact@acme.fr"])
def test_bad_destinations_are_refused_next_to_the_field(client, enabled, destination):
    body = refused(add(client, "contact", destination), "destination", destination)
    assert value_of(body, "local_part") == "contact"
    assert rows() == []


@pytest.mark.parametrize("destination", ["contact@xn--caf-dma.fr", "Contact@Café.fr"])
def test_an_alias_to_itself_is_refused_on_an_idn_domain(client, owner, make_domain, destination):
    make_domain("xn--caf-dma.fr", owner=owner, status=DomainStatus.PENDING)
    response = client.post_form(
        "/domains/xn--caf-dma.fr/aliases/", {"local_part": "contact", "destination": destination}
    )
    assert "cannot send mail to itself" in refused(response, "destination")
    assert rows() == []


def test_an_existing_pair_is_refused(client, enabled):
    assert add(client, "contact", "a@elsewhere.org").status_code == 303
    body = refused(add(client, "Contact", "A@Elsewhere.org", htmx=True), "destination")
    assert "already sends to a@elsewhere.org" in body
    assert len(rows()) == 1


def test_a_disabled_domain_refuses_changes(client, owner, make_domain):
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.DISABLED)
    assert 'id="create-alias"' not in client.get(ALIASES).get_data(as_text=True)
    plain = add(client, "contact", "a@elsewhere.org")
    assert plain.status_code == 422
    assert "This domain is disabled: its aliases cannot be changed." in plain.get_data(as_text=True)
    htmx = add(client, "contact", "a@elsewhere.org", htmx=True)
    assert htmx.status_code == 422
    assert '<p class="field-error">This domain is disabled' in htmx.get_data(as_text=True)
    assert rows() == []

    insert_aliases(domain, [("contact", "a@elsewhere.org")])
    assert remove(client, "contact", "a@elsewhere.org", htmx=True).status_code == 409
    assert [row[2] for row in rows()] == [AliasStatus.ENABLED]


# --------------------------------------------------------------------- listing


def test_the_list_is_grouped_by_local_part_and_searchable(client, enabled):
    insert_aliases(
        enabled,
        [
            ("contact", "b@elsewhere.org"),
            ("contact", "a@elsewhere.org"),
            ("sales", "boss@corp.example"),
            ("info", "devnull@devnull"),
        ],
    )
    page = client.get(ALIASES).get_data(as_text=True)
    assert "3 aliases" in page
    for name in ("contact", "info", "sales"):
        assert page.count(f"<h3>{name}@acme.fr</h3>") == 1
    order = [
        page.index("<h3>contact@acme.fr</h3>"),
        page.index("<td>a@elsewhere.org</td>"),
        page.index("<td>b@elsewhere.org</td>"),
        page.index("<h3>info@acme.fr</h3>"),
        page.index("<h3>sales@acme.fr</h3>"),
        page.index("<td>boss@corp.example</td>"),
    ]
    assert order == sorted(order)

    by_name = client.get(ALIASES, query_string={"q": "SAL"})
    text = by_name.get_data(as_text=True)
    assert "<html" in text and "1 alias matching" in text
    assert "sales@acme.fr" in text and "contact@acme.fr" not in text
    assert "HX-Request" in by_name.headers["Vary"]

    by_destination = client.get(
        ALIASES, query_string={"q": "b@elsewhere"}, headers={"HX-Request": "true"}
    )
    text = by_destination.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith('<div id="alias-list"')
    assert "contact@acme.fr" in text and "sales@acme.fr" not in text
    assert "HX-Request" in by_destination.headers["Vary"]

    nothing = client.get(ALIASES, query_string={"q": "100%_"}).get_data(as_text=True)
    assert "No alias matches" in nothing


def test_the_list_is_paged_by_local_part(app, client, enabled):
    app.config["PAGE_SIZE"] = 3
    insert_aliases(
        enabled, [(f"lp{i}", f"{who}@elsewhere.org") for i in range(7) for who in ("a", "b")]
    )
    first = client.get(ALIASES).get_data(as_text=True)
    assert "7 aliases" in first and "Page 1 of 3" in first
    assert [f"<h3>lp{i}@acme.fr</h3>" in first for i in range(7)] == [True] * 3 + [False] * 4
    assert first.count("<td>a@elsewhere.org</td>") == 3  # no group split between pages
    assert first.count("<td>b@elsewhere.org</td>") == 3

    last = client.get(ALIASES, query_string={"page": 3}, headers={"HX-Request": "true"})
    text = last.get_data(as_text=True)
    assert "Page 3 of 3" in text and "<h3>lp6@acme.fr</h3>" in text
    assert text.count("@elsewhere.org</td>") == 2
    assert 'rel="prev"' in text and 'rel="next"' not in text
    beyond = client.get(ALIASES, query_string={"page": 99}).get_data(as_text=True)
    assert "Page 3 of 3" in beyond


def test_the_list_costs_the_same_queries_at_any_size(client, enabled):
    def queries_for_page():
        with recorded() as seen:
            assert client.get(ALIASES).status_code == 200
        return len(seen)

    def aliases(start, stop):
        return [(f"a{i % 60:02}", f"d{i}@elsewhere.org") for i in range(start, stop)]

    insert_aliases(enabled, aliases(0, 5))
    small = queries_for_page()
    insert_aliases(enabled, aliases(5, 200))
    assert len(rows()) == 200
    assert queries_for_page() == small


# ----------------------------------------------------------------------- roles


def test_viewers_see_the_list_but_change_nothing(client, make_user, make_domain, grant, login_as):
    domain = make_domain("acme.fr", owner=make_user(), status=DomainStatus.ENABLED)
    insert_aliases(domain, [("contact", "a@elsewhere.org")])
    viewer = make_user()
    grant(viewer, domain, Role.VIEWER)
    login_as(viewer)
    response = client.get(ALIASES)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h3>contact@acme.fr</h3>" in page
    assert 'id="create-alias"' not in page and "Delete all" not in page
    assert add(client, "sales", "a@elsewhere.org").status_code == 403
    assert remove(client, "contact", "a@elsewhere.org").status_code == 403
    assert [row[:3] for row in rows()] == [("contact", "a@elsewhere.org", AliasStatus.ENABLED)]


def test_strangers_are_told_nothing_exists(client, make_user, make_domain, login_as):
    domain = make_domain("acme.fr", owner=make_user(), status=DomainStatus.ENABLED)
    insert_aliases(domain, [("contact", "a@elsewhere.org")])
    login_as(make_user())
    assert client.get(ALIASES).status_code == 404
    assert add(client, "sales", "a@elsewhere.org").status_code == 404
    assert remove(client, "contact", "a@elsewhere.org").status_code == 404
    assert len(rows()) == 1
