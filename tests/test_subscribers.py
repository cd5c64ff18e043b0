"""Subscribers through the CLI and the store, on a real database (both backends): add,
import, list, the operator lifecycle, tokens bound to their row, names that cannot inject."""

from __future__ import annotations

import email
import email.policy
import json
import logging
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from digest.cli import main
from digest.errors import SubscriberError
from digest.mail.confirm import confirm_token, subscriber_for_confirm_token
from digest.mail.identity import subscriber_for_unsubscribe_token, unsubscribe_token
from digest.mail.message import to_field
from digest.models import NAME_MAX, Subscriber, SubscriberStatus
from digest.store import Store, open_store
from digest.store.schema import SubscriberRow, SuppressionRow

from .smtpserver import SmtpServer
from .test_send import issue_with_readers, send, settings_for

SECRET = "test-secret"


@pytest.fixture
def run(tmp_path: Path, migrated_database_url: str):  # type: ignore[no-untyped-def]
    """The command line on a store already migrated (the tests' `database_url` is it)."""
    database_url = migrated_database_url
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: Test}\n", encoding="utf-8")

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main, ["--config", str(config), *args], env={"DIGEST_DATABASE_URL": database_url}
        )
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_add_validates_and_is_unique_whatever_the_case(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert run("subscribers", "add", "ada@example.org", "--name", "Ada")[0] == 0
    code, _, err = run("subscribers", "add", "ADA@Example.org")
    assert code == 1 and "already subscribed" in err
    code, _, err = run("subscribers", "add", "not-an-address")
    assert code == 1 and "not a valid address" in err
    store = open_store(database_url)
    assert [(s.email, s.name, s.status) for s in store.list_subscribers()] == [
        ("ada@example.org", "Ada", SubscriberStatus.ACTIVE)
    ]
    store.close()


def test_import_with_bad_lines_imports_nothing(run, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "old@example.org")
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name\nnew@example.org,New\nnope,Bad\nnew@EXAMPLE.org,Twice\nold@example.org,Old\n",
        encoding="utf-8",
    )
    code, _, err = run("subscribers", "import", str(csv))
    assert code == 1 and "2 bad line(s), nothing imported" in err
    assert "line 3: nope: invalid" in err
    assert "line 4: new@EXAMPLE.org: duplicate of line 2" in err
    store = open_store(database_url)
    assert len(store.list_subscribers()) == 1  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text("name,email\nZoë,zoe@example.org\n,yann@example.org\n", encoding="utf-8")
    code, out, _ = run("subscribers", "import", str(good))
    assert code == 0 and "imported 2 subscribers" in out
    assert {s.email for s in store.list_subscribers()} >= {"zoe@example.org", "yann@example.org"}
    store.close()


def test_list_filters_and_json_and_remove(run) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "a@example.org")
    run("subscribers", "add", "p@example.org", "--pending")
    code, out, _ = run("subscribers", "list", "--status", "pending")
    assert code == 0 and out.split() == ["p@example.org", "pending"]
    code, out, _ = run("subscribers", "list", "--json")
    data = json.loads(out)
    assert data["version"] == 1 and {s["email"] for s in data["subscribers"]} == {
        "a@example.org",
        "p@example.org",
    }
    assert run("subscribers", "remove", "A@example.org")[0] == 0
    code, _, err = run("subscribers", "remove", "a@example.org")
    assert code == 1 and "no subscriber" in err


# -- issue 10, item 4: the lifecycle for operators ------------------------------------------


def status_of(database_url: str, email: str) -> Subscriber | None:
    store = open_store(database_url)
    try:
        return store.find_subscribers([email]).get(email.lower())
    finally:
        store.close()


def test_unsubscribe_keeps_a_record_that_add_and_import_respect(
    run, tmp_path: Path, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "ada@example.org", "--name", "Ada")
    code, out, _ = run("subscribers", "unsubscribe", "ADA@example.org")
    assert code == 0 and "ada@example.org is unsubscribed (unsubscribed by the operator" in out
    ada = status_of(database_url, "ada@example.org")
    assert ada and ada.status is SubscriberStatus.UNSUBSCRIBED and ada.unsubscribed_at
    assert ada.status_reason and ada.status_reason.startswith("unsubscribed by the operator")
    code, _, err = run("subscribers", "add", "ada@example.org")
    assert code == 1 and "unsubscribed on " in err and "never re-added" in err
    assert "digest subscribers reactivate ada@example.org" in err
    people = tmp_path / "people.csv"
    people.write_text("email\nada@example.org\nbea@example.org\n", encoding="utf-8")
    code, out, err = run("subscribers", "import", str(people))
    assert code == 0 and "imported 1 subscribers" in out
    assert "skipped 1:" in err and "line 2: ada@example.org: unsubscribed on" in err
    assert status_of(database_url, "ada@example.org").status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    assert status_of(database_url, "bea@example.org").status is SubscriberStatus.ACTIVE  # type: ignore[union-attr]
    code, _, err = run("subscribers", "unsubscribe", "nobody@example.org")
    assert code == 1 and "no subscriber nobody@example.org" in err


