"""Names as French readers expect them: suggested addresses, the list's order and its search."""

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Mailbox
from webapp.models.mailbox import name_key, sort_key
from webapp.services import mailbox_list
from webapp.validators import normalise_local_part, suggest_local_part


@pytest.mark.parametrize(
    ("first", "last", "suggested"),
    [
        ("Benoît", "Œuvray", "benoit.oeuvray"),
        ("Thérèse", "Sørensen", "therese.sorensen"),
        ("Carl Friedrich", "Gauß", "carl-friedrich.gauss"),
        ("Lætitia", "Casta", "laetitia.casta"),
        ("Hélène", "Dupont Durand", "helene.dupont-durand"),
        ("Jean-Luc", "O'Brien", "jean-luc.o-brien"),
        ("Лев", "Толстой", "lev.tolstoy"),
        ("Σωκράτης", "Παπαδόπουλος", "sokratis.papadopoylos"),
        ("泽东", "毛", "zedong.mao"),
        ("Ann", "😀", "ann"),  # a symbol is no letter: left out
        ("😀", "\u0301", ""),  # nothing to spell: the person types the address
    ],
)
def test_the_suggested_address_spells_every_letter(first, last, suggested):
    assert suggest_local_part(first, last) == suggested
    if suggested:
        assert normalise_local_part(suggested) == suggested


def test_a_long_suggestion_is_still_a_local_part():
    suggested = suggest_local_part("毛" * 100, "Œuvray")
    assert normalise_local_part(suggested) == suggested
    assert not suggested.endswith((".", "-"))


NAMES = [  # (first, last), in the order a French reader expects (by last name, then first)
    ("Anne", "Çelik"), ("Cyril", "Cyrano"), ("Jean", "Dupont"), ("Marie", "Dupré"),
    ("Paul", "Durand"), ("Zoé", "Éluard"), ("Élise", "Martin"), ("Eloi", "Martin"),
    ("Zoé", "Martin"), ("Anne", "Martinez"), ("Benoît", "Œuvray"), ("Odile", "Ordonneau"),
    ("Thérèse", "Sørensen"), ("Ugo", "Zola"),
]  # fmt: skip


@pytest.fixture
def french(app, enabled):
    # Inserted in reverse, so that the ids do not give the order away.
    rows = [
        {"domain_id": enabled.id, "local_part": f"u{i:02}", "first_name": first,
         "last_name": last, "name_key": name_key(first, last), "status": "enabled"}
        for i, (first, last) in reversed(list(enumerate(NAMES)))
    ]  # fmt: skip
    db.session.execute(sa.insert(Mailbox), rows)
    db.session.commit()
    return enabled


def _names(items):
    return [(row.first_name, row.last_name) for row in items]


@pytest.mark.parametrize("per_page", [100, 4], ids=["one-page", "pages"])
def test_the_list_sorts_names_as_a_french_reader_does(french, per_page):
    """É with E, Ç with C, Œ as OE, in both directions, also on pages read from the end."""
    for sort, expected in (("name", NAMES), ("-name", NAMES[::-1])):
        pages = -(-len(NAMES) // per_page)
        got = [
            row
            for page in range(1, pages + 1)
            for row in mailbox_list.listing(french, sort=sort, page=page, per_page=per_page).items
        ]
        assert _names(got) == expected


def test_the_sort_key_follows_edits(client, french):
    edit = {"first_name": "Jean", "last_name": "Åberg", "secondary_email": "jean@home.org"}
    assert client.post_form("/domains/acme.fr/mailboxes/u02/", edit).status_code == 303
    db.session.expire_all()
    box = db.session.scalar(db.select(Mailbox).where(Mailbox.local_part == "u02"))
    assert box.sort_key == sort_key("Jean", "Åberg") == "aberg\tjean"
    first = mailbox_list.listing(french, per_page=1).items[0]
    assert (first.first_name, first.last_name) == ("Jean", "Åberg")


def test_the_name_sort_reads_its_index(app):
    postgres = db.engine.dialect.name == "postgresql"
    for sort in ("name", "-name"):
        order = (*mailbox_list.SORTS[sort], Mailbox.id)
        stmt = db.select(Mailbox.id).where(Mailbox.domain_id == 1).order_by(*order).limit(50)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        if postgres:
            # On an almost empty table PostgreSQL would rather scan and sort: tell it not to,
            # so that the plan shows whether the index can give this order at all.
            db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            db.session.execute(sa.text("SET LOCAL enable_sort = off"))
            plan = " ".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {sql}")))
            sorted_apart = "Sort" in plan.replace("Sort Key", "")
        else:
            rows = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = " ".join(row[-1] for row in rows)
            sorted_apart = "TEMP B-TREE" in plan
        assert "ix_mailboxes_domain_sort_key" in plan and not sorted_apart, plan
    db.session.rollback()


def _found(client, query):
    page = client.get("/domains/acme.fr/mailboxes/", query_string={"q": query})
    return set(re.findall(r"<td>([^<@]+)@acme\.fr</td>", page.get_data(as_text=True)))


@pytest.mark.parametrize("selective", [True, False], ids=["by-ids", "in-sort-order"])
def test_the_search_folds_accents_and_ligatures(client, french, monkeypatch, selective):
    monkeypatch.setattr(mailbox_list, "SELECTIVE_SEARCH", 1000 if selective else 0)
    assert _found(client, "oeuvray") == {"u10"}
    assert _found(client, "OEUVRAY") == {"u10"}
    assert _found(client, "Œuvray") == {"u10"}
    assert _found(client, "therese") == {"u12"}
    assert _found(client, "sorensen") == {"u12"}
    assert _found(client, "SØRENSEN") == {"u12"}
    assert _found(client, "celik") == {"u00"}
    assert _found(client, "elise") == {"u06"}
    assert _found(client, "Élise martin") == {"u06"}
    assert _found(client, "eluard") == {"u05"}
