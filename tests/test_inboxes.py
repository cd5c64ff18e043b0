"""A newsletter inbox as a source (issue 15, item 3), against a real Dovecot over TLS:
new messages are ingested once, marked seen, never deleted; hostile ones cost only
themselves."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import pytest
from click.testing import CliRunner

from digest import jobs
from digest.cli import main
from digest.config import load_settings
from digest.ingest.run import run_ingest
from digest.models import Outcome, SourceKind, SourceReport
from digest.store import Store, open_store

from .imapserver import PASSWORD, ImapServer, imap_server  # noqa: F401  (a fixture)
from .mails import newsletter_eml

USER = "veille"


@pytest.fixture
def folder() -> str:
    """A folder of its own for each test on each backend: one Dovecot serves the module."""
    return f"Lettres{uuid.uuid4().hex[:8]}"


def _config(
    tmp_path: Path, server: ImapServer, folder: str, *, starttls: bool = False, trust: bool = True
) -> Path:
    port = server.starttls_port if starttls else server.port
    security = "starttls" if starttls else "tls"
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Le Fil IA}\n"
        "inboxes:\n"
        f"  - name: veille-{folder.lower()}\n"
        f"    host: {server.host}\n"
        f"    port: {port}\n"
        f"    security: {security}\n"
        f"    user: {USER}\n"
        f"    folder: {folder}\n"
        + (f"    ca_file: {server.ca_file}\n" if trust else "")
        + "    password_env: DIGEST_TEST_INBOX_PASSWORD\n"
    )
    return path


class IngestInbox(Protocol):
    def __call__(self, folder: str, *, password: str = ..., **options: bool) -> SourceReport: ...


@pytest.fixture
def ingest_inbox(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
    store: Store,
    now: datetime,
) -> IngestInbox:
    """One ingest of the inbox reading `folder` (configured by `_config` with `options`),
    `password` in its variable; its source's report."""

    def ingest(folder: str, *, password: str = PASSWORD, **options: bool) -> SourceReport:
        config = _config(tmp_path, imap_server, folder, **options)
        settings = load_settings(config, env={"DIGEST_TEST_INBOX_PASSWORD": password})
        (report,) = run_ingest(settings, store, now).sources
        return report

    return ingest


def test_scheduled_ingest_reads_new_mail_once_marks_it_seen_and_keeps_it(
    imap_server: ImapServer,  # noqa: F811
    folder: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_server.deliver(USER, newsletter_eml(), folder=folder)
    imap_server.deliver(USER, newsletter_eml(subject="Deuxième"), folder=folder)
    config = _config(tmp_path, imap_server, folder)
    database = f"sqlite:///{tmp_path / 'digest.db'}"
    monkeypatch.setenv("DIGEST_TEST_INBOX_PASSWORD", PASSWORD)
    monkeypatch.setenv("DIGEST_DATABASE_URL", database)

    jobs.ingest(str(config))  # the scheduler's ingest job, as `digest serve` runs it

    store = open_store(database)
    try:
        items = [i for i in store.list_items() if i.source_name == f"veille-{folder.lower()}"]
        assert len(items) == 18  # two letters of nine stories each
        assert {i.source_kind for i in items} == {SourceKind.INBOX}
        assert {i.reader_source for i in items} == {"Le monde de demAIn"}
        flags = imap_server.flags(USER, folder)
        assert len(flags) == 2 and all("\\Seen" in f for f in flags.values())
        assert not any("\\Deleted" in f for f in flags.values())

        jobs.ingest(str(config))  # nothing new: nothing ingested
        assert len(store.list_items()) == 18
        runs = store.job_runs(job="ingest")
        assert [r.outcome for r in runs] == ["ok", "ok"]
        imap_server.deliver(USER, newsletter_eml(subject="Troisième"), folder=folder)
        report = run_ingest(load_settings(config), store, datetime.now().astimezone())
        (inbox,) = report.sources
        assert inbox.outcome is Outcome.NEW and inbox.new_items == 9
        assert len(imap_server.flags(USER, folder)) == 3  # never deleted
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
    folder: str,
    ingest_inbox: IngestInbox,
) -> None:
    for raw in (_huge_mail(), MALFORMED, newsletter_eml()):
        imap_server.deliver(USER, raw, folder=folder)
    report = ingest_inbox(folder)
    assert report.outcome is Outcome.NEW and report.new_items == 9
    assert "3 new message(s); 2 not read" in (report.message or "")
    assert "over the cap" in (report.message or "")
    flags = imap_server.flags(USER, folder)
    assert len(flags) == 3 and all("\\Seen" in f for f in flags.values())


def test_wrong_password_fails_the_inbox_alone(ingest_inbox: IngestInbox, store: Store) -> None:
    report = ingest_inbox("INBOX", password="faux")
    assert report.outcome is Outcome.FAILED
    assert "refused" in (report.message or "")
    (state,) = store.list_sources()
    assert state.consecutive_failures == 1 and state.location.startswith("imaps://veille@")


def test_starttls_inbox_is_read_after_its_upgrade(
    imap_server: ImapServer,  # noqa: F811
    folder: str,
    ingest_inbox: IngestInbox,
) -> None:
    imap_server.deliver(USER, newsletter_eml(), folder=folder)
    report = ingest_inbox(folder, starttls=True)
    assert report.outcome is Outcome.NEW and report.new_items == 9


def test_an_untrusted_certificate_is_refused(ingest_inbox: IngestInbox) -> None:
    """Without ca_file the self-signed server is not believed: no password is sent."""
    report = ingest_inbox("INBOX", trust=False)
    assert report.outcome is Outcome.FAILED
    assert "CERTIFICATE_VERIFY_FAILED" in (report.message or "")


def test_digest_ingest_names_the_inbox_and_status_shows_it(
    imap_server: ImapServer,  # noqa: F811
    folder: str,
    tmp_path: Path,
) -> None:
    imap_server.deliver(USER, newsletter_eml(), folder=folder)
    config = _config(tmp_path, imap_server, folder)
    env = {
        "DIGEST_TEST_INBOX_PASSWORD": PASSWORD,
        "DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'digest.db'}",
    }
    runner = CliRunner()
    result = runner.invoke(
        main, ["--config", str(config), "ingest", "--source", f"veille-{folder.lower()}"], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"veille-{folder.lower()}" in result.output
    status = runner.invoke(main, ["--config", str(config), "status", "--json"], env=env)
    (source,) = json.loads(status.output)["sources"]
    assert source["kind"] == "inbox" and source["items"] == 9
    assert source["location"] == f"imaps://{USER}@{imap_server.host}:{imap_server.port}/{folder}"
