"""Test sends (`digest send N --test ADDRESS`, issue 13) against a real SMTP server (aiosmtpd
on loopback) and a real store: one message, « [TEST] » subject, no ledger row, the issue's
status untouched, the shared rate limit; and taking an approval back (`digest unapprove`)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.app.issues import unapprove
from digest.app.test_send import TEST_SEND_WINDOW, TEST_SENDS_PER_WINDOW, send_test
from digest.cli import main
from digest.errors import DigestError, TestSendLimited, UsageError
from digest.models import IssueStatus
from digest.store import Store

from .smtpserver import SmtpServer
from .test_send import SECRET, issue_with_readers, settings_for


def cli(config: Path, store: Store, smtp: SmtpServer | None, *args: str) -> tuple[int, str, str]:
    env = {
        "DIGEST_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "DIGEST_SECRET_KEY": SECRET,
        **({"DIGEST_SMTP_URL": smtp.url} if smtp else {}),
    }
    result = CliRunner().invoke(main, ["--config", str(config), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Le Fil IA, base_url: 'https://lettre.example.org'}\n"
        "mail: {from: 'Le Fil IA <lettre@example.org>', transport: smtp, outbox_dir: out}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("approved", [False, True], ids=["draft", "approved"])
def test_send_test_mails_one_message_outside_the_ledger(
    store: Store,
    now: datetime,
    tmp_path: Path,
    config: Path,
    smtp_server: SmtpServer,
    approved: bool,
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now, approve=approved)  # 3 active readers
    before = store.get_issue(number)
    assert before is not None
    test = ("send", str(number), "--test", "Ed@Example.org")
    code, out, err = cli(config, store, smtp_server, *test)
    assert code == 0, err
    received = smtp_server.handler.received
    assert len(received) == 1 and received[0].recipient == "Ed@example.org"
    message = received[0].message
    assert str(message["Subject"]).startswith("[TEST] Le Fil IA n°\u202f1 — ")
    assert message["To"].addresses[0].addr_spec == "Ed@example.org"
    assert message["Message-ID"].startswith(f"<digest.{number}.test")
    assert "[TEST] Le Fil IA n°\u202f1" in out and "no delivery recorded" in out
    assert f"still {before.status.value}" in out
    after = store.get_issue(number)
    assert after is not None and after.status is before.status
    assert store.deliveries(number) == [] and store.delivery_counts(number) == {}


def test_the_outbox_transport_writes_the_test_message(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path, transport="outbox")
    number, _ = issue_with_readers(store, settings, now)
    result = send_test(store, settings, number, "ed@example.org", now)
    written = list((tmp_path / "outbox" / f"issue-{number}" / "test").glob("*.eml"))
    assert len(written) == 1 and result.destination == str(written[0].parent)
    message = email.message_from_bytes(written[0].read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]).startswith("[TEST] Le Fil IA n°\u202f1 — ")
    assert smtp_server.handler.received == [] and store.deliveries(number) == []


def test_test_sends_are_rate_limited_across_callers(
    store: Store, now: datetime, tmp_path: Path, config: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    start = datetime.now(UTC) - timedelta(minutes=5)  # the command line's clock is real
    lefts = [
        send_test(store, settings, number, "ed@example.org", start + timedelta(seconds=i)).left
        for i in range(TEST_SENDS_PER_WINDOW - 1)
    ]
    assert lefts == list(range(TEST_SENDS_PER_WINDOW - 1, 0, -1))
    # The command line is another caller: it takes the last slot, and is then refused.
    code, _, err = cli(config, store, smtp_server, "send", str(number), "--test", "ed@example.org")
    assert code == 0, err
    code, _, err = cli(config, store, smtp_server, "send", str(number), "--test", "ed@example.org")
    assert code == 1 and "at most 5" in err and "try again after" in err
    with pytest.raises(TestSendLimited) as refused:
        send_test(store, settings, number, "ed@example.org", start + timedelta(minutes=6))
    assert refused.value.retry_at == start + TEST_SEND_WINDOW  # when the first one expires
    assert len(smtp_server.handler.received) == TEST_SENDS_PER_WINDOW
    # Once the first send is out of the window, one more is allowed.
    again = send_test(store, settings, number, "ed@example.org", start + TEST_SEND_WINDOW)
    assert again.left == 0 and len(smtp_server.handler.received) == TEST_SENDS_PER_WINDOW + 1


@pytest.mark.parametrize(
    "address", ["not-an-address", "ed@example.org\r\nBcc: all@example.org", "a" * 400 + "@x.org"]
)
def test_a_bad_address_is_refused_before_anything_is_sent(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer, address: str
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    with pytest.raises(UsageError, match="not an email address"):
        send_test(store, settings, number, address, now)
    assert smtp_server.handler.received == []
    assert send_test(store, settings, number, "ed@example.org", now).left == 4  # no slot taken


def test_a_refused_test_message_is_a_send_error(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers["ed@example.org"] = "550 5.1.1 no such user"
    with pytest.raises(DigestError, match=r"not accepted: 550 5\.1\.1 no such user"):
        send_test(store, settings, number, "ed@example.org", now)
    assert store.deliveries(number) == []


def test_unapprove_puts_an_approved_issue_back_to_draft(
    store: Store, now: datetime, tmp_path: Path, config: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    store.approve_issue(number, now)
    code, out, err = cli(config, store, None, "unapprove", str(number))
    assert code == 0, err
    assert "is a draft again" in out
    issue = store.get_issue(number)
    assert issue is not None and issue.status is IssueStatus.DRAFT
    assert unapprove(store, number, now) is False  # already a draft: nothing to do
    code, out, _ = cli(config, store, None, "unapprove", str(number))
    assert code == 0 and "already a draft" in out


def test_unapprove_is_refused_once_the_send_has_started(
    store: Store, now: datetime, tmp_path: Path, config: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    store.approve_issue(number, now)
    store.open_deliveries(number, now)  # the send's first step: the issue is sending
    with pytest.raises(DigestError, match="is sending: its send has started"):
        unapprove(store, number, now)
    code, _, err = cli(config, store, None, "unapprove", str(number))
    assert code == 2 and "cannot go back to draft" in err  # as for approve and edit
    issue = store.get_issue(number)
    assert issue is not None and issue.status is IssueStatus.SENDING