def test_reactivate_a_wrong_bounce_is_logged_and_refuses_pending(
    run, database_url: str, caplog: pytest.LogCaptureFixture, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    from digest.app.subscribe import reactivate

    run("subscribers", "add", "bob@example.org")
    run("subscribers", "add", "pia@example.org", "--pending")
    store = open_store(database_url)
    bob = store.find_subscribers(["bob@example.org"])["bob@example.org"]
    store.set_subscriber_status(bob.id, SubscriberStatus.BOUNCED, now, "550 5.1.1 no such user")
    with caplog.at_level(logging.INFO, logger="digest.app.subscribe"):
        back = reactivate(store, "bob@example.org", now, "alice")
    assert back is not None and back.status is SubscriberStatus.ACTIVE
    assert back.status_reason == "reactivated by the operator alice"
    assert back.token_nonce == bob.token_nonce  # links in the mails they have still work
    assert f"subscriber {bob.id} reactivated by the operator alice at {now} (was bounced)" in (
        caplog.text
    )
    store.close()
    code, _, err = run("subscribers", "reactivate", "pia@example.org")
    assert code == 1 and "pending" in err and "confirmation link" in err
    assert status_of(database_url, "pia@example.org").status is SubscriberStatus.PENDING  # type: ignore[union-attr]
    code, out, _ = run("subscribers", "reactivate", "bob@example.org")  # already active
    assert code == 0 and "bob@example.org is active" in out


def test_remove_erases_and_keeps_only_a_hash_of_an_unsubscriber(
    run, tmp_path: Path, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "gone@example.org", "--name", "Gone")
    run("subscribers", "add", "left@example.org")
    run("subscribers", "unsubscribe", "gone@example.org")
    code, out, _ = run("subscribers", "remove", "gone@example.org")
    assert code == 0 and "a hash of the address is kept" in out
    code, out, _ = run("subscribers", "remove", "left@example.org")  # active: nothing kept
    assert code == 0 and "hash" not in out
    store = open_store(database_url)
    with store.engine.connect() as conn:
        kept = [tuple(row) for row in conn.execute(select(SuppressionRow))]
    store.close()
    assert len(kept) == 1 and not any("gone" in str(value) for value in kept[0])  # no address
    people = tmp_path / "people.csv"
    people.write_text("email\ngone@example.org\nleft@example.org\n", encoding="utf-8")
    code, out, err = run("subscribers", "import", str(people))
    assert code == 0 and "imported 1 subscribers" in out  # left@ is new again, gone@ is not
    assert "line 2: gone@example.org: erased after being unsubscribed" in err
    assert status_of(database_url, "gone@example.org") is None
    code, _, err = run("subscribers", "add", "GONE@example.org")
    assert code == 1 and "erased after being unsubscribed" in err
    code, out, _ = run("subscribers", "reactivate", "gone@example.org")
    assert code == 0 and "suppression lifted" in out
    assert run("subscribers", "add", "gone@example.org")[0] == 0


@pytest.mark.parametrize("status", list(SubscriberStatus))
def test_a_public_signup_never_changes_an_existing_status(
    store: Store, now: datetime, status: SubscriberStatus
) -> None:
    (person,) = store.add_subscribers([("zoe@example.org", "Zoë")], status, now)
    later = now + timedelta(hours=1)
    signup = store.subscribe_pending("ZOE@example.org", "Someone else", later)
    assert not signup.created and signup.subscriber == person
    assert store.get_subscriber(person.id) == person  # not a field changed
    fresh = store.subscribe_pending("new@example.org", "Neo", later)
    assert fresh.created and fresh.subscriber.status is SubscriberStatus.PENDING
    assert store.subscribe_pending("new@example.org", None, later).subscriber == fresh.subscriber
    with pytest.raises(SubscriberError, match="control characters"):
        store.subscribe_pending("eve@example.org", "Eve\r\nBcc: x@evil.example", later)


# -- issue 10, item 6: tokens die with their subscriber ----------------------------------


def test_ids_are_never_reused_and_old_tokens_die_with_their_row(
    store: Store, now: datetime
) -> None:
    store.add_subscribers([("ada@example.org", None)], SubscriberStatus.ACTIVE, now)
    (bob,) = store.add_subscribers([("bob@example.org", None)], SubscriberStatus.PENDING, now)
    unsubscribe = unsubscribe_token(SECRET, bob.id, bob.token_nonce)
    confirm = confirm_token(SECRET, bob.id, bob.token_nonce)
    assert subscriber_for_unsubscribe_token(store, SECRET, unsubscribe) == bob
    assert subscriber_for_confirm_token(store, SECRET, confirm) == bob
    assert store.remove_subscriber("bob@example.org", now)
    (cleo,) = store.add_subscribers([("cleo@example.org", None)], SubscriberStatus.PENDING, now)
    assert cleo.id > bob.id  # SQLite used to hand bob's id to cleo
    assert subscriber_for_unsubscribe_token(store, SECRET, unsubscribe) is None
    assert subscriber_for_confirm_token(store, SECRET, confirm) is None
    # Even a row given bob's id by hand (a restored backup, a manual insert) is not his:
    # the nonce in his tokens is not that row's.
    with store.session() as s:
        s.add(
            SubscriberRow(
                id=bob.id,
                email="dan@example.org",
                email_key="dan@example.org",
                status=SubscriberStatus.PENDING.value,
                created_at=now,
                updated_at=now,
            )
        )
    assert store.get_subscriber(bob.id) is not None
    assert subscriber_for_unsubscribe_token(store, SECRET, unsubscribe) is None
    assert subscriber_for_confirm_token(store, SECRET, confirm) is None
    wrong_kind = unsubscribe_token(SECRET, cleo.id, cleo.token_nonce)  # salts differ
    assert subscriber_for_confirm_token(store, SECRET, wrong_kind) is None


def test_the_migration_keeps_deliveries_and_old_links_of_existing_rows(
    database_url: str, now: datetime
) -> None:
    """A database at 0004 with a subscriber and a delivery: after the upgrade the ledger is
    intact, the old id-only link of that subscriber still works (the mails are out there),
    and a new row gets a fresh id and refuses id-only tokens."""
    from alembic import command
    from alembic.config import Config
    from itsdangerous import URLSafeSerializer
    from sqlalchemy import create_engine, text

    from digest.mail.identity import UNSUBSCRIBE_SALT
    from digest.store import alembic_dir

    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # read back the same on both backends
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO subscriber (email, email_key, status, created_at, updated_at) "
            f"VALUES ('a@example.org', 'a@example.org', 'active', '{at}', '{at}'), "
            f"('b@example.org', 'b@example.org', 'active', '{at}', '{at}')",
            "INSERT INTO issue (number, status, period_start, period_end, created_at, "
            f"updated_at) VALUES (1, 'sent', '{at}', '{at}', '{at}', '{at}')",
            "INSERT INTO delivery (issue_id, subscriber_id, status, attempts) "
            "SELECT issue.id, subscriber.id, 'sent', 1 FROM issue, subscriber",
        ):
            conn.execute(text(statement))
    engine.dispose()
    store = open_store(database_url)
    try:
        kept = {d.email: d.subscriber_id for d in store.deliveries(1)}
        assert sorted(kept) == ["a@example.org", "b@example.org"]  # nothing cascaded away
        old_link = URLSafeSerializer(SECRET, salt=UNSUBSCRIBE_SALT).dumps(kept["b@example.org"])
        bea = subscriber_for_unsubscribe_token(store, SECRET, old_link)
        assert bea is not None and bea.email == "b@example.org"
        assert store.remove_subscriber("b@example.org", now)
        (new,) = store.add_subscribers([("c@example.org", None)], SubscriberStatus.ACTIVE, now)
        assert new.id > max(kept.values()) and new.token_nonce  # b's id is not reused
        assert subscriber_for_unsubscribe_token(store, SECRET, old_link) is None
        forged_old = URLSafeSerializer(SECRET, salt=UNSUBSCRIBE_SALT).dumps(new.id)
        assert subscriber_for_unsubscribe_token(store, SECRET, forged_old) is None
    finally:
        store.close()


