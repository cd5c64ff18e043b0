"""Writing the outbox and a rendered issue when the disk is full or the path is a file
(issue 10, item 13): a sentence naming the path, never a traceback or a half-written file.

The full disk is real: a small tmpfs mounted for the test (root only).
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.app.build import run_build
from digest.app.render import run_render
from digest.app.send import send_issue
from digest.cli import main
from digest.config import load_settings
from digest.errors import OutputError
from digest.ingest.documents import ingest_documents
from digest.mail.transport import OutboxTransport
from digest.models import DeliveryStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store

from .conftest import DOCUMENTS, REPO
from .needs import missing_tool

READERS = ["ada@example.org", "bob@example.org", "chloe@example.org"]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system, so a write fails with ENOSPC as on a full disk."""
    if os.geteuid() != 0:
        missing_tool("mounting a small tmpfs to fill it needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` but for about `leave` bytes; returns the filler, to free space later."""
    filler = disk / "filler"
    stats = os.statvfs(disk)
    filler.write_bytes(bytes(max(stats.f_bavail * stats.f_frsize - leave, 0)))
    return filler


def an_issue(store: Store, now: datetime, outbox: Path) -> tuple[Settings, int]:
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": "test-secret"})
    settings = replace(base, mail=replace(base.mail, transport="outbox", outbox_dir=outbox))
    ingest_documents(
        store,
        [DOCUMENTS / "004_c8bb9166e346ef4b.txt", DOCUMENTS / "003_186302cdc7413e06.txt"],
        now - timedelta(hours=1),
    )
    issue = run_build(store, settings, now).issue
    assert issue is not None
    store.approve_issue(issue.number, now)  # the shipped configuration does not auto-approve
    for address in READERS:
        store.add_subscribers([(address, "Lecteur")], SubscriberStatus.ACTIVE, now)
    return settings, issue.number


def send_to_outbox(store: Store, settings: Settings, number: int, now: datetime):  # type: ignore[no-untyped-def]
    folder = settings.mail.outbox_dir / f"issue-{number}"
    return send_issue(
        store, settings, number, OutboxTransport(folder), clock=lambda: now, connections=1
    )


def test_render_on_a_full_disk_names_the_path_and_leaves_nothing(
    store: Store, now: datetime, disk: Path
) -> None:
    settings, number = an_issue(store, now, disk / "outbox")
    out = disk / "issue"
    out.mkdir()
    fill(disk, leave=8 * 1024)  # room for the small files, not for issue.html
    with pytest.raises(OutputError) as caught:
        run_render(store, settings, number, out, now)
    assert str(out) in caught.value.message and "No space left" in caught.value.message
    assert caught.value.hint and "is full" in caught.value.hint
    assert list(out.iterdir()) == []  # no truncated issue.html, no temporary left


def test_outbox_on_a_full_disk_stops_the_send_cleanly_and_a_rerun_resumes(
    store: Store, now: datetime, disk: Path
) -> None:
    settings, number = an_issue(store, now, disk / "outbox")
    (disk / "outbox").mkdir()
    one_message = len(send_to_outbox_size(store, settings, number, now))  # measured, not guessed
    filler = fill(disk, leave=int(one_message * 1.5))

    report = send_to_outbox(store, settings, number, now)

    assert report.sent == 1 and report.stopped and "No space left" in report.stopped
    folder = disk / "outbox" / f"issue-{number}"
    written = sorted(folder.iterdir())
    assert [p.suffix for p in written] == [".eml"]  # no temporary left beside it
    message = email.message_from_bytes(written[0].read_bytes(), policy=email.policy.default)
    assert message.get_body(("html",)) is not None  # whole, not truncated
    statuses = sorted(d.status for d in store.deliveries(number))
    assert statuses == sorted([DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.PENDING])

    filler.unlink()  # the operator frees space and runs send again
    again = send_to_outbox(store, settings, number, now)
    assert again.sent == 2 and again.stopped is None
    assert len(list(folder.glob("*.eml"))) == 3


def send_to_outbox_size(store: Store, settings: Settings, number: int, now: datetime) -> bytes:
    """One reader's message as the outbox would write it (the dry run, elsewhere)."""
    from digest.app.send import preview_messages

    folder = settings.mail.outbox_dir.parent / "measure"
    preview_messages(store, settings, number, folder)
    first = sorted(folder.glob("*.eml"))[0].read_bytes()
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return first


def test_an_outbox_folder_that_is_a_file_stops_the_send_with_a_sentence(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    settings, number = an_issue(store, now, tmp_path / "outbox")
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / f"issue-{number}").write_text("not a folder")
    report = send_to_outbox(store, settings, number, now)
    assert report.sent == 0
    assert report.stopped and f"issue-{number} is a file, not a folder" in report.stopped
    assert {d.status for d in store.deliveries(number)} == {DeliveryStatus.PENDING}


def test_a_configured_outbox_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "outbox.txt").write_text("not a folder")
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: T}\nmail: {outbox_dir: outbox.txt}\n")
    env = {"DIGEST_DATABASE_URL": None, "DIGEST_CONFIG": None, "DIGEST_SMTP_URL": None}
    result = CliRunner().invoke(main, ["--config", str(config), "status"], env=env)
    assert result.exit_code == 2, result.output
    assert "mail.outbox_dir: 'outbox.txt' is a file, not a folder" in result.stderr
