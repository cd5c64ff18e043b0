"""A newsletter inbox as a source (issue 15, item 3), against a real Dovecot over TLS:
new messages are ingested once, marked seen, never deleted; hostile ones cost only
themselves."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest import jobs
from digest.config import load_settings
from digest.ingest.run import run_ingest
from digest.models import Outcome, SourceKind
from digest.store import Store, open_store

from .imapserver import PASSWORD, ImapServer, imap_server  # noqa: F401  (a fixture)
from .mails import newsletter_eml

USER = "veille"


def _config(tmp_path: Path, server: ImapServer, folder: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Le Fil IA}\n"
        "inboxes:\n"
        f"  - name: veille-{folder.lower()}\n"
        f"    host: {server.host}\n"
        f"    port: {server.port}\n"
        f"    user: {USER}\n"
        f"    folder: {folder}\n"
        f"    ca_file: {server.ca_file}\n"
        "    password_env: DIGEST_TEST_INBOX_PASSWORD\n"
    )
    return path


def test_scheduled_ingest_reads_new_mail_once_marks_it_seen_and_keeps_it(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_server.deliver(USER, newsletter_eml(), folder="Lettres")
    imap_server.deliver(USER, newsletter_eml(subject="Deuxième"), folder="Lettres")
    config = _config(tmp_path, imap_server, "Lettres")
    database = f"sqlite:///{tmp_path / 'digest.db'}"
    monkeypatch.setenv("DIGEST_TEST_INBOX_PASSWORD", PASSWORD)
    monkeypatch.setenv("DIGEST_DATABASE_URL", database)

    jobs.ingest(str(config))  # the scheduler's ingest job, as `digest serve` runs it

    store = open_store(database)
    try:
        items = [i for i in store.list_items() if i.source_name == "veille-lettres"]
        assert len(items) == 18  # two letters of nine stories each
        assert {i.source_kind for i in items} == {SourceKind.INBOX}
        assert {i.reader_source for i in items} == {"Le monde de demAIn"}
        flags = imap_server.flags(USER, "Lettres")
        assert len(flags) == 2 and all("\\Seen" in f for f in flags.values())
        assert not any("\\Deleted" in f for f in flags.values())

        jobs.ingest(str(config))  # nothing new: nothing ingested
        assert len(store.list_items()) == 18
        runs = store.job_runs(job="ingest")
        assert [r.outcome for r in runs] == ["ok", "ok"]
        imap_server.deliver(USER, newsletter_eml(subject="Troisième"), folder="Lettres")
        report = run_ingest(load_settings(config), store, datetime.now().astimezone())
        (inbox,) = report.sources
        assert inbox.outcome is Outcome.NEW and inbox.new_items == 9
        assert len(imap_server.flags(USER, "Lettres")) == 3  # never deleted
    finally:
        store.close()


def _huge_mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Spam <spam@example.net>"
    message["Subject"] = "Pièce jointe"
    message.set_content("Voir la pièce jointe.")
    message.add_attachment(b"\0" * (50 * 1024 * 1024), maintype="application", subtype="zip")
    return bytes(message)


MALFORMED = (
    b'From: =?utf-8?q?broken\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n'
    b"--zz\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"
)


def test_huge_and_malformed_mail_cost_only_themselves(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
    store: Store,
    now: datetime,
) -> None:
    for raw in (_huge_mail(), MALFORMED, newsletter_eml()):
        imap_server.deliver(USER, raw, folder="Hostile")
    settings = load_settings(
        _config(tmp_path, imap_server, "Hostile"),
        env={"DIGEST_TEST_INBOX_PASSWORD": PASSWORD},
    )
    (report,) = run_ingest(settings, store, now).sources
    assert report.outcome is Outcome.NEW and report.new_items == 9
    assert "3 new message(s); 2 not read" in (report.message or "")
    assert "over the cap" in (report.message or "")
    flags = imap_server.flags(USER, "Hostile")
    assert len(flags) == 3 and all("\\Seen" in f for f in flags.values())


def test_wrong_password_fails_the_inbox_alone(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
    store: Store,
    now: datetime,
) -> None:
    settings = load_settings(
        _config(tmp_path, imap_server, "INBOX"), env={"DIGEST_TEST_INBOX_PASSWORD": "faux"}
    )
    (report,) = run_ingest(settings, store, now).sources
    assert report.outcome is Outcome.FAILED
    assert "refused" in (report.message or "")
    (state,) = store.list_sources()
    assert state.consecutive_failures == 1 and state.location.startswith("imaps://veille@")