# -- issue 10, item 7: names cannot inject headers ---------------------------------------

HOSTILE_NAMES = [
    "Eve\r\nBcc: x@evil.example",
    "Eve\nX-Injected: 1",
    "Eve\x00",
    "Zoë\u2028Bcc: x@evil.example",
    "Eve\u0085",
    "Eve\tTab",
    "x" * 201,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_with_control_characters_is_refused_by_add(
    run, database_url: str, name: str
) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("subscribers", "add", "eve@example.org", "--name", name)
    assert code == 1 and ("control characters" in err or "at most 200" in err)
    assert status_of(database_url, "eve@example.org") is None


def test_csv_fields_keep_their_line_breaks_and_lines_are_physical(
    run, tmp_path: Path, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    people = tmp_path / "people.csv"
    people.write_text(
        "\ufeffemail;name\r\n"
        'ada@example.org;"Ada\r\nBcc: x@evil.example"\r\n'  # one record on lines 2 and 3
        "nope;Bad\r\n"
        "zoe@example.org;Zoë\u2028Bcc: x@evil.example\r\n"
        "\r\n"
        'bob@example.org;"Bob; Jr."\r\n',
        encoding="utf-8",
        newline="",
    )
    code, _, err = run("subscribers", "import", str(people))
    assert code == 1 and "3 bad line(s), nothing imported" in err
    assert "line 2: ada@example.org: name 'Ada\\r\\nBcc: x@evil.example' contains control" in err
    assert "line 4: nope: invalid" in err
    assert "line 5: zoe@example.org: name 'Zoë\\u2028Bcc: x@evil.example' contains" in err
    assert status_of(database_url, "bob@example.org") is None
    good = tmp_path / "good.csv"  # a French spreadsheet's export: BOM, ';', commas in names
    good.write_text(
        '\ufeffNom;Email\r\nDupont, Jean;jean@example.org\r\n"Bob; Jr.";bob@example.org\r\n',
        encoding="utf-8",
        newline="",
    )
    code, out, _ = run("subscribers", "import", str(good))
    assert code == 0 and "imported 2 subscribers" in out
    assert status_of(database_url, "jean@example.org").name == "Dupont, Jean"  # type: ignore[union-attr]
    assert status_of(database_url, "bob@example.org").name == "Bob; Jr."  # type: ignore[union-attr]
    broken = tmp_path / "broken.csv"
    broken.write_text('email,name\na@example.org,"unclosed\n', encoding="utf-8")
    code, _, err = run("subscribers", "import", str(broken))
    assert code == 1 and "broken.csv: line 2:" in err and "Traceback" not in err


def test_a_hostile_row_already_stored_cannot_inject_headers(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """A name stored before names were checked (or by hand) goes through the real send:
    the server receives one message for Eve, with a To: that holds the whole name, and no
    Bcc:, no X-Injected:, and the real headers still above the body."""
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    hostile = "Eve\r\nBcc: x@evil.example\r\nX-Injected: 1\r\n\r\nbody"
    with store.engine.begin() as conn:
        conn.execute(
            insert(SubscriberRow).values(
                email="eve@example.org",
                email_key="eve@example.org",
                name=hostile,
                status=SubscriberStatus.ACTIVE.value,
                created_at=now,
                updated_at=now,
            )
        )
    report = send(store, settings, number, now)
    assert report.sent == 4 and not report.failed
    assert "x@evil.example" not in {r.recipient for r in smtp_server.handler.received}
    (received,) = smtp_server.handler.to("eve@example.org")
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"].addresses[0].addr_spec == "eve@example.org"
    assert message["To"].addresses[0].display_name == "Eve Bcc: x@evil.example X-Injected: 1 body"


@pytest.mark.parametrize(
    "name, address",
    [
        ("Éloïse " + "é" * 183, "eloise@example.org"),  # 190 characters, none of them ASCII-only
        ("José " * 38, "josé@exemple.fr"),  # an internationalised address: sent with SMTPUTF8
        ('Ada "the Countess" Lovelace, ' * 6, "ada@example.org"),  # quoted, folded
        ("y" * 500, "y@example.org"),  # no space to fold at, and over NAME_MAX
    ],
)
def test_the_to_field_is_encoded_and_folded(name: str, address: str) -> None:
    field = to_field(name, address)
    lines = field.removesuffix("\r\n").split("\r\n")
    assert all(len(line.encode()) <= 998 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])  # continuation lines only
    if " " in name:
        assert all(len(line) <= 78 for line in lines)
    # SMTPUTF8 messages are UTF-8 throughout (RFC 6532): parsed as text, as a server would.
    parsed = email.message_from_string(field + "\r\n", policy=email.policy.SMTPUTF8)
    (to,) = parsed["To"].addresses
    assert to.addr_spec == address
    shown = " ".join(name.split())[:NAME_MAX].rstrip()
    if name.isascii():
        assert to.display_name == shown
    else:  # RFC 2047 §6.2: the fold between two encoded-words is not part of the text
        # (email.policy's parser keeps it as a space, even for what its own generator
        # writes; decode_header follows the RFC, as mail clients do).
        assert field.isascii() or not address.isascii()  # the name is always encoded
        phrase = field[4:].rpartition(" <")[0]
        assert str(make_header(decode_header(phrase))) == shown


def test_a_long_status_reason_is_cut_not_refused(store: Store, now: datetime) -> None:
    """A server's 400-character answer as the reason of a bounce: PostgreSQL refused the
    whole status change (varchar(300)); the reason is cut instead."""
    (person,) = store.add_subscribers([("bob@example.org", None)], SubscriberStatus.ACTIVE, now)
    answer = "550 5.1.1 " + "no such user here " * 25
    bounced = store.set_subscriber_status(person.id, SubscriberStatus.BOUNCED, now, answer)
    assert bounced is not None and bounced.status is SubscriberStatus.BOUNCED
    assert store.get_subscriber(person.id).status_reason == answer[:300]  # type: ignore[union-attr]
