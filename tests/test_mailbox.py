"""The bounce and unsubscribe mailbox (issue 14, item 5): DSNs and mailto: unsubscribes
delivered to a real Dovecot are applied when authentic; forged, unknown, malformed and
huge ones cost only themselves."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import jobs
from digest.cli import main
from digest.config import load_settings
from digest.mail.bounces import DeliveryReport, NotUnderstood, UnsubscribeRequest, read_returned
from digest.mail.identity import unsubscribe_token
from digest.models import Subscriber, SubscriberStatus
from digest.scheduler import make_scheduler
from digest.store import Store, open_store

from .imapserver import PASSWORD, ImapServer, imap_server  # noqa: F401  (a fixture)
from .mails import delivery_report, unsubscribe_request

SECRET = "a-test-secret-long-enough-to-sign"
USER = "retours"
NOW = datetime(2026, 11, 20, 9, 30).astimezone()


def _list_unsubscribe(token: str) -> str:
    return (
        f"<https://fil-ia.example/u/{token}>,\r\n"
        f" <mailto:lettre@fil-ia.example?subject=unsubscribe%20{token}>"
    )


def _token(subscriber: Subscriber) -> str:
    return unsubscribe_token(SECRET, subscriber.id, subscriber.token_nonce)


def test_dsn_is_read_per_recipient_with_the_returned_token() -> None:
    report = read_returned(
        delivery_report("Lea@Example.org", list_unsubscribe=_list_unsubscribe("a.b"))
    )
    assert isinstance(report, DeliveryReport)
    (recipient,) = report.recipients
    assert recipient.recipient == "lea@example.org" and recipient.status == "5.1.1"
    assert recipient.permanent and not recipient.transient
    assert report.tokens == ("a.b",)
    delayed = read_returned(delivery_report("x@example.org", "4.4.1", "delayed"))
    assert isinstance(delayed, DeliveryReport) and delayed.recipients[0].transient


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n",
        b"Content-Type: multipart/report; report-type=disposition-notification\r\n\r\n",
        b"From: =?utf-8?b?broken\r\nSubject: =?x-unknown?q?=FF?=\r\n\r\nbody",
        b"Subject: unsubscribe me please\r\n\r\n",
        b"".join(
            b"Content-Type: multipart/mixed; boundary=%d\r\n\r\n--%d\r\n" % (i, i)
            for i in range(3000)
        ),
    ],
)
def test_malformed_or_foreign_mail_is_not_understood(raw: bytes) -> None:
    assert isinstance(read_returned(raw), NotUnderstood)


def test_unsubscribe_subject_survives_a_reply_prefix() -> None:
    request = read_returned(unsubscribe_request("a@b.example", "Re: unsubscribe abc.DEF-1_2"))
    assert request == UnsubscribeRequest("abc.DEF-1_2", "a@b.example")


def _huge() -> bytes:
    message = EmailMessage()
    message["Subject"] = "Notre catalogue"
    message.set_content("Ci-joint.")
    message.add_attachment(b"\0" * (50 * 1024 * 1024), maintype="application", subtype="zip")
    return bytes(message)


def test_mailbox_applies_authentic_bounces_and_unsubscribes_only(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = f"sqlite:///{tmp_path / 'digest.db'}"
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "newsletter: {title: Le Fil IA}\n"
        "mail:\n"
        "  from: Le Fil IA <lettre@fil-ia.example>\n"
        "  mailbox:\n"
        f"    host: {imap_server.host}\n"
        f"    port: {imap_server.port}\n"
        f"    user: {USER}\n"
        f"    ca_file: {imap_server.ca_file}\n"
    )
    for name, value in {
        "DIGEST_DATABASE_URL": database,
        "DIGEST_SECRET_KEY": SECRET,
        "DIGEST_MAILBOX_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    store = open_store(database)
    people = {
        p.email: p
        for p in store.add_subscribers(
            [(f"{n}@example.org", None) for n in ("lea", "marc", "zoe", "paul")],
            SubscriberStatus.ACTIVE,
            NOW,
        )
    }
    lea, marc, zoe, paul = (people[f"{n}@example.org"] for n in ("lea", "marc", "zoe", "paul"))
    mails = [
        delivery_report(lea.email, list_unsubscribe=_list_unsubscribe(_token(lea))),  # bounce
        unsubscribe_request("marc@example.org", f"unsubscribe {_token(marc)}"),  # applied
        delivery_report(zoe.email, "4.2.2", "delayed", _list_unsubscribe(_token(zoe))),  # 4xx
        delivery_report("jamais@example.org", list_unsubscribe=_list_unsubscribe(_token(lea))),
        # Forged: a valid-looking token for Zoé from someone else, Paul's address as From.
        unsubscribe_request("paul@example.org", f"unsubscribe {_token(zoe)}x"),
        delivery_report(paul.email),  # names Paul, carries no token of ours: not believed
        _huge(),
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: te",
        unsubscribe_request("ami@example.net", "Merci pour la lettre !"),
    ]
    for raw in mails:
        imap_server.deliver(USER, raw)
    try:
        jobs.mailbox(str(config))  # the scheduler's job, as `digest serve` runs it

        status = {p.email: p.status for p in store.list_subscribers()}
        assert status == {
            lea.email: SubscriberStatus.BOUNCED,
            marc.email: SubscriberStatus.UNSUBSCRIBED,
            zoe.email: SubscriberStatus.ACTIVE,
            paul.email: SubscriberStatus.ACTIVE,
        }
        (run,) = store.job_runs(job="mailbox")
        assert run.outcome == "ok"
        assert run.counts == {
            "bounced": 1,
            "unsubscribed": 1,
            "delayed": 1,
            "unknown": 1,
            "unchanged": 0,
            "filed": 5,  # forged unsubscribe, tokenless bounce, huge, malformed, a reply
            "errors": 0,
        }
        inbox = imap_server.flags(USER)
        assert len(inbox) == 4 and all("\\Seen" in f for f in inbox.values())
        assert len(imap_server.flags(USER, "digest-unparsed")) == 5

        result = CliRunner().invoke(main, ["--config", str(config), "read-mailbox", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["filed"] == 0  # nothing new: nothing done
    finally:
        store.close()


def test_read_mailbox_without_a_mailbox_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: Le Fil IA}\n")
    result = CliRunner().invoke(
        main, ["--config", str(config), "read-mailbox"], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert result.exit_code == 2 and "mail.mailbox is not configured" in result.output


def test_serve_reads_the_mailbox_every_few_minutes_only_when_configured(
    tmp_path: Path, store: Store
) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "newsletter: {title: Le Fil IA}\n"
        "mail: {mailbox: {host: imap.example.org, user: retours, every_minutes: 5}}\n"
    )
    scheduler = make_scheduler(store, load_settings(config, env={}))
    try:
        job = scheduler.get_job("mailbox")
        assert job.func_ref == "digest.jobs:mailbox"
        assert job.trigger.interval.total_seconds() == 300
    finally:
        scheduler.shutdown(wait=False)
    config.write_text("newsletter: {title: Le Fil IA}\n")  # the mailbox removed
    scheduler = make_scheduler(store, load_settings(config, env={}))
    try:
        assert scheduler.get_job("mailbox") is None
    finally:
        scheduler.shutdown(wait=False)
